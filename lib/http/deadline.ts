// The time a call has left. Derived from the Lambda's remaining time, so that a fault upstream
// is reported with the documented error before the platform kills the function.

export interface Deadline {
  /** Epoch ms after which no upstream work may run. */
  readonly at: number;
  remainingMs(): number;
  /**
   * Aborts when the deadline passes. Made on first use: a warm request that never waits on
   * anything (credentials cached, no retry, no pacing) leaves no timer behind. An
   * `AbortSignal.timeout` per request would stay pending, and then be collected, for the whole
   * budget (29 s for HTTP): tens of thousands of live timers in a busy warm process.
   */
  readonly signal: AbortSignal;
}

/** Time kept back from the Lambda's remaining time to shape and return the answer. */
export const RESPONSE_MARGIN_MS = 500;

// A class, not an object literal: a literal with a getter is built on V8's slow path, per request.
class LazyDeadline implements Deadline {
  #signal: AbortSignal | undefined;
  constructor(
    readonly at: number,
    private readonly now: () => number,
  ) {}

  remainingMs(): number {
    return Math.max(0, this.at - this.now());
  }

  get signal(): AbortSignal {
    if (this.#signal === undefined) {
      const left = this.remainingMs();
      // Past the deadline already: aborted now, as a timer that had been running would be.
      this.#signal =
        left > 0
          ? AbortSignal.timeout(left)
          : AbortSignal.abort(
              new DOMException('The operation was aborted due to timeout', 'TimeoutError'),
            );
    }
    return this.#signal;
  }
}

export const deadlineIn = (ms: number, now: () => number = Date.now): Deadline =>
  new LazyDeadline(now() + Math.max(0, ms), now);

/** A deadline `ms` before `deadline`: the rest is kept for what must follow (a batch's publish). */
export const deadlineBefore = (
  deadline: Deadline,
  ms: number,
  now: () => number = Date.now,
): Deadline => new LazyDeadline(deadline.at - Math.max(0, ms), now);

/** A deadline from a Lambda context, less the response margin, capped (API Gateway gives up at 30 s). */
export const deadlineFromContext = (
  context: { getRemainingTimeInMillis?: () => number } | undefined,
  capMs: number,
): Deadline => {
  const remaining = context?.getRemainingTimeInMillis?.() ?? capMs;
  return deadlineIn(Math.min(capMs, remaining - RESPONSE_MARGIN_MS));
};
