// The time a call has left. Derived from the Lambda's remaining time, so that a fault upstream
// is reported with the documented error before the platform kills the function.

export interface Deadline {
  /** Epoch ms after which no upstream work may run. */
  readonly at: number;
  remainingMs(): number;
  /** Aborts when the deadline passes. */
  readonly signal: AbortSignal;
}

/** Time kept back from the Lambda's remaining time to shape and return the answer. */
export const RESPONSE_MARGIN_MS = 500;

export const deadlineIn = (ms: number, now: () => number = Date.now): Deadline => {
  const budget = Math.max(0, ms);
  const at = now() + budget;
  return {
    at,
    remainingMs: () => Math.max(0, at - now()),
    signal: AbortSignal.timeout(Math.max(1, budget)),
  };
};

/** A deadline from a Lambda context, less the response margin, capped (API Gateway gives up at 30 s). */
export const deadlineFromContext = (
  context: { getRemainingTimeInMillis?: () => number } | undefined,
  capMs: number,
): Deadline => {
  const remaining = context?.getRemainingTimeInMillis?.() ?? capMs;
  return deadlineIn(Math.min(capMs, remaining - RESPONSE_MARGIN_MS));
};
