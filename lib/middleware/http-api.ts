// The HTTP handlers' middy middleware: starts the invocation (deadline, deps, logger) before the
// handler, maps every failure to the spec's error body, and writes one log line per request.

import type { MiddlewareObj } from '@middy/core';
import type { Context } from 'aws-lambda';
import { isImageError } from '../errors.js';
import { createLogger } from '../log.js';
import { type Invocation, startInvocation, upstreamSummary } from '../runtime.js';
import { errorResponse, type HttpEvent, type HttpResult, requestIdOf } from '../triggers/http.js';

/** API Gateway gives up on an integration at 30 s. */
const HTTP_CAP_MS = 29_000;

interface HttpContext extends Context {
  invocation?: Invocation;
}

/** The invocation the middleware started for this request. */
export const invocationOf = (context: Context): Invocation => {
  const { invocation } = context as HttpContext;
  if (invocation === undefined) throw new Error('httpApi middleware did not run');
  return invocation;
};

const outcomeOf = (response: HttpResult | null | undefined): unknown => {
  if (response?.statusCode !== 200 || typeof response.body !== 'string') return undefined;
  const body = JSON.parse(response.body) as { outcome?: unknown };
  return body.outcome ?? 'shown';
};

export const httpApi = (
  operation: 'show' | 'delete',
): MiddlewareObj<HttpEvent, HttpResult, Error, Context> => {
  const fieldsOf = (event: HttpEvent, context: Context) => ({
    trigger: 'http',
    operation,
    requestId: requestIdOf(event, context.awsRequestId),
    provider: event.pathParameters?.provider,
    imageId: event.pathParameters?.imageId,
    region: event.queryStringParameters?.region,
  });

  return {
    before: (request) => {
      (request.context as HttpContext).invocation = startInvocation(
        request.context,
        { capMs: HTTP_CAP_MS },
        fieldsOf(request.event, request.context),
      );
    },
    after: (request) => {
      const invocation = invocationOf(request.context);
      invocation.log.info('request completed', {
        status: request.response?.statusCode,
        outcome: outcomeOf(request.response),
        durationMs: Math.round(performance.now() - invocation.startedAt),
        ...upstreamSummary(invocation.deps.context.calls),
      });
    },
    onError: (request) => {
      const fields = fieldsOf(request.event, request.context);
      request.response = errorResponse(request.error, fields.requestId);
      const { invocation } = request.context as HttpContext;
      const log = invocation?.log ?? createLogger('info', fields);
      const error = request.error;
      const known = isImageError(error);
      const entry = {
        status: request.response.statusCode,
        outcome: 'failed',
        error: error?.name,
        errorMessage: error?.message,
        ...(known ? { upstream: error.upstream } : { stack: error?.stack }),
        ...(invocation
          ? {
              durationMs: Math.round(performance.now() - invocation.startedAt),
              ...upstreamSummary(invocation.deps.context.calls),
            }
          : {}),
      };
      if (!known || (request.response.statusCode ?? 500) >= 500) log.error('request failed', entry);
      else log.warn('request failed', entry);
    },
  };
};
