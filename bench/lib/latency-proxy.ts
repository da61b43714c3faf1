// A loopback HTTP proxy that holds each request `delayMs` before passing it on to `target` (and
// its answer back as it came): moto behind it answers with a network round trip's latency, as
// SQS does from a Lambda (15-20 ms), instead of loopback's none.

import { createServer, request as httpRequest, type Server } from 'node:http';

export interface LatencyProxy {
  endpoint: string;
  close(): Promise<void>;
}

export const startLatencyProxy = async (target: string, delayMs: number): Promise<LatencyProxy> => {
  const to = new URL(target);
  const server: Server = createServer((incoming, outgoing) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => {
      setTimeout(() => {
        const passed = httpRequest(
          {
            host: to.hostname,
            port: to.port,
            method: incoming.method,
            path: incoming.url,
            headers: incoming.headers,
          },
          (answer) => {
            outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
            answer.pipe(outgoing);
          },
        );
        passed.on('error', () => outgoing.destroy());
        passed.end(Buffer.concat(chunks));
      }, delayMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address !== 'object') throw new Error('no address');
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
};
