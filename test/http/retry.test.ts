// The retry layer: pure backoff arithmetic, then the real transport against the emulator on
// loopback for what only a socket shows (Retry-After, the deadline, a fresh signature per attempt).

import { describe, expect, it, vi } from 'vitest';
import { DEMO_MODELARTS, SEEDED } from '../../emulator/demo.js';
import { createCredentialStore } from '../../lib/credentials/credential-store.js';
import { UpstreamThrottled, UpstreamTimeout } from '../../lib/errors/errors.js';
import { deadlineIn } from '../../lib/http/deadline.js';
import { backoffMs, parseRetryAfter, type RetryPolicy } from '../../lib/http/retry.js';
import { undiciTransport } from '../../lib/http/transport.js';
import type { CallContext } from '../../lib/images/provider-port.js';
import { createLogger } from '../../lib/log/log.js';
import { modelArtsCloud } from '../../lib/providers/modelarts/cloud.js';
import { useFixture } from '../support/fixture.js';

describe('backoff arithmetic', () => {
  it('full jitter stays in [0, min(cap, base * 2^retry))', () => {
    expect(backoffMs(100, 0, 20_000, () => 0)).toBe(0);
    expect(backoffMs(100, 0, 20_000, () => 0.999)).toBe(99);
    expect(backoffMs(100, 3, 20_000, () => 0.5)).toBe(400);
    expect(backoffMs(500, 10, 20_000, () => 0.999)).toBe(19_980);
  });

  it('reads Retry-After as seconds or as an HTTP date', () => {
    expect(parseRetryAfter('3')).toBe(3_000);
    expect(parseRetryAfter(undefined)).toBeUndefined();
    expect(parseRetryAfter('soon')).toBeUndefined();
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:05 GMT', now)).toBe(5_000);
  });

  it('takes a Retry-After beyond an hour as an hour: a date years away asks for nothing usable', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('Thu, 01 Jan 2099 00:00:00 GMT', now)).toBe(3_600_000);
    expect(parseRetryAfter('99999999999999999999999', now)).toBe(3_600_000);
    expect(parseRetryAfter('3600', now)).toBe(3_600_000);
    expect(parseRetryAfter('3599', now)).toBe(3_599_000);
  });
});

describe('the deadline', () => {
  it('makes no timer until something has to wait on it', () => {
    // Prepare
    const timeout = vi.spyOn(AbortSignal, 'timeout');
    try {
      // Act
      const deadline = deadlineIn(5_000, () => 1_000);
      const left = deadline.remainingMs();
      // Assess
      expect(left).toBe(5_000);
      expect(timeout, 'a deadline nobody waited on started a timer').not.toHaveBeenCalled();
      expect(deadline.signal).toBe(deadline.signal);
      expect(timeout).toHaveBeenCalledTimes(1);
    } finally {
      timeout.mockRestore();
    }
  });

  it('aborts its signal when the deadline passes, however late the signal is first read', async () => {
    // Prepare: the signal first read well into the deadline, with a margin no busy machine's
    // event loop eats (40 ms with 20 waited failed in a fresh-clone CI: the wait took over 40).
    const deadline = deadlineIn(1_000);
    await new Promise((resolve) => setTimeout(resolve, 20));
    // Act
    const { signal } = deadline;
    const aborted = new Promise<number>((resolve) =>
      signal.addEventListener('abort', () => resolve(deadline.remainingMs()), { once: true }),
    );
    // Assess
    expect(signal.aborted).toBe(false);
    expect(await aborted, 'the signal aborted before the deadline').toBe(0);
    expect((signal.reason as DOMException).name).toBe('TimeoutError');
  });

  it('read after the deadline has passed, the signal is already aborted', async () => {
    // Prepare
    const deadline = deadlineIn(5);
    await new Promise((resolve) => setTimeout(resolve, 15));
    // Act
    const { signal } = deadline;
    // Assess
    expect(signal.aborted).toBe(true);
    expect((signal.reason as DOMException).name).toBe('TimeoutError');
  });
});

describe('against the emulator', () => {
  const fixture = useFixture({ demoEnv: false });
  const policy: RetryPolicy = {
    maxAttempts: 3,
    retryBaseMs: 1,
    throttleBaseMs: 1,
    maxBackoffMs: 20_000,
    attemptTimeoutMs: 2_000,
  };
  const credentials = createCredentialStore({
    env: {
      HUAWEICLOUD_SDK_AK: DEMO_MODELARTS.accessKeyId,
      HUAWEICLOUD_SDK_SK: DEMO_MODELARTS.secretAccessKey,
      HUAWEICLOUD_SDK_PROJECT_ID: DEMO_MODELARTS.projectId,
      HUAWEICLOUD_REGION: DEMO_MODELARTS.region,
    },
  });
  const context = (ms: number, overrides: Partial<RetryPolicy> = {}): CallContext => ({
    deadline: deadlineIn(ms),
    policy: { ...policy, ...overrides },
    transport: undiciTransport,
    calls: [],
  });

  const provider = () =>
    modelArtsCloud.createProvider({ credentials, endpointOverride: fixture.emulator.url });

  it('waits at least as long as Retry-After says before trying again', async () => {
    fixture.emulator.faults.inject({
      action: { kind: 'status', status: 429, headers: { 'Retry-After': '1' } },
    });
    const log = createLogger('debug', {});
    const image = await provider().show(SEEDED.modelarts.custom, 'cn-north-4', {
      ...context(10_000),
      log,
    });
    expect(image.id).toBe(SEEDED.modelarts.custom);
    // The wait the retry layer chose (its debug line), and that it really waited: the second
    // attempt arrived at least that long after the first (a lower bound: load only adds to it).
    const retries = fixture.log.lines.filter((line) => line.message === 'upstream retry');
    expect(retries).toHaveLength(1);
    expect(retries[0]?.waitMs).toBeGreaterThanOrEqual(1_000);
    const [first, second] = fixture.emulator.requests.map((request) => Date.parse(request.time));
    expect((second ?? 0) - (first ?? 0)).toBeGreaterThanOrEqual(1_000);
  });

  it('gives up at once when Retry-After is beyond the time left, passing the hint on', async () => {
    fixture.emulator.faults.inject({
      action: { kind: 'status', status: 429, headers: { 'Retry-After': '60' } },
    });
    const error = await provider()
      .show(SEEDED.modelarts.custom, 'cn-north-4', context(3_000))
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(UpstreamThrottled);
    expect((error as UpstreamThrottled).retryAfterSeconds).toBe(60);
    expect(fixture.emulator.requests).toHaveLength(1);
  });

  it('gives up at once when Retry-After is beyond the time left, however short its own longest backoff', async () => {
    // Prepare: a longest backoff far shorter than the cloud asks (as 20 s is, under an HTTP
    // call's 29 s, against a Retry-After of a minute).
    fixture.emulator.faults.inject({
      action: { kind: 'status', status: 429, headers: { 'Retry-After': '60' } },
    });

    // Act
    const error = await provider()
      .show(SEEDED.modelarts.custom, 'cn-north-4', context(10_000, { maxBackoffMs: 50 }))
      .catch((caught: unknown) => caught);

    // Assess: before, the wait was cut to the longest backoff and the throttled call sent again
    // long before the cloud said (3 requests).
    expect(error).toBeInstanceOf(UpstreamThrottled);
    expect((error as UpstreamThrottled).retryAfterSeconds).toBe(60);
    expect(fixture.emulator.requests).toHaveLength(1);
  });

  it('waits a Retry-After longer than its own longest backoff in full when there is time', async () => {
    // Prepare
    fixture.emulator.faults.inject({
      action: { kind: 'status', status: 429, headers: { 'Retry-After': '1' } },
    });

    // Act
    const image = await provider().show(
      SEEDED.modelarts.custom,
      'cn-north-4',
      context(10_000, { maxBackoffMs: 50 }),
    );

    // Assess: the second attempt came at least the second the cloud asked for after the first.
    expect(image.id).toBe(SEEDED.modelarts.custom);
    const [first, second] = fixture.emulator.requests.map((request) => Date.parse(request.time));
    expect((second ?? 0) - (first ?? 0)).toBeGreaterThanOrEqual(1_000);
  });

  it('signs every attempt afresh', async () => {
    // Prepare: a signing clock a second on at each reading, so that each attempt has its own time.
    fixture.emulator.faults.inject({ times: 2, action: { kind: 'status', status: 503 } });
    let clock = Date.now();
    const tick = (): Date => {
      clock += 1_000;
      return new Date(clock);
    };
    const ticking = modelArtsCloud.createProvider({
      credentials,
      endpointOverride: fixture.emulator.url,
      now: tick,
    });

    // Act
    await ticking.show(SEEDED.modelarts.custom, 'cn-north-4', context(10_000, { retryBaseMs: 5 }));

    // Assess
    const requests = fixture.emulator.requests;
    expect(requests).toHaveLength(3);
    const dates = new Set(requests.map((request) => request.headers['x-sdk-date']));
    const signatures = new Set(requests.map((request) => request.headers.authorization));
    expect(dates.size, 'each attempt carries its own date').toBe(3);
    expect(signatures.size, 'each attempt is signed again').toBe(3);
  });

  it('a stalled attempt is cut at the attempt timeout and retried within the deadline', async () => {
    fixture.emulator.faults.inject({ action: { kind: 'stall' } });
    const image = await provider().show(
      SEEDED.modelarts.custom,
      'cn-north-4',
      context(5_000, { attemptTimeoutMs: 300 }),
    );
    expect(image.id).toBe(SEEDED.modelarts.custom);
    expect(fixture.emulator.requests).toHaveLength(2);
  });

  it('stops at the deadline with UpstreamTimeout', async () => {
    fixture.emulator.faults.inject({ times: 10, action: { kind: 'stall' } });
    const error = await provider()
      .show(SEEDED.modelarts.custom, 'cn-north-4', context(600))
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(UpstreamTimeout);
  });

  it('every attempt cut at its own limit with time left: UpstreamTimeout naming the attempt limit, not the time left', async () => {
    // Prepare
    fixture.emulator.faults.inject({ times: 10, action: { kind: 'stall' } });

    // Act
    const error = await provider()
      .show(SEEDED.modelarts.custom, 'cn-north-4', context(10_000, { attemptTimeoutMs: 100 }))
      .catch((caught: unknown) => caught);

    // Assess: before, 'did not answer within the time left', with 9.6 s of it still there.
    expect(error).toBeInstanceOf(UpstreamTimeout);
    expect((error as Error).message).toBe(
      'modelarts did not answer any attempt within its 100 ms (after 3 attempts)',
    );
    expect(fixture.emulator.requests).toHaveLength(3);
  });

  it('with no time left, asks nothing and says so: UpstreamTimeout that does not blame the cloud', async () => {
    // Prepare: a deadline already passed (a run's decision reached after its command's time).
    const late = context(1);
    await new Promise((resolve) => setTimeout(resolve, 20));

    // Act
    const error = await provider()
      .show(SEEDED.modelarts.custom, 'cn-north-4', late)
      .catch((caught: unknown) => caught);

    // Assess: the run records this message as the decision's reason.
    expect(error).toBeInstanceOf(UpstreamTimeout);
    expect((error as Error).message).toBe('modelarts was not asked: no time was left');
    expect(fixture.emulator.requests).toHaveLength(0);
  });

  it('a truncated body is a failed connection, retried', async () => {
    fixture.emulator.faults.inject({ action: { kind: 'truncated' } });
    const image = await provider().show(SEEDED.modelarts.custom, 'cn-north-4', context(5_000));
    expect(image.id).toBe(SEEDED.modelarts.custom);
    expect(fixture.emulator.requests).toHaveLength(2);
  });
});
