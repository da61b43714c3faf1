// Huawei API Gateway AK/SK signing (`SDK-HMAC-SHA256`), as pure functions: request, credentials
// and clock in, headers out. The raw SK is the HMAC key; there is no key derivation.

import { encodePath, hostHeader, type OutboundRequest } from '../wire/outbound-request.js';
import { uriEncode } from '../wire/uri-encode.js';
import { byCodeUnit, hmacSha256Hex, pad2, sha256Hex, sortByCodeUnit } from './canonical.js';

export const SDK_HMAC_ALGORITHM = 'SDK-HMAC-SHA256';

export interface HuaweiSigningCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  securityToken?: string | undefined;
  projectId?: string | undefined;
}

/** `YYYYMMDDTHHMMSSZ` in UTC, the only form the gateway accepts for `X-Sdk-Date`. */
export const formatSdkDate = (now: Date): string => {
  const year = now.getUTCFullYear();
  // Other years (and invalid dates, a RangeError) from toISOString, as the SDK derives it.
  if (!(year >= 1000 && year <= 9999)) {
    return `${now.toISOString().slice(0, 19).replace(/[-:]/g, '')}Z`;
  }
  return `${year}${pad2(now.getUTCMonth() + 1)}${pad2(now.getUTCDate())}T${pad2(now.getUTCHours())}${pad2(now.getUTCMinutes())}${pad2(now.getUTCSeconds())}Z`;
};

/** Header values by lower-case name; of two spellings of one name, the first (as iterated) wins. */
const byLowerName = (headers: OutboundRequest['headers']): Map<string, string> => {
  const values = new Map<string, string>();
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    if (!values.has(lower)) values.set(lower, value);
  }
  return values;
};

/** Over exactly `signedHeaders` (lower-case), with header values looked up in `values`. */
const canonicalRequest = (
  request: OutboundRequest,
  signedHeaders: readonly string[],
  values: ReadonlyMap<string, string>,
): string => {
  // The signature is computed over a URI ending in '/', even though the request itself need not.
  const encodedPath = encodePath(request.path);
  const canonicalUri = encodedPath.endsWith('/') ? encodedPath : `${encodedPath}/`;

  // Sorted on the encoded text, key first and then value, so the order never depends on locale
  // or on the order the caller happened to add parameters in.
  const canonicalQuery =
    request.query.length === 0
      ? ''
      : request.query
          .map(([key, value]) => [uriEncode(key), uriEncode(value)] as const)
          .sort(
            ([keyA, valueA], [keyB, valueB]) =>
              byCodeUnit(keyA, keyB) || byCodeUnit(valueA, valueB),
          )
          .map(([key, value]) => `${key}=${value}`)
          .join('&');

  let canonicalHeaders = '';
  for (const name of signedHeaders) {
    const value = values.get(name) ?? (name === 'host' ? hostHeader(request.origin) : '');
    canonicalHeaders += `${name}:${value.trim()}\n`;
  }

  // `X-Sdk-Content-Sha256: UNSIGNED-PAYLOAD` tells the gateway the body is not signed.
  const payloadHash = values.get('x-sdk-content-sha256') ?? sha256Hex(request.body);

  return `${request.method}\n${canonicalUri}\n${canonicalQuery}\n${canonicalHeaders}\n${signedHeaders.join(';')}\n${payloadHash}`;
};

/** The canonical request of api-sign-algorithm-002, over exactly the given (lower-case) headers. */
export const huaweiCanonicalRequest = (
  request: OutboundRequest,
  signedHeaders: readonly string[],
): string => canonicalRequest(request, signedHeaders, byLowerName(request.headers));

const signatureOver = (canonical: string, secretAccessKey: string, sdkDate: string): string =>
  hmacSha256Hex(secretAccessKey, `${SDK_HMAC_ALGORITHM}\n${sdkDate}\n${sha256Hex(canonical)}`);

/** Hex HMAC-SHA256 of the string to sign; `sdkDate` must be the request's `X-Sdk-Date` value. */
export const huaweiSignature = (
  request: OutboundRequest,
  secretAccessKey: string,
  sdkDate: string,
  signedHeaders: readonly string[],
): string =>
  signatureOver(huaweiCanonicalRequest(request, signedHeaders), secretAccessKey, sdkDate);

/**
 * The headers to add to `request` (and only those). Call it once per attempt: the date is part of
 * the signature and the gateway rejects dates more than 15 minutes off.
 */
export const signSdkHmacSha256 = (
  request: OutboundRequest,
  credentials: HuaweiSigningCredentials,
  now: Date,
): Record<string, string> => {
  const sdkDate = formatSdkDate(now);
  const added: Record<string, string> = { 'X-Sdk-Date': sdkDate };
  if (credentials.projectId) added['X-Project-Id'] = credentials.projectId;
  if (credentials.securityToken) added['X-Security-Token'] = credentials.securityToken;

  // Sign what will be sent: the caller's headers with ours laid over them (case-insensitively).
  // `values` holds what the signed request's headers hold, by lower-case name, first spelling
  // first: the caller's (but those we replace), then ours.
  const values = new Map<string, string>();
  for (const [name, value] of Object.entries(request.headers)) {
    const lower = name.toLowerCase();
    if (lower === 'x-sdk-date') continue;
    if (lower === 'x-project-id' && credentials.projectId) continue;
    if (lower === 'x-security-token' && credentials.securityToken) continue;
    if (!values.has(lower)) values.set(lower, value);
  }
  values.set('x-sdk-date', sdkDate);
  if (credentials.projectId) values.set('x-project-id', credentials.projectId);
  if (credentials.securityToken) values.set('x-security-token', credentials.securityToken);

  // Every header is signed (as the official SDK does), plus host, in one plain code-unit order.
  const signedHeaders = [...values.keys()];
  if (!values.has('host')) signedHeaders.push('host');
  sortByCodeUnit(signedHeaders);

  const signature = signatureOver(
    canonicalRequest(request, signedHeaders, values),
    credentials.secretAccessKey,
    sdkDate,
  );
  added.Authorization = `${SDK_HMAC_ALGORITHM} Access=${credentials.accessKeyId}, SignedHeaders=${signedHeaders.join(';')}, Signature=${signature}`;
  return added;
};

const AUTHORIZATION =
  /^\s*SDK-HMAC-SHA256\s+Access=\s*([^,]*?)\s*,\s*SignedHeaders=\s*([^,\s]+)\s*,\s*Signature=\s*([0-9a-f]{64})\s*$/;
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9a-z-]+$/;

/** Splits an `SDK-HMAC-SHA256` Authorization header; undefined when it is malformed in any way. */
export const parseSdkHmacAuthorization = (
  header: string,
): { accessKeyId: string; signedHeaders: string[]; signature: string } | undefined => {
  const match = AUTHORIZATION.exec(header);
  if (!match) return undefined;
  const [, accessKeyId = '', signed = '', signature = ''] = match;
  const signedHeaders = signed.split(';');
  if (accessKeyId === '' || !signedHeaders.every((name) => HEADER_NAME.test(name))) {
    return undefined;
  }
  return { accessKeyId, signedHeaders, signature };
};
