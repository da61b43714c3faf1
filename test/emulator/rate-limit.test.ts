// Request-rate limits per access key (token bucket on the emulator clock): each cloud's throttle
// answer, what is and is not counted, the counters a test or benchmark reads (admitted, throttled,
// the most requests within any one second), and control through the API.

import { describe, expect, it } from 'vitest';
import { DEMO_BCC, DEMO_MODELARTS, SEEDED } from '../../emulator/demo.js';
import { useFixture } from '../support/fixture.js';
import {
  bccListRequest,
  bccRequest,
  control,
  json,
  modelArtsRequest,
  send,
  signedBcc,
  signedModelArts,
  tamperSignature,
} from './client.js';

const OTHER_HUAWEI = { accessKeyId: 'SECONDMODELARTSAK0002', secretAccessKey: 'second-sk' };
const START_LIMITS = { modelarts: { perSecond: 2, burst: 3 }, bcc: { perSecond: 1 } };
const fixture = useFixture({
  emulator: {
    rateLimit: START_LIMITS,
    credentials: { modelarts: { [OTHER_HUAWEI.accessKeyId]: OTHER_HUAWEI.secretAccessKey } },
  },
  clock: '2026-03-01T12:00:00Z',
  demoEnv: false,
});
const { clock } = fixture;

const showModelArts = (credentials?: { accessKeyId: string; secretAccessKey: string }) =>
  send(
    signedModelArts(
      modelArtsRequest(fixture.emulator.url, 'GET', SEEDED.modelarts.builtIn),
      clock.now(),
      credentials,
    ),
  );
const bcc = (method: 'GET' | 'DELETE', id: string) =>
  send(signedBcc(bccRequest(fixture.emulator.url, method, id), clock.now()));

const statuses = async (count: number, call: () => Promise<{ status: number }>) => {
  const seen: number[] = [];
  for (let i = 0; i < count; i++) seen.push((await call()).status);
  return seen;
};

describe('ModelArts over its limit', () => {
  it('answers 429 APIG.0308 as the gateway does once the burst is spent, and refills per second', async () => {
    expect(await statuses(3, () => showModelArts())).toEqual([200, 200, 200]);
    const throttled = await showModelArts();
    expect(throttled.status).toBe(429);
    expect(throttled.body).toBe(
      JSON.stringify({
        error_code: 'APIG.0308',
        error_msg:
          'The throttling threshold has been reached: policy user over ratelimit,limit:2,time:1 second',
        request_id: throttled.headers['x-request-id'],
      }),
    );
    clock.advance(500); // one token at 2 a second
    expect(await statuses(2, () => showModelArts())).toEqual([200, 429]);
    clock.advance(10_000); // never more than the burst saved up
    expect(await statuses(4, () => showModelArts())).toEqual([200, 200, 200, 429]);
  });

  it('limits each access key on its own, and does not handle a throttled request', async () => {
    expect(await statuses(4, () => showModelArts())).toEqual([200, 200, 200, 429]);
    expect(await statuses(4, () => showModelArts(OTHER_HUAWEI))).toEqual([200, 200, 200, 429]);
    const refused = await send(
      signedModelArts(
        modelArtsRequest(fixture.emulator.url, 'DELETE', SEEDED.modelarts.custom),
        clock.now(),
      ),
    );
    expect(refused.status).toBe(429);
    expect(fixture.emulator.state.modelarts.has(SEEDED.modelarts.custom)).toBe(true);
    expect(fixture.emulator.requests.at(-1)).toMatchObject({
      operation: 'delete',
      accessKeyId: DEMO_MODELARTS.accessKeyId,
      throttled: true,
      status: 429,
      fault: undefined,
    });
  });

  it('neither counts nor throttles requests whose signature fails', async () => {
    for (let i = 0; i < 5; i++) {
      const bad = await send(
        tamperSignature(
          signedModelArts(
            modelArtsRequest(fixture.emulator.url, 'GET', SEEDED.modelarts.builtIn),
            clock.now(),
          ),
        ),
      );
      expect(bad.status).toBe(401);
    }
    expect(fixture.emulator.rateLimit.counters()).toEqual([]);
    expect(await statuses(3, () => showModelArts())).toEqual([200, 200, 200]);
  });
});

describe('BCC over its limit', () => {
  it('answers 429 with a BCE error body (inferred: Baidu documents no throttling reply)', async () => {
    expect((await bcc('GET', SEEDED.bcc.system)).status).toBe(200);
    const throttled = await send(
      signedBcc(bccListRequest(fixture.emulator.url, 'image'), clock.now()),
    );
    expect(throttled.status).toBe(429);
    expect(json(throttled)).toEqual({
      requestId: throttled.headers['x-bce-request-id'],
      code: 'RequestLimitExceeded',
      message: 'Request rate exceeds the limit of 1 per second for this access key.',
    });
    clock.advance(1000);
    expect((await bcc('DELETE', SEEDED.bcc.custom)).status).toBe(200);
  });
});

describe('counters', () => {
  it('count admitted and throttled requests per cloud and key, and the busiest second', async () => {
    await statuses(5, () => showModelArts()); // 3 admitted, 2 throttled, all at one instant
    clock.advance(999);
    await statuses(2, () => showModelArts()); // within a second of the first five: 1 admitted
    clock.advance(501); // the first five are out of the window now; two tokens earned
    await showModelArts();
    await bcc('GET', SEEDED.bcc.system);
    expect(fixture.emulator.rateLimit.counters()).toEqual([
      {
        provider: 'modelarts',
        accessKeyId: DEMO_MODELARTS.accessKeyId,
        admitted: 5,
        throttled: 3,
        peakPerSecond: 7,
        peakAdmittedPerSecond: 4,
      },
      {
        provider: 'bcc',
        accessKeyId: DEMO_BCC.accessKeyId,
        admitted: 1,
        throttled: 0,
        peakPerSecond: 1,
        peakAdmittedPerSecond: 1,
      },
    ]);
  });

  it('count without a limit too, never throttling', async () => {
    fixture.emulator.rateLimit.set({});
    expect(await statuses(20, () => showModelArts())).toEqual(Array(20).fill(200));
    expect(fixture.emulator.rateLimit.counters()).toMatchObject([
      { admitted: 20, throttled: 0, peakPerSecond: 20 },
    ]);
  });
});

describe('control API', () => {
  it('PUT /rate-limit replaces the limits (buckets start full), GET shows limits and counters', async () => {
    await statuses(4, () => showModelArts());
    const put = await control(fixture.emulator.url, 'PUT', 'rate-limit', {
      modelarts: { perSecond: 10 },
    });
    expect(put).toEqual({ status: 200, body: { limits: { modelarts: { perSecond: 10 } } } });
    expect(await statuses(10, () => showModelArts())).toEqual(Array(10).fill(200));
    expect((await showModelArts()).status).toBe(429);
    expect((await bcc('GET', SEEDED.bcc.system)).status).toBe(200);
    expect((await bcc('GET', SEEDED.bcc.system)).status).toBe(200); // BCC no longer limited

    const got = await control(fixture.emulator.url, 'GET', 'rate-limit');
    expect(got.body).toMatchObject({
      limits: { modelarts: { perSecond: 10 } },
      counters: [
        { provider: 'modelarts', admitted: 13, throttled: 2, peakPerSecond: 15 },
        { provider: 'bcc', admitted: 2, throttled: 0 },
      ],
    });
    expect((await control(fixture.emulator.url, 'DELETE', 'rate-limit/counters')).status).toBe(204);
    expect((await control(fixture.emulator.url, 'GET', 'rate-limit')).body).toMatchObject({
      counters: [],
    });
  });

  it('refuses a bad limit, and reset() restores the limits the emulator started with', async () => {
    for (const bad of [
      { modelarts: { perSecond: 0 } },
      { bcc: { perSecond: 1, burst: 0.5 } },
      { ecs: {} },
    ]) {
      expect((await control(fixture.emulator.url, 'PUT', 'rate-limit', bad)).status).toBe(400);
    }
    fixture.emulator.rateLimit.set({});
    await showModelArts();
    fixture.emulator.reset();
    expect(fixture.emulator.rateLimit.limits).toEqual(START_LIMITS);
    expect(fixture.emulator.rateLimit.counters()).toEqual([]);
    expect((await control(fixture.emulator.url, 'GET', 'settings')).body).toMatchObject({
      rateLimit: START_LIMITS,
    });
  });
});
