// One undici Agent per process and one function that sends a request once. Every response body is
// read to the end (or destroyed) so no connection is left hanging; failures become TransportFailure
// with a kind the retry loop understands. No retries here: lib/http/retry.ts is the only layer.

import { Agent, type Dispatcher, request } from 'undici';
import { type OutboundRequest, wireUrl } from './outbound-request.js';

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

let sharedAgent: Agent | undefined;

/** The process-wide agent: explicit connect, keep-alive and (per request) header/body timeouts. */
export const sharedDispatcher = (connectTimeoutMs = 3_000): Agent => {
  sharedAgent ??= new Agent({
    connect: { timeout: connectTimeoutMs },
    headersTimeout: 10_000,
    bodyTimeout: 10_000,
    // Lambda freezes idle sockets; keep them short-lived so a thawed process rarely reuses a dead one.
    keepAliveTimeout: 4_000,
    keepAliveMaxTimeout: 30_000,
    connections: 64,
  });
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

const readBody = async (body: Dispatcher.ResponseData['body']): Promise<string> => {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
    size += buffer.length;
    if (size > MAX_RESPONSE_BYTES) {
      body.destroy();
      throw new TransportFailure('too-large', `response larger than ${MAX_RESPONSE_BYTES} bytes`);
    }
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
};

const flattenHeaders = (headers: Dispatcher.ResponseData['headers']): Record<string, string> => {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined)
      flat[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return flat;
};

export const undiciTransport: Transport = async (req, options) => {
  try {
    const response = await request(wireUrl(req), {
      method: req.method,
      headers: req.headers,
      body: req.body === '' ? null : req.body,
      dispatcher: options.dispatcher ?? sharedDispatcher(),
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
