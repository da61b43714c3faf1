// A loopback HTTP server that stands in for an AWS endpoint gone wrong: every request gets the
// answer `reply` gives (a status and a body in the service's protocol), or the connection is
// destroyed. Requests are recorded (method, path, target header, body) so a test can see what the
// client sent and how often it tried.

import { createServer, type IncomingMessage, type Server } from 'node:http';

export interface RecordedRequest {
  method: string;
  path: string;
  /** X-Amz-Target (JSON protocols: DynamoDB, EventBridge). */
  target: string | undefined;
  body: string;
  /** Every header as sent (for a server that passes some requests on). */
  headers: Record<string, string>;
}

export type FaultReply =
  | { status: number; body: string; contentType?: string; headers?: Record<string, string> }
  | 'destroy';

export interface FaultServer {
  endpoint: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

const readBody = (request: IncomingMessage): Promise<string> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });

export const startFaultServer = async (
  reply: (request: RecordedRequest, index: number) => FaultReply | Promise<FaultReply>,
): Promise<FaultServer> => {
  const requests: RecordedRequest[] = [];
  const server: Server = createServer(async (request, response) => {
    const target = request.headers['x-amz-target'];
    const recorded: RecordedRequest = {
      method: request.method ?? 'GET',
      path: request.url ?? '/',
      target: typeof target === 'string' ? target : undefined,
      body: await readBody(request),
      headers: Object.fromEntries(
        Object.entries(request.headers).map(([name, value]) => [
          name,
          Array.isArray(value) ? value.join(', ') : String(value ?? ''),
        ]),
      ),
    };
    requests.push(recorded);
    const answer = await reply(recorded, requests.length - 1);
    if (answer === 'destroy') {
      request.socket.destroy();
      return;
    }
    response.writeHead(answer.status, {
      'content-type': answer.contentType ?? 'application/x-amz-json-1.1',
      'x-amzn-requestid': `fault-${requests.length}`,
      ...answer.headers,
    });
    response.end(answer.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address !== 'object') throw new Error('no address');
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
};

/** A JSON-protocol error body (DynamoDB, EventBridge). */
export const jsonError = (type: string, message: string): string =>
  JSON.stringify({ __type: type, message });

/** An S3 (REST-XML) error body. */
export const s3Error = (code: string, message: string): string =>
  `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${message}</Message><RequestId>fault</RequestId></Error>`;
