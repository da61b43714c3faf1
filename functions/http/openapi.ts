// GET /openapi.json: the HTTP API's OpenAPI 3.1 document, behind IAM like every route when
// deployed. The document is built from the handlers' zod schemas (lib/openapi) by
// `npm run openapi` into docs/openapi.json, which a test keeps fresh; this function serves that
// file as it is, so it carries no schema, provider or runtime code (and starts in a few ms).
// Like every route without a body it refuses query parameters and a body (it takes neither) with
// the error table's 400.

import type { Context } from 'aws-lambda';
import document from '../../docs/openapi.json' with { type: 'json' };
import { specOf } from '../../lib/errors/error-table.js';
import { unknownFields } from '../../lib/schema/caller-names.js';
import type { HttpEvent, HttpResult } from '../../lib/triggers/http.js';

const response: HttpResult = {
  statusCode: 200,
  headers: { 'content-type': 'application/json', 'cache-control': 'max-age=300' },
  body: JSON.stringify(document),
};

const invalid = specOf('InvalidRequest');

export const handler = async (
  event?: Partial<HttpEvent>,
  context?: Partial<Context>,
): Promise<HttpResult> => {
  const names = Object.keys(event?.queryStringParameters ?? {});
  const hasBody = (event?.body ?? '').trim() !== '';
  if (names.length === 0 && !hasBody) return response;
  const requestId = context?.awsRequestId ?? event?.requestContext?.requestId ?? 'unknown';
  const message =
    names.length > 0 ? unknownFields(names) : 'body: this route takes no body (it has no input)';
  return {
    statusCode: invalid.httpStatus,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ error: { code: invalid.code, message, requestId } }),
  };
};
