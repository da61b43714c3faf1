// The pacer on a virtual clock: the times asserted are the fake clock's, never the wall clock's.
// Spacing per (provider, region) at the configured rate, burst 1, independence of keys, region
// overrides, FIFO order, deadlines (UpstreamTimeout, slot given back), and a property: every start
// is max(arrival, previous start + interval) for any arrival pattern.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadRetirementConfig, shareOf } from '../../lib/config/retirement-config.js';
import { UpstreamTimeout } from '../../lib/errors/errors.js';
import { createPacer, type PacerClock, systemClock } from '../../lib/http/pacer.js';

/** A clock that moves only when told to; sleeping callers wake in time order. */
class VirtualClock implements PacerClock {
  private time = 0;
  private timers: { at: number; wake: () => void }[] = [];

  now = (): number => this.time;

  sleep = (ms: number, signal: AbortSignal): Promise<void> =>
    new Promise((resolve) => {
      if (signal.aborted) return resolve();
      const timer = { at: this.time + ms, wake: () => resolve() };
      this.timers.push(timer);
      signal.addEventListener(
        'abort',
        () => {
          this.timers = this.timers.filter((other) => other !== timer);
          resolve();
        },
        { once: true },
      );
    });

  /** Move to `to`, waking every sleeper due on the way, in order, with its callbacks run. */
  async advanceTo(to: number): Promise<void> {
    for (;;) {
      await settle();
      const due = this.timers
        .filter((timer) => timer.at <= to)
        .sort((left, right) => left.at - right.at)[0];
      if (due === undefined) break;
      this.timers = this.timers.filter((timer) => timer !== due);
      this.time = due.at;
      due.wake();
    }
    this.time = to;
    await settle();
  }

  advance(ms: number): Promise<void> {
    return this.advanceTo(this.time + ms);
  }
}

/** Let resolved promises run their continuations. */
const settle = async () => {
  for (let index = 0; index < 10; index += 1) await Promise.resolve();
};

const limits = (value: string) => loadRetirementConfig({ UPSTREAM_RATE_LIMITS: value }).rateLimits;
const never = new AbortController().signal;

/** Starts `count` requests at the current time; records the virtual time each may start. */
const startMany = (
  pace: (signal: AbortSignal) => Promise<void>,
  clock: VirtualClock,
  count: number,
) => {
  const starts: number[] = [];
  const done = Promise.all(
    Array.from({ length: count }, () => pace(never).then(() => starts.push(clock.now()))),
  );
  return { starts, done };
};

describe('createPacer', () => {
  it('spaces requests to one provider and region at the rate: 10/s is one every 100 ms', async () => {
    const clock = new VirtualClock();
    const pacer = createPacer(limits('modelarts=10'), clock);

    const { starts, done } = startMany(
      (signal) => pacer.pace('modelarts', 'cn-north-4', signal),
      clock,
      5,
    );
    await clock.advance(1_000);
    await done;

    expect(starts).toEqual([0, 100, 200, 300, 400]);
    expect(pacer.intervalMs('modelarts', 'cn-north-4')).toBe(100);
  });

  it('burst 1: after a quiet spell one request starts at once, the next waits a full interval', async () => {
    const clock = new VirtualClock();
    const pacer = createPacer(limits('bcc=4'), clock);
    await pacer.pace('bcc', 'bj', never);
    await clock.advance(10_000);

    const { starts, done } = startMany((signal) => pacer.pace('bcc', 'bj', signal), clock, 2);
    await clock.advance(1_000);
    await done;

    expect(starts).toEqual([10_000, 10_250]);
  });

  it('a request arriving after the interval has passed is not delayed', async () => {
    const clock = new VirtualClock();
    const pacer = createPacer(limits('bcc=4'), clock);
    await pacer.pace('bcc', 'bj', never);
    await clock.advance(300);

    await pacer.pace('bcc', 'bj', never);

    expect(clock.now()).toBe(300);
  });

  it('regions and providers have their own buckets; a region override sets its own rate', async () => {
    const clock = new VirtualClock();
    const pacer = createPacer(limits('modelarts=10,modelarts:cn-north-4=5,bcc=20'), clock);

    const north = startMany((s) => pacer.pace('modelarts', 'cn-north-4', s), clock, 3);
    const southeast = startMany((s) => pacer.pace('modelarts', 'ap-southeast-1', s), clock, 3);
    const bcc = startMany((s) => pacer.pace('bcc', 'bj', s), clock, 3);
    await clock.advance(1_000);
    await Promise.all([north.done, southeast.done, bcc.done]);

    expect(north.starts).toEqual([0, 200, 400]);
    expect(southeast.starts).toEqual([0, 100, 200]);
    expect(bcc.starts).toEqual([0, 50, 100]);
  });

  it("a process's share (SQS_MAX_CONCURRENCY = 5) is a fifth of the rate: 10/s becomes one every 500 ms", async () => {
    const clock = new VirtualClock();
    const pacer = createPacer(shareOf(limits('modelarts=10'), 5), clock);

    const { starts, done } = startMany((s) => pacer.pace('modelarts', 'x', s), clock, 3);
    await clock.advance(2_000);
    await done;

    expect(starts).toEqual([0, 500, 1_000]);
  });

  it('a provider without a rate is not paced', async () => {
    const clock = new VirtualClock();
    const pacer = createPacer(limits(''), clock);

    const { starts, done } = startMany((s) => pacer.pace('othercloud', 'r1', s), clock, 4);
    await done;

    expect(starts).toEqual([0, 0, 0, 0]);
    expect(pacer.intervalMs('othercloud', 'r1')).toBe(0);
  });

  it('requests start in the order they asked', async () => {
    const clock = new VirtualClock();
    const pacer = createPacer(limits('bcc=10'), clock);
    const order: number[] = [];

    const all = Promise.all(
      [0, 1, 2, 3].map((index) => pacer.pace('bcc', 'bj', never).then(() => order.push(index))),
    );
    await clock.advance(1_000);
    await all;

    expect(order).toEqual([0, 1, 2, 3]);
  });

  describe('deadlines', () => {
    it('a deadline that comes before the slot rejects with UpstreamTimeout at the deadline', async () => {
      const clock = new VirtualClock();
      const pacer = createPacer(limits('modelarts=1'), clock);
      await pacer.pace('modelarts', 'cn-north-4', never);
      const deadline = new AbortController();

      const waiting = pacer.pace('modelarts', 'cn-north-4', deadline.signal).then(
        () => 'started',
        (error: unknown) => error,
      );
      await clock.advance(300);
      deadline.abort();
      const error = await waiting;

      expect(error).toBeInstanceOf(UpstreamTimeout);
      expect((error as UpstreamTimeout).message).toContain('paced at 1/s');
      expect((error as UpstreamTimeout).upstream?.provider).toBe('modelarts');
      expect(clock.now()).toBe(300);
    });

    it('the last caller in line gives its slot back: the next one starts when that slot comes', async () => {
      const clock = new VirtualClock();
      const pacer = createPacer(limits('modelarts=1'), clock);
      await pacer.pace('modelarts', 'r', never);
      const deadline = new AbortController();
      const abandoned = pacer.pace('modelarts', 'r', deadline.signal).catch(() => 'timed out');
      await clock.advance(100);
      deadline.abort();
      await abandoned;

      const next = startMany((s) => pacer.pace('modelarts', 'r', s), clock, 1);
      await clock.advance(5_000);
      await next.done;

      expect(next.starts).toEqual([1_000]);
    });

    it('an already-aborted signal rejects at once, paced or not, and takes no slot', async () => {
      const clock = new VirtualClock();
      const pacer = createPacer(limits('bcc=1'), clock);
      const aborted = AbortSignal.abort();

      await expect(pacer.pace('bcc', 'bj', aborted)).rejects.toBeInstanceOf(UpstreamTimeout);
      await expect(pacer.pace('othercloud', 'x', aborted)).rejects.toBeInstanceOf(UpstreamTimeout);
      await pacer.pace('bcc', 'bj', never);
      expect(clock.now()).toBe(0);
    });
  });

  it('property: each start is max(arrival, previous start + interval), whatever the arrivals', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 50 }),
        fc.array(fc.integer({ min: 0, max: 500 }), { minLength: 1, maxLength: 30 }),
        async (rate, gaps) => {
          const clock = new VirtualClock();
          const pacer = createPacer(limits(`bcc=${rate}`), clock);
          const interval = 1000 / rate;
          const arrivals: number[] = [];
          const starts: number[] = [];
          const pending: Promise<unknown>[] = [];
          for (const gap of gaps) {
            await clock.advance(gap);
            arrivals.push(clock.now());
            const index = arrivals.length - 1;
            pending.push(
              pacer.pace('bcc', 'bj', never).then(() => {
                starts[index] = clock.now();
              }),
            );
          }
          await clock.advance(gaps.length * interval + 1);
          await Promise.all(pending);

          let previous = Number.NEGATIVE_INFINITY;
          arrivals.forEach((arrival, index) => {
            const expected = Math.max(arrival, previous + interval);
            expect(starts[index]).toBeCloseTo(expected, 6);
            previous = expected;
          });
        },
      ),
      { numRuns: 200 },
    );
  });

  it('the system clock paces too (order only: tests never assert wall-clock times)', async () => {
    const pacer = createPacer(limits('bcc=1000'), systemClock);
    const order: number[] = [];

    await Promise.all(
      [0, 1, 2].map((index) => pacer.pace('bcc', 'bj', never).then(() => order.push(index))),
    );

    expect(order).toEqual([0, 1, 2]);
  });
});
