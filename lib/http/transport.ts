// One undici Agent per process and one function that sends a request once. Every response body is
// read to the end (or destroyed) so no connection is left hanging; failures become TransportFailure
// with a kind the retry loop understands. No retries here: lib/http/retry.ts is the only layer.

//
// undici is imported by module path, Agent and the request API only: its package root would also
// bundle fetch, WebSocket, EventSource, the caches, mocks and proxy agents (~40 % of a function's
// bundle, all compiled during INIT). Types: ./undici-internals.d.ts.

import type { Agent as AgentType, Dispatcher } from 'undici';
import apiRequest from 'undici/lib/api/api-request.js';
import undiciUtil from 'undici/lib/core/util.js';
import Agent from 'undici/lib/dispatcher/agent.js';
import {
  encodePath,
  encodeQuery,
  type OutboundRequest,
  wireUrl,
} from '../wire/outbound-request.js';

export interface RawResponse {
  status: number;
  headers: Readonly<Record<string, string>>;
  body: string;
}

export type TransportFailureKind = 'timeout' | 'network' | 'too-large';

export class TransportFailure extends Error {
  override readonly name = 'TransportFailure';
  constructor(
    readonly kind: TransportFailureKind,
    message: string,
    readonly causeCode?: string,
  ) {
    super(message);
  }
}

export interface TransportOptions {
  /** Aborts the attempt (deadline or attempt timeout). */
  signal: AbortSignal;
  /** Headers and body must each arrive within this. */
  timeoutMs: number;
  dispatcher?: Dispatcher;
}

export type Transport = (req: OutboundRequest, options: TransportOptions) => Promise<RawResponse>;

/** Upstream replies are small JSON documents; anything bigger is not what the provider documents. */
export const MAX_RESPONSE_BYTES = 1024 * 1024;

let sharedAgent: AgentType | undefined;
let agentConnectTimeoutMs: number | undefined;

/** The connect timeout the process-wide agent was made with (what configuration set). */
export const sharedAgentConnectTimeoutMs = (): number | undefined => agentConnectTimeoutMs;

/**
 * The process-wide agent: explicit connect, keep-alive and (per request) header/body timeouts.
 * The first caller's connect timeout holds for the process (the composition root passes the
 * configured UPSTREAM_CONNECT_TIMEOUT_MS before any request is sent).
 */
export const sharedDispatcher = (connectTimeoutMs = 3_000): AgentType => {
  if (sharedAgent === undefined) {
    agentConnectTimeoutMs = connectTimeoutMs;
    sharedAgent = new Agent({
      connect: { timeout: connectTimeoutMs },
      headersTimeout: 10_000,
      bodyTimeout: 10_000,
      // Lambda freezes idle sockets; keep them short-lived so a thawed process rarely reuses a dead one.
      keepAliveTimeout: 4_000,
      keepAliveMaxTimeout: 30_000,
      connections: 64,
      // HTTP/1.1 only, as every test and the emulator speak it (undici would otherwise offer h2
      // over TLS); the bundles leave undici's HTTP/2 client out (scripts/bundle-plugins.cjs).
      allowH2: false,
    });
  }
  return sharedAgent;
};

const TIMEOUT_CODES = new Set([
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'ETIMEDOUT',
]);

const errorCode = (error: unknown): string | undefined => {
  if (typeof error !== 'object' || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') return code;
  const name = (error as { name?: unknown }).name;
  return typeof name === 'string' ? name : undefined;
};

const toFailure = (error: unknown, signal: AbortSignal): TransportFailure => {
  if (error instanceof TransportFailure) return error;
  const code = errorCode(error);
  if (signal.aborted || (code !== undefined && TIMEOUT_CODES.has(code))) {
    return new TransportFailure('timeout', 'no answer in time', code);
  }
  // Resets, refusals, DNS failures, truncated bodies: the connection, not the reply, failed.
  return new TransportFailure('network', `connection failed (${code ?? 'unknown'})`, code);
};

const prematureClose = (): Error =>
  Object.assign(new Error('Premature close'), { code: 'ERR_STREAM_PREMATURE_CLOSE' });

/**
 * The whole body as UTF-8 text, or a TransportFailure('too-large') past MAX_RESPONSE_BYTES (the
 * body is then destroyed, and with it the connection). Stream errors reject as they are; a body
 * closed before its end rejects as `for await` would (ERR_STREAM_PREMATURE_CLOSE). Plain 'data'
 * listeners: an async iterator costs several promises and a stream.finished per response.
 */
const readBody = (body: Dispatcher.ResponseData['body']): Promise<string> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const fail = (error: unknown): void => {
      if (settled) return;
      settled = true;
      reject(error);
    };
    // The listeners stay attached after settling: an 'error' with no listener would be thrown.
    body.on('data', (chunk: Buffer | Uint8Array) => {
      if (settled) return;
      const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk);
      size += buffer.length;
      if (size > MAX_RESPONSE_BYTES) {
        fail(new TransportFailure('too-large', `response larger than ${MAX_RESPONSE_BYTES} bytes`));
        body.destroy();
        return;
      }
      chunks.push(buffer);
    });
    body.on('end', () => {
      if (settled) return;
      settled = true;
      resolve(
        chunks.length === 1
          ? (chunks[0] as Buffer).toString('utf8')
          : Buffer.concat(chunks, size).toString('utf8'),
      );
    });
    body.on('error', fail);
    body.on('close', () => {
      if (!settled) fail(prematureClose());
    });
  });

const flattenHeaders = (headers: Dispatcher.ResponseData['headers']): Record<string, string> => {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined)
      flat[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return flat;
};

const DOT_SEGMENT = /(?:^|\/)\.{1,2}(?:\/|$)/;

let lastOrigin: string | undefined;
let lastOriginIsCanonical = false;

/**
 * `origin` and `path` for undici's dispatcher, exactly as undici's `request(url)` derives them
 * from the wire URL (WHATWG parsing via util.parseURL: http(s) only, origin normalised, dot
 * segments resolved). The encoded path and query hold only unreserved characters, `%XX`, `/`,
 * `=` and `&`, which URL parsing leaves as they are; so when the origin is already in canonical
 * form and the path starts with `/` and has no dot segment, the parse is skipped.
 */
const dispatchTarget = (req: OutboundRequest): { origin: string; path: string } => {
  const path = encodePath(req.path);
  if (req.origin !== lastOrigin) {
    let canonical = false;
    try {
      canonical = undiciUtil.parseURL(req.origin).origin === req.origin;
    } catch {
      // The full parse below throws the same error.
    }
    lastOrigin = req.origin;
    lastOriginIsCanonical = canonical;
  }
  if (lastOriginIsCanonical && path.startsWith('/') && !DOT_SEGMENT.test(path)) {
    const search = encodeQuery(req.query);
    return { origin: req.origin, path: search ? `${path}?${search}` : path };
  }
  const url = undiciUtil.parseURL(wireUrl(req));
  return { origin: url.origin, path: url.search ? `${url.pathname}${url.search}` : url.pathname };
};

export const undiciTransport: Transport = async (req, options) => {
  try {
    const target = dispatchTarget(req);
    const response = await apiRequest.call(options.dispatcher ?? sharedDispatcher(), {
      origin: target.origin,
      path: target.path,
      method: req.method,
      headers: req.headers,
      body: req.body === '' ? null : req.body,
      signal: options.signal,
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
    });
    const body = await readBody(response.body);
    return { status: response.statusCode, headers: flattenHeaders(response.headers), body };
  } catch (error) {
    throw toFailure(error, options.signal);
  }
};
