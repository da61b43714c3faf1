// GET /openapi.json: the HTTP API's OpenAPI 3.1 document, behind IAM like every route when
// deployed. The document is built from the handlers' zod schemas (lib/openapi) by
// `npm run openapi` into docs/openapi.json, which a test keeps fresh; this function serves that
// file as it is, so it carries no schema, provider or runtime code (and starts in a few ms).

import document from '../../docs/openapi.json' with { type: 'json' };
import type { HttpResult } from '../../lib/triggers/http.js';

const response: HttpResult = {
  statusCode: 200,
  headers: { 'content-type': 'application/json', 'cache-control': 'max-age=300' },
  body: JSON.stringify(document),
};

export const handler = async (): Promise<HttpResult> => response;
