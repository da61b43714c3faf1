// What-if variant (not product code): undici's Agent taken from the package root, as
// lib/http/transport.ts imported it before it imported Agent and the request API by module path.
// bench/cold.ts points transport.ts's `undici/lib/dispatcher/agent.js` here, so that the bundle
// holds all of undici's index.js again (fetch, WebSocket, EventSource, caches, mocks, proxies).
'use strict';

module.exports = require('undici').Agent;
