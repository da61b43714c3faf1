// The one builder of a request's log line, for every trigger: what was asked (bounded: the input
// is not validated yet when the line's base is made), what came of it, the upstream summary and
// the request's EMF metrics.

import { ERROR_TABLE, type OperationName, specNamed } from '../errors/error-table.js';
import { isImageError } from '../errors/errors.js';
import type { LogFields } from '../log/log.js';
import { mappedStack } from '../log/mapped-stack.js';
import type { Invocation } from './invocation.js';
import { metricFields, upstreamRetries } from './metrics.js';

/** The longest text a log line takes from unvalidated input (a 12 KB region stays out). */
export const MAX_LOGGED_INPUT = 100;

/** A string from the input, cut to MAX_LOGGED_INPUT characters; anything else is left out. */
export const bounded = (value: unknown): string | undefined =>
  typeof value === 'string'
    ? value.length > MAX_LOGGED_INPUT
      ? `${value.slice(0, MAX_LOGGED_INPUT)}…(${value.length} chars)`
      : value
    : undefined;

/** What the line says about the upstream calls: how many, retries, the last status and request id. */
const upstreamSummary = (invocation: Invocation): LogFields => {
  const { calls } = invocation.context;
  const last = calls.at(-1);
  return {
    upstreamCalls: calls.length,
    upstreamRetries: upstreamRetries(calls),
    upstreamStatus: last?.status,
    upstreamRequestId: last?.requestId,
  };
};

export interface Completion {
  operation: OperationName;
  /**
   * The provider asked for (metrics take it only when it is a registered cloud); the one the
   * operation found (a policy's, a plan's: the call context's) takes its place.
   */
  provider: unknown;
  /** The region asked for, when the operation resolved none. */
  region?: unknown;
  outcome: string;
}

/** A successful request's line fields. */
export const succeeded = (invocation: Invocation, completion: Completion): LogFields => ({
  outcome: completion.outcome,
  region: invocation.context.region ?? bounded(completion.region),
  durationMs: Math.round(performance.now() - invocation.startedAt),
  ...upstreamSummary(invocation),
  ...metricFields({
    provider: invocation.context.provider ?? completion.provider,
    operation: completion.operation,
    outcome: completion.outcome,
    calls: invocation.context.calls,
  }),
});

/** A failed request's line fields, and whether it is worth an `error` line (or a `warn`). */
export const failed = (
  invocation: Invocation | undefined,
  completion: Omit<Completion, 'outcome'>,
  error: unknown,
  /** A failure that is no error of ours nor a bug (an SQS record left for lack of time). */
  named?: string,
): { level: 'warn' | 'error'; fields: LogFields } => {
  const known = isImageError(error);
  // Anything but our own errors is a bug: named InternalError (its stack says what it was).
  const name = named ?? (known ? error.name : 'InternalError');
  const fields: LogFields = {
    outcome: 'failed',
    error: name,
    errorMessage: error instanceof Error ? error.message : String(error),
    ...(known
      ? { upstream: error.upstream, detail: error.logDetail }
      : named === undefined
        ? { stack: mappedStack(error) }
        : {}),
  };
  if (invocation !== undefined) {
    Object.assign(fields, {
      region: invocation.context.region ?? bounded(completion.region),
      durationMs: Math.round(performance.now() - invocation.startedAt),
      ...upstreamSummary(invocation),
      ...metricFields({
        provider: invocation.context.provider ?? completion.provider,
        operation: completion.operation,
        outcome: 'failed',
        error: name,
        calls: invocation.context.calls,
      }),
    });
  }
  return { level: known ? ERROR_TABLE[error.name].logLevel : 'error', fields };
};

/**
 * The line of a request whose outcome is a failure it recorded rather than threw (a run's
 * decision `failed`): as a thrown failure's, the error named in the line and as the metrics' error
 * dimension, at the error table's level for it (`error` for a name not in the table).
 */
export const recordedFailure = (
  invocation: Invocation,
  completion: Omit<Completion, 'outcome'>,
  failure: { error?: string | undefined; reason?: string | undefined },
): { level: 'warn' | 'error'; fields: LogFields } => {
  const name = failure.error ?? 'InternalError';
  const { fields } = failed(invocation, completion, new Error(failure.reason ?? 'failed'), name);
  return { level: specNamed(name)?.logLevel ?? 'error', fields };
};
