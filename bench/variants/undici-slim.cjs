// What-if variant (not product code): `undici` as lib/http/transport.ts uses it (Agent and
// request(url, options)), from undici's own files, without the rest of index.js (fetch, WebSocket,
// EventSource, cache, mock, proxy agents, interceptors). bench/cold.ts points transport.ts's
// `import ... from 'undici'` here to measure what trimming undici would save.
'use strict';

const Agent = require('undici/lib/dispatcher/agent.js');
const apiRequest = require('undici/lib/api/api-request.js');

/** undici's request(url, options) for a string URL and an explicit dispatcher (index.js makeDispatcher). */
function request(url, options) {
  const { dispatcher, ...rest } = options;
  const parsed = new URL(url);
  return apiRequest.call(dispatcher, {
    ...rest,
    origin: parsed.origin,
    path: parsed.search ? `${parsed.pathname}${parsed.search}` : parsed.pathname,
    method: options.method || (options.body ? 'PUT' : 'GET'),
  });
}

module.exports = { Agent, request };
