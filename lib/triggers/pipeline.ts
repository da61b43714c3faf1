// The one invocation pipeline, as middy middleware: every HTTP request and task invocation starts
// the same way (deadline, providers, logger: lib/runtime/invocation.ts), answers a failure the
// trigger's way, and writes its one log line through lib/runtime/request-line.ts. SQS records go
// through the same start and line builder, one record at a time (sqs.ts). The only place that
// knows middy.
//
// At the first invocation of a process (its cold start) the whole configuration is checked once,
// and anything wrong is one clear log line; the invocation then answers ConfigurationError.

import type { MiddlewareObj, Request } from '@middy/core';
import type { Context } from 'aws-lambda';
import { serviceConfig } from '../config/service-config.js';
import type { OperationName } from '../errors/error-table.js';
import { type ImageError, isImageError, UpstreamTimeout } from '../errors/errors.js';
import { createLogger, type LogFields } from '../log/log.js';
import { configurationProblems } from '../runtime/composition.js';
import { type Invocation, type InvocationOptions, startInvocation } from '../runtime/invocation.js';
import { failed, succeeded } from '../runtime/request-line.js';

/** The outcome word of a success that carries none of its own. */
/**
 * One of our errors for `error` when it is one, or middy's own early timeout (5 ms before the
 * Lambda's; the deadline normally ends every wait first) as the documented UpstreamTimeout;
 * undefined for anything else (a bug, reported as an internal error).
 */
export const documentedError = (error: unknown): ImageError | undefined => {
  if (isImageError(error)) return error;
  if (error instanceof Error && error.name === 'TimeoutError') {
    return new UpstreamTimeout('no answer from the provider within the time left');
  }
  return undefined;
};

export const SUCCESS_WORD: Readonly<Record<OperationName, string>> = {
  show: 'shown',
  delete: 'deleted',
  list: 'listed',
  usage: 'checked',
  plan: 'planned',
  'read-plan': 'read',
  apply: 'started',
  'read-run': 'read',
};

export interface TriggerShape<E, R> extends InvocationOptions {
  trigger: 'http' | 'task' | 'schedule';
  /** The line's base fields from the raw event: bounded, the input is not validated yet. */
  fieldsOf(event: E, context: Context): LogFields & { provider?: unknown; region?: unknown };
  outcomeOf(response: R | null | undefined, operation: OperationName): string;
  /** Answers a failure: an HTTP error response, or the error a task throws. */
  answer(request: Request<E, R, Error, Context>, error: unknown, fields: LogFields): void;
}

interface PipelineContext extends Context {
  invocation?: Invocation;
}

/** The invocation the pipeline started for this request. */
export const invocationOf = (context: Context): Invocation => {
  const { invocation } = context as PipelineContext;
  if (invocation === undefined) throw new Error('the invocation pipeline did not run');
  return invocation;
};

let checked = false;

/** Once per process: one line naming everything wrong with the configuration. */
export const checkConfigurationOnce = (): void => {
  if (checked) return;
  checked = true;
  const problems = configurationProblems();
  if (problems.length > 0) {
    createLogger('error', { source: 'configuration' }).error(
      'configuration invalid: requests that read what is wrong fail until it is fixed',
      { problems },
    );
  }
};

export const pipeline = <E, R>(
  shape: TriggerShape<E, R>,
  operation: OperationName,
): MiddlewareObj<E, R, Error, Context> => ({
  before: (request) => {
    checkConfigurationOnce();
    (request.context as PipelineContext).invocation = startInvocation(request.context, shape, {
      trigger: shape.trigger,
      operation,
      ...shape.fieldsOf(request.event, request.context),
    });
  },
  after: (request) => {
    const invocation = invocationOf(request.context);
    const fields = shape.fieldsOf(request.event, request.context);
    invocation.log.info(`${shape.trigger === 'http' ? 'request' : shape.trigger} completed`, {
      ...(shape.trigger === 'http'
        ? { status: (request.response as { statusCode?: number } | undefined)?.statusCode }
        : {}),
      ...succeeded(invocation, {
        operation,
        provider: fields.provider,
        region: fields.region,
        outcome: shape.outcomeOf(request.response, operation),
      }),
    });
  },
  onError: (request) => {
    const fields = {
      trigger: shape.trigger,
      operation,
      ...shape.fieldsOf(request.event, request.context),
    };
    const error: unknown = request.error;
    shape.answer(request, error, fields);
    const { invocation } = request.context as PipelineContext;
    const log = invocation?.log ?? createLogger(safeLogLevel(), fields);
    const line = failed(
      invocation,
      { operation, provider: fields.provider, region: fields.region },
      error,
    );
    const status = (request.response as { statusCode?: number } | undefined)?.statusCode;
    log[line.level](`${shape.trigger === 'http' ? 'request' : shape.trigger} failed`, {
      ...(status === undefined ? {} : { status }),
      ...line.fields,
    });
  },
});

/** The configured log level, or `info` when the configuration itself is what failed. */
export const safeLogLevel = () => {
  try {
    return serviceConfig().logLevel;
  } catch {
    return 'info' as const;
  }
};
