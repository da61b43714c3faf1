// The one retry layer for upstream calls. Each attempt is built (and so signed) afresh; retries
// happen only for network failures, attempt timeouts, throttling (429, provider codes; Retry-After
// honoured) and 500/502/503/504, with capped full-jitter backoff, and never past the deadline. A
// rejection of our credentials is retried once, after the caller has dropped its cached ones.

import {
  UpstreamBadResponse,
  UpstreamThrottled,
  UpstreamTimeout,
  UpstreamUnavailable,
} from '../errors/errors.js';
import type { Logger } from '../log/log.js';
import type { OutboundRequest } from '../wire/outbound-request.js';
import type { Deadline } from './deadline.js';
import { type RawResponse, type Transport, TransportFailure } from './transport.js';

/** What the provider adapter makes of a response. */
export type Verdict =
  | { kind: 'final' }
  | { kind: 'throttled'; code?: string | undefined }
  | { kind: 'transient'; code?: string | undefined }
  | { kind: 'auth'; code?: string | undefined };

export interface RetryPolicy {
  /** Attempts for transient faults and throttling, the first included. */
  maxAttempts: number;
  retryBaseMs: number;
  throttleBaseMs: number;
  maxBackoffMs: number;
  attemptTimeoutMs: number;
}

export interface SendOptions {
  provider: string;
  build: (attempt: number) => Promise<OutboundRequest>;
  classify: (response: RawResponse) => Verdict;
  requestIdOf: (response: RawResponse) => string | undefined;
  /** Called before the single re-signed retry after an auth rejection. */
  onAuthRejected: () => void;
  deadline: Deadline;
  policy: RetryPolicy;
  transport: Transport;
  /** One debug line per retry: attempt, reason, wait. */
  log?: Logger | undefined;
  random?: () => number;
}

export interface SendResult {
  response: RawResponse;
  attempts: number;
}

/** Below this much time left, another attempt cannot succeed; report now instead. */
const MIN_ATTEMPT_MS = 200;

/**
 * The longest wait a cloud's `Retry-After` is taken to ask for. Beyond it the hint says nothing a
 * caller can use (a date years away, from a broken clock or a misread header, would stall any
 * caller that honours the `Retry-After` passed on); no call waits that long anyway.
 */
export const MAX_RETRY_AFTER_MS = 3_600_000;

/**
 * `Retry-After` as seconds or an HTTP date, in ms from now, at most MAX_RETRY_AFTER_MS; undefined
 * when absent or unreadable.
 */
export const parseRetryAfter = (
  value: string | undefined,
  now = Date.now(),
): number | undefined => {
  if (value === undefined || value.trim() === '') return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Math.min(Number(trimmed) * 1000, MAX_RETRY_AFTER_MS);
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.min(Math.max(0, date - now), MAX_RETRY_AFTER_MS);
};

/** Full jitter: uniform in [0, min(cap, base * 2^retry)). */
export const backoffMs = (base: number, retry: number, cap: number, random: () => number): number =>
  Math.floor(random() * Math.min(cap, base * 2 ** retry));

type Failure =
  | { kind: 'throttled' | 'transient'; response: RawResponse; code?: string | undefined }
  | { kind: 'network' | 'timeout'; detail: string };

const sleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (ms <= 0 || signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });

/**
 * A signal that aborts after `ms` as AbortSignal.timeout's does (reason: a TimeoutError
 * DOMException; the timer does not keep the process alive), and whose timer `clear` cancels.
 */
const attemptTimeout = (ms: number): { signal: AbortSignal; clear: () => void } => {
  const controller = new AbortController();
  const timer = setTimeout(() => {
    controller.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError'));
  }, ms);
  timer.unref();
  return { signal: controller.signal, clear: () => clearTimeout(timer) };
};

export const sendWithRetry = async (options: SendOptions): Promise<SendResult> => {
  const { provider, deadline, policy } = options;
  const random = options.random ?? Math.random;
  let attempts = 0;
  let retries = 0;
  let authRetried = false;

  const facts = (failure?: Failure) => {
    const response = failure && 'response' in failure ? failure.response : undefined;
    return {
      provider,
      attempts,
      status: response?.status,
      code: failure && 'code' in failure ? failure.code : undefined,
      requestId: response ? options.requestIdOf(response) : undefined,
    };
  };

  const giveUp = (failure: Failure, retryAfterMs?: number): Error => {
    const tries = `after ${attempts} attempt${attempts === 1 ? '' : 's'}`;
    switch (failure.kind) {
      case 'throttled':
        return new UpstreamThrottled(`${provider} is throttling requests (${tries})`, {
          upstream: facts(failure),
          retryAfterSeconds: Math.max(1, Math.ceil((retryAfterMs ?? 1000) / 1000)),
        });
      case 'transient':
        return new UpstreamUnavailable(
          `${provider} answered HTTP ${failure.response.status} (${tries})`,
          { upstream: facts(failure) },
        );
      case 'network':
        return new UpstreamUnavailable(
          `${provider} could not be reached: ${failure.detail} (${tries})`,
          {
            upstream: facts(),
          },
        );
      case 'timeout':
        // No attempt: the deadline had passed before any (a run's decision reached late), so
        // the cloud was never asked and is not to blame.
        // Every attempt cut at its own limit with time still left: the attempt limit, not the
        // deadline, is what the cloud did not meet.
        return new UpstreamTimeout(
          attempts === 0
            ? `${provider} was not asked: no time was left`
            : attempts >= policy.maxAttempts && deadline.remainingMs() > 0
              ? `${provider} did not answer any attempt within its ${policy.attemptTimeoutMs} ms (${tries})`
              : `${provider} did not answer within the time left (${tries})`,
          { upstream: facts() },
        );
    }
  };

  for (;;) {
    if (deadline.remainingMs() <= 0) {
      throw giveUp({ kind: 'timeout', detail: 'deadline passed' });
    }
    attempts += 1;
    const req = await options.build(attempts);
    // The attempt's time never runs past the deadline, so one timer stands for both: no
    // AbortSignal.any and no AbortSignal.timeout left pending (and to be collected) per attempt.
    const attemptMs = Math.max(1, Math.min(policy.attemptTimeoutMs, deadline.remainingMs()));
    const attempt = attemptTimeout(attemptMs);

    let failure: Failure;
    try {
      const response = await options.transport(req, {
        signal: attempt.signal,
        timeoutMs: attemptMs,
      });
      const verdict = options.classify(response);
      if (verdict.kind === 'final') return { response, attempts };
      if (verdict.kind === 'auth') {
        if (authRetried) return { response, attempts };
        authRetried = true;
        options.onAuthRejected();
        options.log?.debug('upstream retry', {
          provider,
          attempt: attempts,
          reason: `credentials rejected (HTTP ${response.status}${verdict.code ? ` ${verdict.code}` : ''}); read again`,
          waitMs: 0,
        });
        continue;
      }
      failure = { kind: verdict.kind, response, code: verdict.code };
    } catch (error) {
      if (!(error instanceof TransportFailure)) throw error;
      if (error.kind === 'too-large') {
        throw new UpstreamBadResponse(`${provider} sent ${error.message}`, { upstream: facts() });
      }
      if (deadline.remainingMs() <= 0 || deadline.signal.aborted) {
        throw giveUp({ kind: 'timeout', detail: error.message });
      }
      failure = { kind: error.kind, detail: error.message };
    } finally {
      attempt.clear();
    }

    const hinted =
      failure.kind === 'throttled'
        ? parseRetryAfter(failure.response.headers['retry-after'])
        : undefined;
    if (retries + 1 >= policy.maxAttempts) throw giveUp(failure, hinted);
    const base = failure.kind === 'throttled' ? policy.throttleBaseMs : policy.retryBaseMs;
    const jittered = backoffMs(base, retries, policy.maxBackoffMs, random);
    // The cloud's Retry-After is waited in full, not capped like our own backoff: trying sooner
    // would be throttled again. One longer than the time left ends the call at once, with it.
    const delay = Math.max(jittered, hinted ?? 0);
    if (delay + MIN_ATTEMPT_MS > deadline.remainingMs()) throw giveUp(failure, hinted ?? delay);
    options.log?.debug('upstream retry', {
      provider,
      attempt: attempts,
      reason:
        'response' in failure
          ? `HTTP ${failure.response.status}${failure.code ? ` ${failure.code}` : ''}`
          : `${failure.kind}: ${failure.detail}`,
      waitMs: delay,
    });
    await sleep(delay, deadline.signal);
    retries += 1;
  }
};
