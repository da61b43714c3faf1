// The minimal loopback upstream for the benchmark, run as its own process (forked with an IPC
// channel) so that its work does not share the event loop of the client being measured.
// A GET of ModelArts' notebooks (the usage scan a delete makes) answers one page of notebooks that
// use other images, any other GET 200 with a fixed ModelArts image record, any DELETE 200 with the
// same record marked DELETED, anything else 200 with `{}`. No signature check, no state: the
// emulator's own work would hide the overhead being measured. run.ts pins it to its own core.
//
// IPC: {type: 'reset'} zeroes the counters and closes idle keep-alive sockets (so the next phase
// starts with no connection), answers {type: 'reset', ...counters before}; {type: 'stats'} answers
// {type: 'stats', connections, requests}; {type: 'delay', ms} makes every later answer wait `ms`
// (a stand-in for a real provider's latency), answered like stats. The first message sent is
// {type: 'ready', port}.
// With BENCH_TLS_CERT and BENCH_TLS_KEY it answers over HTTPS with that certificate.

import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type RequestListener } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { SEEDED } from '../emulator/demo.js';
import { seedModelArtsImages } from '../emulator/seed.js';

export interface UpstreamStats {
  connections: number;
  requests: number;
}

export type UpstreamMessage =
  | { type: 'ready'; port: number }
  | ({ type: 'stats' | 'reset' | 'delay' } & UpstreamStats);

const record = seedModelArtsImages().find((image) => image.id === SEEDED.modelarts.custom);
if (record === undefined) throw new Error('the seed has no custom ModelArts image');

const showBody = JSON.stringify(record);
const deleteBody = JSON.stringify({ ...record, status: 'DELETED' });
// Three notebooks on other images: the delete's usage scan reads them and finds no use.
const notebooksBody = JSON.stringify({
  current: 0,
  pages: 1,
  size: 3,
  total: 3,
  data: [0, 1, 2].map((n) => ({
    id: `0000000${n}-bench-4000-8000-000000000000`,
    name: `bench-notebook-${n}`,
    status: 'RUNNING',
    image: {
      id: `1111111${n}-0000-4000-8000-000000000000`,
      name: 'other-image',
      swr_path: `swr.example.com/bench/other-${n}:1`,
    },
  })),
});
const headers = (body: string) => ({
  'content-type': 'application/json',
  'content-length': Buffer.byteLength(body),
  'x-request-id': 'bench-0000000000000000000000000000',
});

let connections = 0;
let requests = 0;
let delayMs = 0;

const listener: RequestListener = (req, res) => {
  req.resume();
  req.on('end', () => {
    requests += 1;
    const body =
      req.method === 'GET'
        ? (req.url ?? '').includes('/notebooks')
          ? notebooksBody
          : showBody
        : req.method === 'DELETE'
          ? deleteBody
          : '{}';
    const answer = () => {
      res.writeHead(200, headers(body));
      res.end(body);
    };
    if (delayMs > 0) setTimeout(answer, delayMs);
    else answer();
  });
};

// HTTPS when given a certificate (BENCH_TLS_CERT, BENCH_TLS_KEY files), as the clouds answer.
const cert = process.env.BENCH_TLS_CERT;
const key = process.env.BENCH_TLS_KEY;
const server =
  cert && key
    ? createHttpsServer({ cert: readFileSync(cert), key: readFileSync(key) }, listener)
    : createHttpServer(listener);
// Reuse is the client's business: the server never closes an idle socket on its own mid-phase.
server.keepAliveTimeout = 120_000;
server.on(cert && key ? 'secureConnection' : 'connection', () => {
  connections += 1;
});

const send = (message: UpstreamMessage): void => {
  process.send?.(message);
};

process.on('message', (message: { type?: unknown; ms?: unknown }) => {
  if (message.type === 'reset') {
    const before = { connections, requests };
    server.closeIdleConnections();
    connections = 0;
    requests = 0;
    send({ type: 'reset', ...before });
  } else if (message.type === 'delay') {
    delayMs = typeof message.ms === 'number' ? message.ms : 0;
    send({ type: 'delay', connections, requests });
  } else if (message.type === 'stats') {
    send({ type: 'stats', connections, requests });
  }
});
process.on('disconnect', () => process.exit(0));

server.listen(0, '127.0.0.1', () => {
  send({ type: 'ready', port: (server.address() as AddressInfo).port });
});
