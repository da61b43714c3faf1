// Reading request bodies (with a size cap) and writing replies, byte-exact.

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { EmulatorResponse } from './response.js';

/** Bodies above this are refused (the gateways' own limits are larger; nothing needs more here). */
export const MAX_BODY_BYTES = 1024 * 1024;

/** The body as text, or undefined when it was larger than MAX_BODY_BYTES (read to the end anyway). */
export const readBody = (message: IncomingMessage): Promise<string | undefined> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    message.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    message.on('end', () =>
      resolve(size > MAX_BODY_BYTES ? undefined : Buffer.concat(chunks).toString('utf8')),
    );
    message.on('error', reject);
  });

export const send = (res: ServerResponse, response: EmulatorResponse): void => {
  const body = Buffer.from(response.body, 'utf8');
  res.writeHead(response.status, { ...response.headers, 'Content-Length': String(body.length) });
  res.end(body);
};

/** A JSON reply outside any cloud's dialect (control API, unknown paths, emulator failures). */
export const plainJson = (status: number, body: unknown): EmulatorResponse => ({
  status,
  headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
  body: body === undefined ? '' : JSON.stringify(body),
});
