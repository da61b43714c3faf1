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

export const httpEvent = (
  method: 'GET' | 'DELETE',
  provider: string,
  imageId: string,
  query: Record<string, string> = {},
): APIGatewayProxyEventV2 => {
  const rawQueryString = new URLSearchParams(query).toString();
  const path = `/images/${provider}/${imageId}`;
  return {
    version: '2.0',
    routeKey: `${method} /images/{provider}/{imageId}`,
    rawPath: path,
    rawQueryString,
    headers: { host: 'localhost' },
    ...(Object.keys(query).length > 0 ? { queryStringParameters: query } : {}),
    pathParameters: { provider, imageId },
    isBase64Encoded: false,
    requestContext: {
      accountId: '000000000000',
      apiId: 'test',
      domainName: 'localhost',
      domainPrefix: 'localhost',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'vitest' },
      requestId: randomUUID(),
      routeKey: `${method} /images/{provider}/{imageId}`,
      stage: '$default',
      time: new Date().toUTCString(),
      timeEpoch: Date.now(),
    },
  };
};

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
