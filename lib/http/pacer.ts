// Pacing of upstream requests within one process, per (provider, region): a token bucket with a
// burst of 1, so requests to the same provider and region start at least 1/rate seconds apart
// (the first after a quiet spell starts at once). The rates are the process's share of the
// deployment's (lib/config/retirement-config.ts: UPSTREAM_RATE_LIMITS / SQS_MAX_CONCURRENCY), so M
// consumers together stay within what the operator set. Awaited before every attempt, throttling
// retries included.
//
// Slots are handed out in call order when `pace` is called (FIFO, no starvation). A caller whose
// deadline comes before its slot gets UpstreamTimeout and its slot back when no one queued after it.

import { type RateLimits, rateLimitFor } from '../config/retirement-config.js';
import { UpstreamTimeout } from '../errors/errors.js';

export interface PacerClock {
  /** Milliseconds on a monotonic clock. */
  now(): number;
  /** Resolves after `ms`, or as soon as `signal` aborts (never rejects). */
  sleep(ms: number, signal: AbortSignal): Promise<void>;
}

export interface Pacer {
  /**
   * Resolves when a request to `provider` in `region` may start. Rejects with UpstreamTimeout,
   * without waiting further, when `signal` (the invocation's deadline) aborts first or has already
   * aborted. A provider without a rate is not paced.
   */
  pace(provider: string, region: string, signal: AbortSignal): Promise<void>;
  /** Milliseconds between two requests to that provider and region; 0 when not paced. */
  intervalMs(provider: string, region: string): number;
}

export const systemClock: PacerClock = {
  now: () => performance.now(),
  sleep: (ms, signal) =>
    new Promise((resolve) => {
      if (signal.aborted) return resolve();
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener('abort', done, { once: true });
    }),
};

const timeout = (provider: string, region: string, rate: number | undefined): UpstreamTimeout =>
  new UpstreamTimeout(
    rate === undefined
      ? `${provider} (${region}): the deadline passed before the request could start`
      : `${provider} (${region}): requests are paced at ${Number(rate.toFixed(3))}/s and the deadline came before this one's turn`,
    { upstream: { provider, attempts: 0 } },
  );

export const createPacer = (limits: RateLimits, clock: PacerClock = systemClock): Pacer => {
  /** Per `provider region`: the earliest time the next request may start. */
  const nextStart = new Map<string, number>();

  const intervalMs = (provider: string, region: string): number => {
    const rate = rateLimitFor(limits, provider, region);
    return rate === undefined ? 0 : 1000 / rate;
  };

  const pace = async (provider: string, region: string, signal: AbortSignal): Promise<void> => {
    const rate = rateLimitFor(limits, provider, region);
    if (signal.aborted) throw timeout(provider, region, rate);
    if (rate === undefined) return;
    const interval = 1000 / rate;
    const key = `${provider} ${region}`;
    const now = clock.now();
    const slot = Math.max(now, nextStart.get(key) ?? now);
    const after = slot + interval;
    nextStart.set(key, after);
    if (slot <= now) return;
    await clock.sleep(slot - now, signal);
    if (signal.aborted) {
      // Give the slot back when it was the last one handed out and is still to come; otherwise the
      // gap stays (slower, never faster, than the rate).
      if (nextStart.get(key) === after && clock.now() < slot) nextStart.set(key, slot);
      throw timeout(provider, region, rate);
    }
  };

  return { pace, intervalMs };
};
