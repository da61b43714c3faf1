// The one shape of a request to a provider: what the signers sign and what the transport sends.
// Path and query hold decoded text; `encodePath`/`encodeQuery` turn them into the bytes on the
// wire, and the signers canonicalise with the same encoder, so what is signed is what is sent.

import { uriEncode } from './uri-encode.js';

export type HttpMethod = 'GET' | 'HEAD' | 'DELETE' | 'POST' | 'PUT' | 'PATCH';

export interface OutboundRequest {
  method: HttpMethod;
  /** `scheme://host[:port]`, no path. */
  origin: string;
  /** Decoded absolute path, starting with `/`; segments are encoded one by one on the wire. */
  path: string;
  /** Decoded query pairs, in the order given; repeated keys allowed. */
  query: ReadonlyArray<readonly [string, string]>;
  /** Header names as the caller spells them; the signers lower-case them. */
  headers: Readonly<Record<string, string>>;
  /** The exact body bytes as text; '' when there is none. */
  body: string;
}

const PLAIN_PATH = /^[A-Za-z0-9\-._~/]*$/;

/** Each path segment RFC 3986 encoded (unreserved characters kept), `/` kept between them. */
export const encodePath = (path: string): string =>
  PLAIN_PATH.test(path) ? path : path.split('/').map(uriEncode).join('/');

/** `k=v` pairs, encoded, in the given order (the order on the wire does not matter to either signer). */
export const encodeQuery = (query: OutboundRequest['query']): string =>
  query.map(([key, value]) => `${uriEncode(key)}=${uriEncode(value)}`).join('&');

/** The full URL that goes on the wire. */
export const wireUrl = (request: OutboundRequest): string => {
  const search = encodeQuery(request.query);
  return `${request.origin}${encodePath(request.path)}${search ? `?${search}` : ''}`;
};

let lastOrigin: string | undefined;
let lastHost = '';

/** `host[:port]` as the Host header carries it: the port only when it is not the scheme's default. */
export const hostHeader = (origin: string): string => {
  // Every attempt of a call signs the same origin: remember the last one.
  if (origin !== lastOrigin) {
    lastHost = new URL(origin).host; // WHATWG URL already drops :80 for http and :443 for https
    lastOrigin = origin;
  }
  return lastHost;
};
