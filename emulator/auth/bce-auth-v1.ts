// Baidu `bce-auth-v1` verification, written from the published scheme (Reference "生成认证字符串"),
// not from the client's signer:
//
//   Authorization    = bce-auth-v1/{ak}/{timestamp}/{expirationSeconds}/{signedHeaders}/{signature}
//   signingKey       = HexHMAC-SHA256(SK, "bce-auth-v1/{ak}/{timestamp}/{expirationSeconds}")
//   signature        = HexHMAC-SHA256(signingKey, CanonicalRequest)
//   CanonicalRequest = Method \n CanonicalURI \n CanonicalQuery \n CanonicalHeaders
//
// The body is not signed. An empty signedHeaders list means the default set: host,
// content-length, content-type, content-md5 and every x-bce-* header but x-bce-request-id.

import { bceError } from '../clouds/bce-replies.js';
import type { ReceivedRequest } from '../incoming.js';
import type { Authenticator, AuthOutcome, SecretLookup } from './authenticator.js';
import {
  byCodeUnit,
  canonicalPath,
  hmacSha256Hex,
  percentEncode,
  sameSignature,
} from './encoding.js';

/** Baidu rejects a timestamp more than 30 minutes ahead of its clock. */
export const BCE_MAX_FUTURE_MS = 30 * 60 * 1000;

const VERSION = 'bce-auth-v1';
const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})Z$/;
const EXPIRATION = /^[1-9]\d{0,15}$/;
const HEADER_NAME = /^[a-z0-9!#$%&'*+.^_`|~-]+$/;
const HEX_SIGNATURE = /^[0-9a-f]{64}$/;
const DEFAULT_SIGNED = new Set(['host', 'content-length', 'content-type', 'content-md5']);

export interface BceAuthorization {
  accessKeyId: string;
  timestamp: string;
  /** The timestamp as epoch ms. */
  signedAt: number;
  expirationSeconds: number;
  /** Lower-case names; empty = the default set. */
  signedHeaders: string[];
  signature: string;
  /** The first four fields exactly as sent: the signing key's input. */
  prefix: string;
}

/** A real UTC instant written `yyyy-mm-ddThh:mm:ssZ`, as epoch ms; undefined otherwise. */
const parseTimestamp = (text: string): number | undefined => {
  const match = TIMESTAMP.exec(text);
  if (match === null) return undefined;
  const [year, month, day, hour, minute, second] = match.slice(1).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const ms = Date.UTC(year, month - 1, day, hour, minute, second);
  const date = new Date(ms);
  const sameFields =
    date.getUTCFullYear() === year &&
    date.getUTCMonth() === month - 1 &&
    date.getUTCDate() === day &&
    date.getUTCHours() === hour &&
    date.getUTCMinutes() === minute &&
    date.getUTCSeconds() === second;
  return sameFields ? ms : undefined;
};

/** The six `/`-separated fields of the header; undefined when any is malformed. */
export const parseBceAuthorization = (header: string): BceAuthorization | undefined => {
  const fields = header.split('/');
  if (fields.length !== 6) return undefined;
  const [version, accessKeyId, timestamp, expiration, headerList, signature] = fields as [
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  if (version !== VERSION || accessKeyId === '') return undefined;
  const signedAt = parseTimestamp(timestamp);
  if (signedAt === undefined || !EXPIRATION.test(expiration)) return undefined;
  const expirationSeconds = Number(expiration);
  if (!Number.isSafeInteger(expirationSeconds)) return undefined;
  const signedHeaders = headerList === '' ? [] : headerList.split(';');
  if (!signedHeaders.every((name) => HEADER_NAME.test(name))) return undefined;
  if (!HEX_SIGNATURE.test(signature)) return undefined;
  return {
    accessKeyId,
    timestamp,
    signedAt,
    expirationSeconds,
    signedHeaders,
    signature,
    prefix: fields.slice(0, 4).join('/'),
  };
};

const isDefaultSigned = (name: string): boolean =>
  DEFAULT_SIGNED.has(name) || (name.startsWith('x-bce-') && name !== 'x-bce-request-id');

/** The canonical request; undefined when the request cannot be canonicalised. */
export const bceCanonicalRequest = (
  request: ReceivedRequest,
  signedHeaders: readonly string[],
): string | undefined => {
  const path = canonicalPath(request.rawPath);
  if (path === undefined || request.query === undefined) return undefined;
  const query = request.query
    .filter(([key]) => key.toLowerCase() !== 'authorization')
    .map(([key, value]) => `${percentEncode(key)}=${percentEncode(value)}`)
    .sort(byCodeUnit)
    .join('&');
  const named = new Set(signedHeaders);
  const lines: string[] = [];
  for (const [name, raw] of Object.entries(request.headers)) {
    if (!(named.size > 0 ? named.has(name) : isDefaultSigned(name))) continue;
    const value = raw.trim();
    if (value !== '') lines.push(`${percentEncode(name)}:${percentEncode(value)}`);
  }
  lines.sort(byCodeUnit);
  return [request.method, path === '' ? '/' : path, query, lines.join('\n')].join('\n');
};

export const bceAuthenticator = (secretOf: SecretLookup): Authenticator => ({
  clear: () => {},
  verify: (request, requestId, now): AuthOutcome => {
    const deny = (status: number, code: string, message: string): AuthOutcome => ({
      ok: false,
      response: bceError(requestId, status, code, message),
    });
    const header = request.headers.authorization;
    if (header === undefined || header === '') return deny(403, 'AccessDenied', 'Access denied.');
    const authorization = parseBceAuthorization(header);
    if (authorization === undefined) {
      return deny(
        400,
        'InvalidHTTPAuthHeader',
        'The Authorization header you provided is invalid.',
      );
    }
    const { accessKeyId, signedAt, expirationSeconds, signedHeaders } = authorization;
    const secret = secretOf(accessKeyId);
    if (secret === undefined) {
      return deny(
        403,
        'InvalidAccessKeyId',
        'The Access Key ID you provided does not exist in our records.',
      );
    }
    const nowMs = now.getTime();
    if (nowMs > signedAt + expirationSeconds * 1000 || signedAt - nowMs > BCE_MAX_FUTURE_MS) {
      return deny(
        400,
        'RequestExpired',
        `Request has expired. Timestamp date is ${authorization.timestamp}.`,
      );
    }
    if (
      signedHeaders.length > 0 &&
      (!signedHeaders.includes('host') || !signedHeaders.includes('x-bce-date'))
    ) {
      return deny(
        400,
        'InvalidHTTPAuthHeader',
        'The Authorization header must sign host and x-bce-date.',
      );
    }
    const mismatch = deny(
      400,
      'SignatureDoesNotMatch',
      'The request signature we calculated does not match the signature you provided. Check your Secret Access Key and signing method.',
    );
    if (signedHeaders.some((name) => request.headers[name] === undefined)) return mismatch;
    const canonical = bceCanonicalRequest(request, signedHeaders);
    if (canonical === undefined) return mismatch;
    const expected = hmacSha256Hex(hmacSha256Hex(secret, authorization.prefix), canonical);
    return sameSignature(expected, authorization.signature) ? { ok: true, accessKeyId } : mismatch;
  },
});
