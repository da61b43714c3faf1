// Request-rate limiting per cloud and access key, as a token bucket (what APIG's per-user flow
// control does): each key starts with `burst` tokens, earns `perSecond` a second up to `burst`, and
// a request without a token is throttled. Counts what each key sent, so a test or benchmark can
// tell how close a client came to the limit.

import type { RateLimit, RateLimitOptions } from './options.js';
import type { ProviderKey } from './types.js';

export interface RateLimitCounter {
  provider: ProviderKey;
  accessKeyId: string;
  /** Requests let through. */
  admitted: number;
  /** Requests refused for the rate. */
  throttled: number;
  /** The most requests (admitted or throttled) that arrived within any one second. */
  peakPerSecond: number;
  /** The most admitted requests within any one second. */
  peakAdmittedPerSecond: number;
}

export type RateDecision = { admitted: true } | { admitted: false; limitPerSecond: number };

/** Arrival times within the last second, oldest first, and the most ever seen at once. */
class SlidingSecond {
  #times: number[] = [];
  #head = 0;
  peak = 0;

  add(nowMs: number): void {
    while (this.#head < this.#times.length && (this.#times[this.#head] as number) <= nowMs - 1000) {
      this.#head += 1;
    }
    if (this.#head > 1024 && this.#head * 2 > this.#times.length) {
      this.#times = this.#times.slice(this.#head);
      this.#head = 0;
    }
    this.#times.push(nowMs);
    this.peak = Math.max(this.peak, this.#times.length - this.#head);
  }
}

interface KeyState {
  counter: Omit<RateLimitCounter, 'peakPerSecond' | 'peakAdmittedPerSecond'>;
  arrivals: SlidingSecond;
  admissions: SlidingSecond;
  tokens: number;
  refilledAt: number | undefined;
}

const burstOf = (limit: RateLimit): number =>
  limit.burst ?? Math.max(1, Math.ceil(limit.perSecond));

export class RateLimiter {
  #limits: RateLimitOptions;
  readonly #keys = new Map<string, KeyState>();

  constructor(limits: RateLimitOptions = {}) {
    this.#limits = structuredClone(limits);
  }

  /** The limits in force ({} = none). */
  get limits(): RateLimitOptions {
    return structuredClone(this.#limits);
  }

  /** Replace the limits; every key starts again with a full bucket. Counters are kept. */
  set(limits: RateLimitOptions): void {
    this.#limits = structuredClone(limits);
    for (const state of this.#keys.values()) state.refilledAt = undefined;
  }

  /** Count one authenticated request and decide whether it may pass. */
  take(provider: ProviderKey, accessKeyId: string, nowMs: number): RateDecision {
    const k = `${provider}\u0000${accessKeyId}`;
    let state = this.#keys.get(k);
    if (state === undefined) {
      state = {
        counter: { provider, accessKeyId, admitted: 0, throttled: 0 },
        arrivals: new SlidingSecond(),
        admissions: new SlidingSecond(),
        tokens: 0,
        refilledAt: undefined,
      };
      this.#keys.set(k, state);
    }
    state.arrivals.add(nowMs);
    const limit = this.#limits[provider];
    if (limit !== undefined) {
      const burst = burstOf(limit);
      // A fresh bucket is full; time running backwards (a test clock) earns nothing.
      state.tokens =
        state.refilledAt === undefined
          ? burst
          : Math.min(
              burst,
              state.tokens + (Math.max(0, nowMs - state.refilledAt) * limit.perSecond) / 1000,
            );
      state.refilledAt = nowMs;
      if (state.tokens < 1) {
        state.counter.throttled += 1;
        return { admitted: false, limitPerSecond: limit.perSecond };
      }
      state.tokens -= 1;
    }
    state.counter.admitted += 1;
    state.admissions.add(nowMs);
    return { admitted: true };
  }

  /** Per cloud and access key, in first-seen order. */
  counters(): RateLimitCounter[] {
    return [...this.#keys.values()].map((state) => ({
      ...state.counter,
      peakPerSecond: state.arrivals.peak,
      peakAdmittedPerSecond: state.admissions.peak,
    }));
  }

  /** Forget the counters and buckets (the limits stay). */
  clearCounters(): void {
    this.#keys.clear();
  }
}
