// Direct invocation and Step Functions tasks: the input is the operation's input as JSON, the
// output is the HTTP body's JSON, and a failure is thrown with the spec's error `name` so that a
// state machine's Retry/Catch can match it. Nothing but our own errors reaches the caller as it
// is: anything else (a bug) becomes an `InternalError` with a generic message.

import { INTERNAL_ERROR } from '../errors/error-table.js';
import type { LogFields } from '../log/log.js';
import { bounded } from '../runtime/request-line.js';
import { documentedError, SUCCESS_WORD, type TriggerShape } from './pipeline.js';

/**
 * Not one of the spec's errors: what a caller sees instead of a bug. `name` is a literal so that
 * minified bundles keep it (Step Functions matches on it); the message says nothing about the bug.
 */
export class InternalError extends Error {
  override readonly name = INTERNAL_ERROR.name;

  constructor() {
    super('internal error');
    // The Lambda runtime reports `stack` as the error's trace: keep it to the name and message.
    this.stack = `${this.name}: ${this.message}`;
  }
}

/**
 * The error a task handler throws for `error`: ours, middy's early timeout as ours, anything else
 * generic. The Lambda runtime reports a thrown error's `stack` as the `trace` of its answer, which
 * Step Functions puts in the failure's Cause (and an async invocation's failure record in the
 * DLQ): ours leave with their name and message as their whole trace, as InternalError does, so no
 * stack frame of the bundle reaches a caller. The log line never took our errors' stacks.
 */
export const toTaskError = (error: unknown): Error => {
  const documented = documentedError(error);
  if (documented === undefined) return new InternalError();
  documented.stack = `${documented.name}: ${documented.message}`;
  return documented;
};

/** What the log line says about the request, read defensively: the input is not validated yet. */
export const taskLogFields = (input: unknown): LogFields => {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) return {};
  const record = input as Record<string, unknown>;
  return {
    provider: bounded(record.provider),
    imageId: bounded(record.imageId),
    region: bounded(record.region),
    ...(typeof record.force === 'boolean' ? { force: record.force } : {}),
    ...(typeof record.dryRun === 'boolean' ? { dryRun: record.dryRun } : {}),
  };
};

/** The longest a task may spend upstream when the context does not say (the Lambda's own timeout rules). */
const TASK_CAP_MS = 60_000;

/**
 * Tasks: one attempt upstream per invocation (`maxAttempts: 1`): the state machine's Retry (with
 * jitter, on the table's retryable errors) is the retry layer for these paths. Retrying here as
 * well would multiply the attempts and hide the throttling from the workflow.
 */
export const TASK_TRIGGER: TriggerShape<unknown, unknown> = {
  trigger: 'task',
  capMs: TASK_CAP_MS,
  maxAttempts: 1,
  fieldsOf: (event, context) => ({ requestId: context.awsRequestId, ...taskLogFields(event) }),
  outcomeOf: (result, operation) => {
    const outcome = (result as { outcome?: unknown } | null | undefined)?.outcome;
    return typeof outcome === 'string' ? outcome : SUCCESS_WORD[operation];
  },
  answer: (request, error) => {
    // Set rather than thrown: middy then rethrows it as it is (a throw here would get the
    // original error attached as `cause`).
    request.error = toTaskError(error);
  },
};

/** The longest a scheduled plan may take (the function's timeout is a little longer). */
const SCHEDULE_CAP_MS = 290_000;

/**
 * A scheduled invocation (EventBridge Scheduler): thrown errors like a task (the schedule's retry
 * policy and dead-letter queue see the name), but with the in-Lambda retries, since no state
 * machine retries it.
 */
export const SCHEDULE_TRIGGER: TriggerShape<unknown, unknown> = {
  ...TASK_TRIGGER,
  trigger: 'schedule',
  capMs: SCHEDULE_CAP_MS,
  maxAttempts: undefined,
  fieldsOf: (event, context) => {
    const policy = (event as { policy?: { name?: unknown; provider?: unknown } } | null)?.policy;
    return {
      requestId: context.awsRequestId,
      policyName: bounded(policy?.name),
      provider: bounded(policy?.provider),
    };
  },
};
