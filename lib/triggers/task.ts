// Direct invocation and Step Functions tasks: the input is the operation's input as JSON, the
// output is the HTTP body's JSON, and a failure is thrown with the spec's error `name` so that a
// state machine's Retry/Catch can match it. Nothing but our own errors reaches the caller as it
// is: anything else (a bug) becomes an `InternalError` with a generic message.

import { isImageError, UpstreamTimeout } from '../errors.js';
import type { LogFields } from '../log.js';

/**
 * Not one of the spec's errors: what a caller sees instead of a bug. `name` is a literal so that
 * minified bundles keep it (Step Functions matches on it); the message says nothing about the bug.
 */
export class InternalError extends Error {
  override readonly name = 'InternalError';

  constructor() {
    super('internal error');
    // The Lambda runtime reports `stack` as the error's trace: keep it to the name and message.
    this.stack = `${this.name}: ${this.message}`;
  }
}

/** The error a task handler throws for `error`: ours as they are, middy's early timeout as ours, anything else generic. */
export const toTaskError = (error: unknown): Error => {
  if (isImageError(error)) return error;
  // middy's own early timeout (5 ms before the Lambda's); our deadline normally fires first.
  if (error instanceof Error && error.name === 'TimeoutError') {
    return new UpstreamTimeout('no answer from the provider within the time left');
  }
  return new InternalError();
};

const text = (value: unknown): string | undefined =>
  typeof value === 'string' ? value.slice(0, 100) : undefined;

/** What the log line says about the request, read defensively: the input is not validated yet. */
export const taskLogFields = (input: unknown): LogFields => {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) return {};
  const record = input as Record<string, unknown>;
  return {
    provider: text(record.provider),
    imageId: text(record.imageId),
    region: text(record.region),
    ...(typeof record.force === 'boolean' ? { force: record.force } : {}),
    ...(typeof record.dryRun === 'boolean' ? { dryRun: record.dryRun } : {}),
  };
};

/** The outcome word for the log line: `shown` for a show, the DeleteResult's outcome for a delete. */
export const taskOutcome = (result: unknown): string | undefined => {
  if (result === null || typeof result !== 'object') return undefined;
  const outcome = (result as { outcome?: unknown }).outcome;
  if (typeof outcome === 'string') return outcome;
  return 'image' in result ? 'shown' : undefined;
};
