// Floor (not product code): a fresh process that loads undici's Agent and request API by module path,
// as lib/http/transport.ts does, and sends one GET to the bench upstream. No cold start of ours can
// be cheaper than this with undici as its client.
import apiRequest from 'undici/lib/api/api-request.js';
import Agent from 'undici/lib/dispatcher/agent.js';

const agent = new Agent({ connections: 64 });
const response = await apiRequest.call(agent, {
  origin: process.env.MODELARTS_ENDPOINT ?? '',
  path: `/v1/project/images/${process.env.BENCH_IMAGE_ID ?? ''}`,
  method: 'GET',
});
await response.body.text();
