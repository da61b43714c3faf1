// The emulator's HTTP server on loopback: listening, tracking sockets, and closing promptly even
// with stalled requests open.

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { plainJson, send } from './http-io.js';

export interface Listener {
  url: string;
  port: number;
  /** Aborted when close() starts: pending waits end, late failures are not answered. */
  closing: AbortSignal;
  close(): Promise<void>;
}

export const isLoopback = (host: string): boolean =>
  host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);

export type RequestHandler = (
  req: IncomingMessage,
  res: ServerResponse,
  closing: AbortSignal,
) => Promise<void>;

/** Listen on a loopback `host` and `port` (0 = any free port); refuses any other address. */
export const listen = async (
  host: string,
  port: number,
  handler: RequestHandler,
): Promise<Listener> => {
  if (!isLoopback(host)) throw new Error(`the emulator listens on loopback only, not ${host}`);
  const sockets = new Set<Socket>();
  const closing = new AbortController();

  const server = createServer((req, res) => {
    handler(req, res, closing.signal).catch((error: unknown) => {
      if (closing.signal.aborted) return;
      if (!res.headersSent) {
        send(res, plainJson(500, { error: 'emulator failure', detail: String(error) }));
      } else {
        res.destroy();
      }
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  return {
    url: `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`,
    port: address.port,
    closing: closing.signal,
    close: async () => {
      closing.abort();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
};
