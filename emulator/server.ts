// The provider emulator: one node:http server on loopback that speaks Huawei Cloud ModelArts
// (`/v1/{project_id}/images/{id}`) and Baidu BCC (`/v2/image/{imageId}`) image APIs, verifies each
// provider's request signature, keeps image state, records requests and injects faults.
// `/_emulator/*` is the control API (see control.ts).

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { AkLockout, DEFAULT_LOCKOUT_MS, verifyBce, verifyHuawei } from './auth.js';
import { bccUnknownApi, handleBcc, matchBccPath } from './bcc.js';
import { handleControl } from './control.js';
import { type FaultAction, FaultController } from './faults.js';
import { type ReceivedRequest, receive } from './incoming.js';
import {
  checkModelArtsProject,
  handleModelArts,
  matchModelArtsPath,
  modelArtsUnknownApi,
} from './modelarts.js';
import {
  baseHeaders,
  defaultFaultBody,
  type EmulatorResponse,
  newRequestId,
  REQUEST_ID_HEADER,
} from './response.js';
import { EmulatorState } from './state.js';
import type { ProviderKey, RecordedRequest } from './types.js';

export type { Fault, FaultAction, FaultKind, FaultMatch, InjectedFault } from './faults.js';
export { FaultController } from './faults.js';
export { EmulatorState } from './state.js';
export type {
  BccImageRecord,
  ModelArtsImageRecord,
  ProviderKey,
  RecordedRequest,
} from './types.js';

export interface EmulatorOptions {
  /** Loopback only: `127.0.0.1` (default), `::1`, `localhost` or another 127.x address. */
  host?: string;
  /** 0 (default) picks a free port. */
  port?: number;
  /** The emulator's clock, for signature time checks, lockouts and recorded times. */
  now?: () => Date;
  /** How long an AK stays locked after more than 5 consecutive signature failures (default 5 min). */
  lockoutMs?: number;
}

export interface RunningEmulator {
  /** `http://host:port`, no trailing slash. */
  url: string;
  port: number;
  faults: FaultController;
  state: EmulatorState;
  /** Every provider request received, oldest first (control requests are not recorded). */
  requests: RecordedRequest[];
  /** Re-seed the images and clear faults, recorded requests and AK lockouts. */
  reset(): void;
  /** Stop listening and destroy every open socket (stalled ones too). */
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 1024 * 1024;

const isLoopback = (host: string): boolean =>
  host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);

interface Route {
  provider: ProviderKey | undefined;
  imageId: string | undefined;
  projectId: string | undefined;
}

const route = (request: ReceivedRequest): Route => {
  const [version] = request.segments;
  const provider: ProviderKey | undefined =
    version === 'v1' ? 'modelarts' : version === 'v2' ? 'bcc' : undefined;
  const imageMethod = request.method === 'GET' || request.method === 'DELETE';
  if (provider === 'modelarts' && imageMethod && request.path !== undefined) {
    const match = matchModelArtsPath(request.segments);
    if (match !== undefined) return { provider, ...match };
  }
  if (provider === 'bcc' && imageMethod && request.path !== undefined) {
    const match = matchBccPath(request.segments);
    if (match !== undefined) return { provider, imageId: match.imageId, projectId: undefined };
  }
  return { provider, imageId: undefined, projectId: undefined };
};

const readBody = (message: IncomingMessage): Promise<string | undefined> =>
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

const send = (res: ServerResponse, response: EmulatorResponse): void => {
  const body = Buffer.from(response.body, 'utf8');
  res.writeHead(response.status, { ...response.headers, 'Content-Length': String(body.length) });
  res.end(body);
};

export async function startEmulator(options: EmulatorOptions = {}): Promise<RunningEmulator> {
  const host = options.host ?? '127.0.0.1';
  if (!isLoopback(host)) throw new Error(`the emulator listens on loopback only, not ${host}`);
  const now = options.now ?? (() => new Date());
  const state = new EmulatorState(now);
  const faults = new FaultController();
  const requests: RecordedRequest[] = [];
  const lockout = new AkLockout(options.lockoutMs ?? DEFAULT_LOCKOUT_MS);
  const sockets = new Set<Socket>();
  const closing = new AbortController();

  const reset = (): void => {
    state.reset();
    faults.clear();
    requests.length = 0;
    lockout.clear();
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (closing.signal.aborted) return;
      if (!res.headersSent) {
        send(res, {
          status: 500,
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ error: 'emulator failure', detail: String(error) }),
        });
      } else {
        res.destroy();
      }
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  const emulator: RunningEmulator = {
    url: '',
    port: 0,
    faults,
    state,
    requests,
    reset,
    close: async () => {
      closing.abort();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const bodyText = await readBody(req);
    const request = receive(req, bodyText ?? '');

    if (request.segments[0] === '_emulator') {
      const reply =
        bodyText === undefined
          ? { status: 413, body: { error: 'body too large' } }
          : handleControl(emulator, request.method, request.segments.slice(1), bodyText);
      send(res, {
        status: reply.status,
        headers: reply.body === undefined ? {} : { 'Content-Type': 'application/json' },
        body: reply.body === undefined ? '' : JSON.stringify(reply.body),
      });
      return;
    }

    const requestId = newRequestId();
    const target = route(request);
    const record: RecordedRequest = {
      provider: target.provider,
      method: request.method,
      path: request.rawPath,
      query: request.query ?? [],
      headers: request.headers,
      body: request.body,
      imageId: target.imageId,
      status: undefined,
      fault: undefined,
      time: now().toISOString(),
    };
    requests.push(record);
    const reply = (response: EmulatorResponse): void => {
      record.status = response.status;
      send(res, response);
    };

    const provider = target.provider;
    if (provider === undefined) {
      reply({
        status: 404,
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ error: 'no such provider API', path: request.rawPath }),
      });
      return;
    }
    if (bodyText === undefined) {
      reply(
        provider === 'modelarts'
          ? {
              status: 413,
              headers: baseHeaders(provider, requestId),
              body: JSON.stringify({
                error_msg: 'Request entity too large',
                error_code: 'APIGW.0201',
                request_id: requestId,
              }),
            }
          : {
              status: 413,
              headers: baseHeaders(provider, requestId),
              body: JSON.stringify({
                requestId,
                code: 'EntityTooLarge',
                message: 'Your proposed upload exceeds the maximum allowed object size.',
              }),
            },
      );
      return;
    }
    const imageId = target.imageId;
    if (imageId === undefined) {
      reply(provider === 'modelarts' ? modelArtsUnknownApi(requestId) : bccUnknownApi(requestId));
      return;
    }

    const context = { provider, method: request.method, imageId };

    // The normal handling of a signed, routed request.
    const process = (): EmulatorResponse => {
      if (provider === 'modelarts') {
        const denied = checkModelArtsProject(request, target.projectId ?? '', requestId);
        if (denied !== undefined) return denied;
        return handleModelArts(request, imageId, requestId, state, now());
      }
      return handleBcc(request, imageId, requestId, state);
    };

    /** Apply a fault; returns true when the request is finished (answered, reset or stalled). */
    const applyFault = async (
      action: FaultAction,
      handleNow: () => EmulatorResponse,
    ): Promise<boolean> => {
      record.fault = action.kind;
      switch (action.kind) {
        case 'latency':
          await sleep(action.ms, undefined, { signal: closing.signal });
          return false;
        case 'status': {
          const headers = { ...baseHeaders(provider, requestId), ...(action.headers ?? {}) };
          const body =
            action.body === undefined
              ? JSON.stringify(defaultFaultBody(provider, requestId, action.status))
              : typeof action.body === 'string'
                ? action.body
                : JSON.stringify(action.body);
          reply({ status: action.status, headers, body });
          return true;
        }
        case 'malformed':
          reply({ status: 200, headers: baseHeaders(provider, requestId), body: action.body });
          return true;
        case 'reset':
          if (action.afterHandling === true) handleNow();
          req.socket.destroy();
          return true;
        case 'stall':
          if (action.afterHandling === true) handleNow();
          return true;
        case 'truncated': {
          const response = handleNow();
          const full = Buffer.from(
            response.body === ''
              ? JSON.stringify({ [REQUEST_ID_HEADER[provider]]: requestId })
              : response.body,
            'utf8',
          );
          record.status = response.status;
          res.writeHead(response.status, {
            ...response.headers,
            'Content-Length': String(full.length),
          });
          res.write(full.subarray(0, Math.floor(full.length / 2)), () => req.socket.destroy());
          return true;
        }
      }
    };

    const early = faults.take(context, 'beforeAuth');
    if (early !== undefined && (await applyFault(early, process))) return;

    const auth =
      provider === 'modelarts'
        ? verifyHuawei(request, requestId, now(), lockout)
        : verifyBce(request, requestId, now());
    if (!auth.ok) {
      reply(auth.response);
      return;
    }

    const late = faults.take(context, 'afterAuth');
    if (late !== undefined && (await applyFault(late, process))) return;

    reply(process());
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  emulator.port = address.port;
  emulator.url = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
  return emulator;
}
