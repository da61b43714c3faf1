// The task handlers' middy middleware (direct invocation, Step Functions): starts the invocation
// (deadline, deps, logger) before the handler, writes one log line per invocation, and makes sure
// that what is thrown is one of the spec's named errors or a generic InternalError.
//
// One attempt upstream per invocation (`maxAttempts: 1`): the state machine's Retry (with jitter,
// on UpstreamThrottled/UpstreamUnavailable/UpstreamTimeout) is the retry layer for these paths.
// Retrying here as well would multiply the attempts and hide the throttling from the workflow.

import type { MiddlewareObj } from '@middy/core';
import type { Context } from 'aws-lambda';
import { isImageError } from '../errors.js';
import { createLogger, type LogFields } from '../log.js';
import { metricFields } from '../metrics.js';
import { type Invocation, startInvocation, upstreamSummary } from '../runtime.js';
import { taskLogFields, taskOutcome, toTaskError } from '../triggers/task.js';

/** The longest a task may spend upstream when the context does not say (the Lambda's own timeout rules). */
const TASK_CAP_MS = 60_000;

interface TaskContext extends Context {
  invocation?: Invocation;
}

/** The invocation the middleware started for this request. */
export const taskInvocationOf = (context: Context): Invocation => {
  const { invocation } = context as TaskContext;
  if (invocation === undefined) throw new Error('task middleware did not run');
  return invocation;
};

/** The measured part of the line: region, time, upstream summary and the EMF metrics (lib/metrics.ts). */
const measured = (
  invocation: Invocation,
  fields: LogFields,
  operation: 'show' | 'delete',
  outcome: string,
  error?: string,
): LogFields => {
  const calls = invocation.deps.context.calls;
  return {
    region: invocation.region() ?? fields.region,
    durationMs: Math.round(performance.now() - invocation.startedAt),
    ...upstreamSummary(calls),
    ...metricFields({ provider: fields.provider, operation, outcome, error, calls }),
  };
};

/** A caller's mistake or the image's state, not ours: logged as a warning. */
const CALLER_ERRORS = new Set(['InvalidRequest', 'ImageProtected', 'ImageNotFound', 'ImageBusy']);

export const taskInvocation = (
  operation: 'show' | 'delete',
): MiddlewareObj<unknown, unknown, Error, Context> => {
  const fieldsOf = (event: unknown, context: Context): LogFields => ({
    trigger: 'task',
    operation,
    requestId: context.awsRequestId,
    ...taskLogFields(event),
  });

  return {
    before: (request) => {
      (request.context as TaskContext).invocation = startInvocation(
        request.context,
        { capMs: TASK_CAP_MS, maxAttempts: 1 },
        fieldsOf(request.event, request.context),
      );
    },
    after: (request) => {
      const invocation = taskInvocationOf(request.context);
      const outcome = taskOutcome(request.response) ?? 'unknown';
      invocation.log.info('task completed', {
        outcome,
        ...measured(invocation, fieldsOf(request.event, request.context), operation, outcome),
      });
    },
    onError: (request) => {
      const { invocation } = request.context as TaskContext;
      const log = invocation?.log ?? createLogger('info', fieldsOf(request.event, request.context));
      const error: unknown = request.error;
      const thrown = toTaskError(error);
      const known = isImageError(error);
      const entry = {
        outcome: 'failed',
        error: thrown.name,
        errorMessage: known ? error.message : (error as Error | undefined)?.message,
        ...(known ? { upstream: error.upstream } : { stack: (error as Error | undefined)?.stack }),
        ...(invocation
          ? measured(
              invocation,
              fieldsOf(request.event, request.context),
              operation,
              'failed',
              thrown.name,
            )
          : {}),
      };
      if (known && CALLER_ERRORS.has(error.name)) log.warn('task failed', entry);
      else log.error('task failed', entry);
      // Set rather than thrown: middy then rethrows it as it is (a throw here would get the
      // original error attached as `cause`).
      request.error = thrown;
    },
  };
};
