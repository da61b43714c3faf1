// A loopback HTTP proxy in front of an endpoint (moto, the emulator) that holds each request
// `delayMs` (which a test may change at any time) before passing it on, and passes the answer back
// as it came: a real service made slow. A request the client gives up on while it is held still
// goes through, as one whose answer was lost would. A test may answer some requests itself
// (`answer`): a service that misbehaves in one way and is real in every other.

import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';

/** A reply the proxy gives itself instead of passing the request on. */
export interface ProxyReply {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export interface LatencyProxy {
  endpoint: string;
  /** How long each request is held before it is passed on. */
  delayMs: number;
  /** Requests passed on so far. */
  readonly passed: number;
  close(): Promise<void>;
}

export const startLatencyProxy = async (
  target: string,
  delayMs = 0,
  answer: (request: IncomingMessage) => ProxyReply | undefined = () => undefined,
): Promise<LatencyProxy> => {
  const to = new URL(target);
  let passed = 0;
  const proxy: LatencyProxy = {
    endpoint: '',
    delayMs,
    get passed() {
      return passed;
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  const server: Server = createServer((incoming, outgoing) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => {
      setTimeout(() => {
        const reply = answer(incoming);
        if (reply !== undefined) {
          outgoing.writeHead(reply.status, reply.headers);
          outgoing.end(reply.body);
          return;
        }
        passed += 1;
        const onward = httpRequest(
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
        onward.on('error', () => outgoing.destroy());
        onward.end(Buffer.concat(chunks));
      }, proxy.delayMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address !== 'object') throw new Error('no address');
  proxy.endpoint = `http://127.0.0.1:${address.port}`;
  return proxy;
};
