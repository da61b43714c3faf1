// Baidu AI Cloud `bce-auth-v1` request signing, as pure functions.
//
//   Authorization: bce-auth-v1/{accessKeyId}/{timestamp}/{expirationSeconds}/{signedHeaders}/{signature}
//   signingKey     = HMAC-SHA256-HEX(secretAccessKey, authStringPrefix)   (the hex text is the next key)
//   signature      = HMAC-SHA256-HEX(signingKey, CanonicalRequest)
//   CanonicalRequest = Method \n CanonicalURI \n CanonicalQueryString \n CanonicalHeaders
//
// No payload hash: the body is not signed. The encoder, hashes and sort order come from
// `uri-encode.ts`, the path encoding and Host rule from `outbound-request.ts`, so what is signed is
// what the transport sends.

import { encodePath, hostHeader, type OutboundRequest } from '../wire/outbound-request.js';
import { uriEncode } from '../wire/uri-encode.js';
import { byCodeUnit, hmacSha256Hex, pad2, sortByCodeUnit } from './canonical.js';

export interface BceSigningCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string | undefined;
}

/** The SDKs' default validity window (BCE-JS `generateAuthorization`, BCE-GO `DEFAULT_EXPIRE_SECONDS`). */
export const DEFAULT_BCE_EXPIRATION_SECONDS = 1800;

const AUTH_VERSION = 'bce-auth-v1';
const BCE_HEADER_PREFIX = 'x-bce-';
const BCE_DATE = 'x-bce-date';
const BCE_SECURITY_TOKEN = 'x-bce-security-token';
const BCE_REQUEST_ID = 'x-bce-request-id';
/** Signed when the Authorization lists no headers (besides every `x-bce-*` but the request id). */
const DEFAULT_SIGNED_HEADERS: ReadonlySet<string> = new Set([
  'host',
  'content-length',
  'content-type',
  'content-md5',
]);

/** `yyyy-mm-ddThh:mm:ssZ` in UTC, milliseconds dropped (not rounded). */
export const formatBceTimestamp = (now: Date): string => {
  const year = now.getUTCFullYear();
  // Other years (and invalid dates, a RangeError) as toISOString writes them, which ends in `.sssZ`.
  if (!(year >= 1000 && year <= 9999)) return `${now.toISOString().slice(0, -5)}Z`;
  return `${year}-${pad2(now.getUTCMonth() + 1)}-${pad2(now.getUTCDate())}T${pad2(now.getUTCHours())}:${pad2(now.getUTCMinutes())}:${pad2(now.getUTCSeconds())}Z`;
};

/**
 * The request's headers keyed by lower-case name, with `host` filled in from the origin when the
 * caller set none. Two spellings of one name are refused: which one the wire would carry is unknown.
 */
const lowerCaseHeaders = (request: OutboundRequest): Map<string, string> => {
  const headers = new Map<string, string>();
  for (const [name, value] of Object.entries(request.headers)) {
    const lower = name.toLowerCase();
    if (headers.has(lower)) {
      throw new TypeError(`header "${lower}" is given more than once (in different letter case)`);
    }
    headers.set(lower, value);
  }
  if (!headers.has('host')) headers.set('host', hostHeader(request.origin));
  return headers;
};

const isDefaultSigned = (name: string): boolean =>
  DEFAULT_SIGNED_HEADERS.has(name) ||
  (name.startsWith(BCE_HEADER_PREFIX) && name !== BCE_REQUEST_ID);

const canonicalQueryString = (query: OutboundRequest['query']): string =>
  query.length === 0
    ? ''
    : sortByCodeUnit(
        query
          .filter(([key]) => key.toLowerCase() !== 'authorization')
          .map(([key, value]) => `${uriEncode(key)}=${uriEncode(value)}`),
      ).join('&');

const canonicalHeaders = (request: OutboundRequest, signedHeaders: readonly string[]): string => {
  const named = new Set(signedHeaders.map((name) => name.toLowerCase()));
  const lines: string[] = [];
  for (const [name, raw] of lowerCaseHeaders(request)) {
    if (!(named.size > 0 ? named.has(name) : isDefaultSigned(name))) continue;
    const value = raw.trim();
    if (value === '') continue;
    lines.push(`${uriEncode(name)}:${uriEncode(value)}`);
  }
  return lines.sort(byCodeUnit).join('\n');
};

/**
 * Method\nCanonicalURI\nCanonicalQueryString\nCanonicalHeaders, no trailing newline. An empty
 * `signedHeaders` means the server's default set: host, content-length, content-type, content-md5
 * and every `x-bce-*` header except `x-bce-request-id`; otherwise exactly the named headers.
 */
export const bceCanonicalRequest = (
  request: OutboundRequest,
  signedHeaders: readonly string[],
): string => {
  const canonicalUri = encodePath(request.path) || '/';
  return [
    request.method,
    canonicalUri,
    canonicalQueryString(request.query),
    canonicalHeaders(request, signedHeaders),
  ].join('\n');
};

/** Hex HMAC-SHA256 of `authStringPrefix` (`bce-auth-v1/{ak}/{timestamp}/{expiration}`) under the SK. */
export const bceSigningKey = (secretAccessKey: string, authStringPrefix: string): string =>
  hmacSha256Hex(secretAccessKey, authStringPrefix);

export const bceSignature = (
  request: OutboundRequest,
  secretAccessKey: string,
  authStringPrefix: string,
  signedHeaders: readonly string[],
): string =>
  hmacSha256Hex(
    bceSigningKey(secretAccessKey, authStringPrefix),
    bceCanonicalRequest(request, signedHeaders),
  );

/**
 * The headers to add to `request`: `x-bce-date`, `Authorization` and, with a session token,
 * `x-bce-security-token`. Signs `host`, every `x-bce-*` header (these two included) and
 * `content-type`, each only when its trimmed value is non-empty, and lists them explicitly.
 * Values of `x-bce-date` / `x-bce-security-token` / `Authorization` already in `request.headers`
 * are superseded by the returned ones, so the caller must replace (not append) them.
 * `now` is taken by the caller for each attempt.
 */
export const signBceAuthV1 = (
  request: OutboundRequest,
  credentials: BceSigningCredentials,
  now: Date,
  options: { expirationSeconds?: number } = {},
): Record<string, string> => {
  const expirationSeconds = options.expirationSeconds ?? DEFAULT_BCE_EXPIRATION_SECONDS;
  if (!Number.isSafeInteger(expirationSeconds) || expirationSeconds <= 0) {
    throw new RangeError(`expirationSeconds must be a positive integer, got ${expirationSeconds}`);
  }
  if (credentials.accessKeyId === '' || credentials.accessKeyId.includes('/')) {
    throw new TypeError('accessKeyId must be non-empty and contain no "/"');
  }

  const timestamp = formatBceTimestamp(now);
  const added: Record<string, string> = { [BCE_DATE]: timestamp };
  if (credentials.sessionToken !== undefined && credentials.sessionToken !== '') {
    added[BCE_SECURITY_TOKEN] = credentials.sessionToken;
  }

  // The request as it will be sent: the caller's headers with ours in place of any older copies,
  // and `host` from the origin when the caller set none. Two spellings of one name are refused, as
  // lowerCaseHeaders does. Signed and listed: host, content-type and every x-bce-* header, each
  // only when its trimmed value is non-empty; the canonical headers are exactly these (what
  // bceCanonicalRequest makes with this list).
  const sessionToken = added[BCE_SECURITY_TOKEN];
  const signedHeaders: string[] = [];
  const lines: string[] = [];
  const sign = (name: string, raw: string): void => {
    if (!(name === 'host' || name === 'content-type' || name.startsWith(BCE_HEADER_PREFIX))) {
      return;
    }
    const value = raw.trim();
    if (value === '') return;
    signedHeaders.push(name);
    lines.push(`${uriEncode(name)}:${uriEncode(value)}`);
  };
  const seen: string[] = [];
  for (const name of Object.keys(request.headers)) {
    const lower = name.toLowerCase();
    if (lower === BCE_DATE || lower === 'authorization') continue;
    if (sessionToken !== undefined && lower === BCE_SECURITY_TOKEN) continue;
    if (seen.includes(lower)) {
      throw new TypeError(`header "${lower}" is given more than once (in different letter case)`);
    }
    seen.push(lower);
    sign(lower, request.headers[name] as string);
  }
  sign(BCE_DATE, timestamp);
  if (sessionToken !== undefined) sign(BCE_SECURITY_TOKEN, sessionToken);
  if (!seen.includes('host')) sign('host', hostHeader(request.origin));
  sortByCodeUnit(signedHeaders);
  sortByCodeUnit(lines);

  const canonicalRequest = `${request.method}\n${encodePath(request.path) || '/'}\n${canonicalQueryString(request.query)}\n${lines.join('\n')}`;
  const prefix = `${AUTH_VERSION}/${credentials.accessKeyId}/${timestamp}/${expirationSeconds}`;
  const signature = hmacSha256Hex(
    bceSigningKey(credentials.secretAccessKey, prefix),
    canonicalRequest,
  );
  added.Authorization = `${prefix}/${signedHeaders.join(';')}/${signature}`;
  return added;
};

const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;
const EXPIRATION = /^[1-9]\d{0,15}$/;
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9a-z]+$/;
const SIGNATURE = /^[0-9a-f]{64}$/;

/** The parts of a `bce-auth-v1` Authorization header; undefined when anything is malformed. */
export const parseBceAuthorization = (
  header: string,
):
  | {
      accessKeyId: string;
      timestamp: string;
      expirationSeconds: number;
      signedHeaders: string[];
      signature: string;
    }
  | undefined => {
  const parts = header.split('/');
  if (parts.length !== 6) return undefined;
  const [version, accessKeyId, timestamp, expiration, headerList, signature] = parts as [
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  if (version !== AUTH_VERSION || accessKeyId === '') return undefined;
  // A real calendar instant: reject 2015-02-30T25:61:00Z and the like by round-tripping.
  if (!TIMESTAMP.test(timestamp)) return undefined;
  const instant = new Date(timestamp);
  if (Number.isNaN(instant.getTime()) || formatBceTimestamp(instant) !== timestamp)
    return undefined;
  if (!EXPIRATION.test(expiration)) return undefined;
  const expirationSeconds = Number(expiration);
  if (!Number.isSafeInteger(expirationSeconds)) return undefined;
  const signedHeaders = headerList === '' ? [] : headerList.split(';');
  if (!signedHeaders.every((name) => HEADER_NAME.test(name))) return undefined;
  if (!SIGNATURE.test(signature)) return undefined;
  return { accessKeyId, timestamp, expirationSeconds, signedHeaders, signature };
};
