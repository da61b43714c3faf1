// A received HTTP request, decoded the way a gateway sees it.

import type { IncomingMessage } from 'node:http';
import { percentDecode } from './auth/encoding.js';

export interface ReceivedRequest {
  method: string;
  /** Path as it arrived, still percent-encoded. */
  rawPath: string;
  /** Path with each segment percent-decoded; undefined when a segment is not valid encoding. */
  path: string | undefined;
  /** Decoded segments after the leading `/`. */
  segments: string[];
  /** Decoded query pairs, in order; undefined when the query is not valid encoding. */
  query: Array<[string, string]> | undefined;
  /** Headers by lower-case name (repeated headers joined with `, `). */
  headers: Record<string, string>;
  body: string;
}

const decode = percentDecode;

/** RFC 3986 style: `%XX` decoded, `+` kept as `+` (clients encode a space as `%20`). */
const decodeQuery = (search: string): Array<[string, string]> | undefined => {
  if (search === '') return [];
  const pairs: Array<[string, string]> = [];
  for (const part of search.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const key = decode(eq === -1 ? part : part.slice(0, eq));
    const value = decode(eq === -1 ? '' : part.slice(eq + 1));
    if (key === undefined || value === undefined) return undefined;
    pairs.push([key, value]);
  }
  return pairs;
};

export const receive = (message: IncomingMessage, body: string): ReceivedRequest => {
  const url = message.url ?? '/';
  const q = url.indexOf('?');
  const rawPath = q === -1 ? url : url.slice(0, q);
  const search = q === -1 ? '' : url.slice(q + 1);
  const rawSegments = rawPath.split('/').slice(1);
  const decoded = rawSegments.map(decode);
  const valid = decoded.every((segment) => segment !== undefined);
  const segments = decoded.map((segment) => segment ?? '');
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(message.headers)) {
    if (value === undefined) continue;
    headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return {
    method: (message.method ?? 'GET').toUpperCase(),
    rawPath,
    path: valid ? `/${segments.join('/')}` : undefined,
    segments,
    query: decodeQuery(search),
    headers,
    body,
  };
};
