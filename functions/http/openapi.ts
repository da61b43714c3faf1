// GET /openapi.json: the HTTP API's OpenAPI 3.1 document, built from the same zod schemas the
// handlers validate and answer with (lib/openapi.ts); behind IAM like every route when deployed.

import { buildOpenApiDocument } from '../../lib/openapi/openapi.js';
import type { HttpResult } from '../../lib/triggers/http.js';
import { jsonResponse } from '../../lib/triggers/http.js';

let document: HttpResult | undefined;

export const handler = async (): Promise<HttpResult> => {
  document ??= jsonResponse(200, buildOpenApiDocument(), { 'cache-control': 'max-age=300' });
  return document;
};
