// The HTTP handlers' middy middleware: starts the invocation (deadline, deps, logger) before the
// handler, maps every failure to the spec's error body, and writes one log line per request:
// trigger, operation, provider, image id, region (as resolved), outcome, HTTP status, upstream
// status / request id / attempts, duration, the correlation ids (the Lambda request id, API
// Gateway's request id as `correlationId`, the X-Ray `traceId`) and the request's CloudWatch
// metrics (EMF, lib/metrics.ts).

import type { MiddlewareObj } from '@middy/core';
import type { Context } from 'aws-lambda';
import { isImageError } from '../errors.js';
import { createLogger, type LogFields } from '../log.js';
import { metricFields } from '../metrics.js';
import { type Invocation, startInvocation, traceIdOf, upstreamSummary } from '../runtime.js';
import {
  bodyValueOf,
  errorResponse,
  type HttpEvent,
  type HttpResult,
  requestIdOf,
} from '../triggers/http.js';

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

/** `shown` for a show, the DeleteResult's outcome for a delete. */
const outcomeOf = (response: HttpResult | null | undefined): string => {
  if (response?.statusCode !== 200 || typeof response.body !== 'string') return 'unknown';
  const body = bodyValueOf(response as HttpResult & { body: string }) as { outcome?: unknown };
  return typeof body.outcome === 'string' ? body.outcome : 'shown';
};

/** The measured part of the line: region, time, upstream summary and the EMF metrics. */
const measured = (
  invocation: Invocation,
  fields: { provider?: unknown; region?: unknown },
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

export const httpApi = (
  operation: 'show' | 'delete',
): MiddlewareObj<HttpEvent, HttpResult, Error, Context> => {
  const fieldsOf = (event: HttpEvent, context: Context) => ({
    trigger: 'http',
    operation,
    requestId: requestIdOf(event, context.awsRequestId),
    correlationId: event.requestContext?.requestId,
    traceId: traceIdOf(event.headers?.['x-amzn-trace-id']),
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
      const outcome = outcomeOf(request.response);
      invocation.log.info('request completed', {
        status: request.response?.statusCode,
        outcome,
        // The two members of fieldsOf that measured reads, from the same event.
        ...measured(
          invocation,
          {
            provider: request.event.pathParameters?.provider,
            region: request.event.queryStringParameters?.region,
          },
          operation,
          outcome,
        ),
      });
    },
    onError: (request) => {
      const fields = fieldsOf(request.event, request.context);
      request.response = errorResponse(request.error, fields.requestId);
      const { invocation } = request.context as HttpContext;
      const log = invocation?.log ?? createLogger('info', fields);
      const error = request.error;
      const known = isImageError(error);
      // Anything but our own errors is a bug: named InternalError (its stack says what it was).
      const name = known ? error.name : 'InternalError';
      const entry = {
        status: request.response.statusCode,
        outcome: 'failed',
        error: name,
        errorMessage: error?.message,
        ...(known ? { upstream: error.upstream } : { stack: error?.stack }),
        ...(invocation ? measured(invocation, fields, operation, 'failed', name) : {}),
      };
      if (!known || (request.response.statusCode ?? 500) >= 500) log.error('request failed', entry);
      else log.warn('request failed', entry);
    },
  };
};
