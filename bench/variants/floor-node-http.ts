// Floor (not product code): Node's own HTTP client, loaded with require as the bundles load Node's
// built-ins (an ESM import of node:http would also load Node's internal undici for the
// WebSocket/MessageEvent getters of its module namespace), a keep-alive agent and one GET: what a
// transport on node:http would start from, beside floor-undici.ts.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const http = require('node:http') as typeof import('node:http');

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
await new Promise<void>((resolve, reject) => {
  http
    .get(
      `${process.env.MODELARTS_ENDPOINT ?? ''}/v1/project/images/${process.env.BENCH_IMAGE_ID ?? ''}`,
      { agent },
      (response) => {
        response.resume();
        response.on('end', () => resolve());
      },
    )
    .on('error', reject);
});
