// Lambda inputs for handlers run outside Lambda (tests, benchmarks, local runs): an API Gateway HTTP
// API (payload 2.0) event and a context whose remaining time the caller chooses.

import { randomUUID } from 'node:crypto';
import type {
  APIGatewayProxyEventV2,
  APIGatewayProxyStructuredResultV2,
  Context,
} from 'aws-lambda';

export const lambdaContext = (remainingMs = 29_500): Context => {
  const end = Date.now() + remainingMs;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: 'test-function',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:eu-central-1:000000000000:function:test-function',
    memoryLimitInMB: '512',
    awsRequestId: randomUUID(),
    logGroupName: '/aws/lambda/test-function',
    logStreamName: 'test',
    getRemainingTimeInMillis: () => Math.max(0, end - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
};

export interface RouteRequest {
  method: 'GET' | 'POST' | 'DELETE';
  /** The route's path template, e.g. `/retirements/plans/{planId}`. */
  route: string;
  pathParameters?: Record<string, string>;
  query?: Record<string, string>;
  /** Sent as JSON (a string is sent as it is). */
  body?: unknown;
  headers?: Record<string, string>;
  /** The IAM identity API Gateway would pass on (the `createdBy` of plans and runs). */
  callerArn?: string;
}

/** An API Gateway HTTP API (payload 2.0) event for one route. */
export const routeEvent = (request: RouteRequest): APIGatewayProxyEventV2 => {
  const { method, route, pathParameters = {}, query = {} } = request;
  const rawQueryString = new URLSearchParams(query).toString();
  const path = route.replace(/\{(\w+)\}/g, (_, name: string) => pathParameters[name] ?? '');
  const routeKey = `${method} ${route}`;
  const event: APIGatewayProxyEventV2 = {
    version: '2.0',
    routeKey,
    rawPath: path,
    rawQueryString,
    headers: { host: 'localhost', ...request.headers },
    ...(Object.keys(query).length > 0 ? { queryStringParameters: query } : {}),
    ...(Object.keys(pathParameters).length > 0 ? { pathParameters } : {}),
    ...(request.body === undefined
      ? {}
      : {
          body: typeof request.body === 'string' ? request.body : JSON.stringify(request.body),
        }),
    isBase64Encoded: false,
    requestContext: {
      accountId: '000000000000',
      apiId: 'test',
      domainName: 'localhost',
      domainPrefix: 'localhost',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'vitest' },
      requestId: randomUUID(),
      routeKey,
      stage: '$default',
      time: new Date().toUTCString(),
      timeEpoch: Date.now(),
    },
  };
  if (request.callerArn !== undefined) {
    (event.requestContext as unknown as { authorizer: unknown }).authorizer = {
      iam: { userArn: request.callerArn },
    };
  }
  return event;
};

/** An event for the show or delete route. */
export const httpEvent = (
  method: 'GET' | 'DELETE',
  provider: string,
  imageId: string,
  query: Record<string, string> = {},
): APIGatewayProxyEventV2 =>
  routeEvent({
    method,
    route: '/images/{provider}/{imageId}',
    pathParameters: { provider, imageId },
    query,
  });

export interface ParsedResponse {
  status: number;
  headers: Record<string, string>;
  body: Record<string, unknown>;
}

/** The handler's result with its JSON body parsed. */
export const parseResult = (result: APIGatewayProxyStructuredResultV2): ParsedResponse => ({
  status: result.statusCode ?? 0,
  headers: Object.fromEntries(
    Object.entries(result.headers ?? {}).map(([name, value]) => [name, String(value)]),
  ),
  body: JSON.parse(result.body ?? '{}') as Record<string, unknown>,
});
