// Huawei API Gateway AK/SK signing (`SDK-HMAC-SHA256`), as pure functions: request, credentials
// and clock in, headers out. The raw SK is the HMAC key; there is no key derivation.

import { encodePath, hostHeader, type OutboundRequest } from '../http/outbound-request.js';
import { byCodeUnit, hmacSha256Hex, sha256Hex, uriEncode } from './uri-encode.js';

export const SDK_HMAC_ALGORITHM = 'SDK-HMAC-SHA256';

export interface HuaweiSigningCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  securityToken?: string | undefined;
  projectId?: string | undefined;
}

/** `YYYYMMDDTHHMMSSZ` in UTC, the only form the gateway accepts for `X-Sdk-Date`. */
export const formatSdkDate = (now: Date): string =>
  `${now.toISOString().slice(0, 19).replace(/[-:]/g, '')}Z`;

const headerValue = (
  headers: OutboundRequest['headers'],
  lowerName: string,
): string | undefined => {
  for (const [name, value] of Object.entries(headers)) {
    if (name.toLowerCase() === lowerName) return value;
  }
  return undefined;
};

/** The canonical request of api-sign-algorithm-002, over exactly the given (lower-case) headers. */
export const huaweiCanonicalRequest = (
  request: OutboundRequest,
  signedHeaders: readonly string[],
): string => {
  // The signature is computed over a URI ending in '/', even though the request itself need not.
  const encodedPath = encodePath(request.path);
  const canonicalUri = encodedPath.endsWith('/') ? encodedPath : `${encodedPath}/`;

  // Sorted on the encoded text, key first and then value, so the order never depends on locale
  // or on the order the caller happened to add parameters in.
  const canonicalQuery = request.query
    .map(([key, value]) => [uriEncode(key), uriEncode(value)] as const)
    .sort(([keyA, valueA], [keyB, valueB]) => byCodeUnit(keyA, keyB) || byCodeUnit(valueA, valueB))
    .map(([key, value]) => `${key}=${value}`)
    .join('&');

  const canonicalHeaders = signedHeaders
    .map((name) => {
      const value =
        name === 'host'
          ? (headerValue(request.headers, 'host') ?? hostHeader(request.origin))
          : (headerValue(request.headers, name) ?? '');
      return `${name}:${value.trim()}\n`;
    })
    .join('');

  // `X-Sdk-Content-Sha256: UNSIGNED-PAYLOAD` tells the gateway the body is not signed.
  const payloadHash =
    headerValue(request.headers, 'x-sdk-content-sha256') ?? sha256Hex(request.body);

  return [
    request.method,
    canonicalUri,
    canonicalQuery,
    canonicalHeaders,
    signedHeaders.join(';'),
    payloadHash,
  ].join('\n');
};

/** Hex HMAC-SHA256 of the string to sign; `sdkDate` must be the request's `X-Sdk-Date` value. */
export const huaweiSignature = (
  request: OutboundRequest,
  secretAccessKey: string,
  sdkDate: string,
  signedHeaders: readonly string[],
): string => {
  const canonicalRequest = huaweiCanonicalRequest(request, signedHeaders);
  const stringToSign = `${SDK_HMAC_ALGORITHM}\n${sdkDate}\n${sha256Hex(canonicalRequest)}`;
  return hmacSha256Hex(secretAccessKey, stringToSign);
};

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
  const addedNames = new Set(Object.keys(added).map((name) => name.toLowerCase()));
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (!addedNames.has(name.toLowerCase())) headers[name] = value;
  }
  Object.assign(headers, added);

  // Every header is signed (as the official SDK does), plus host, in one plain code-unit order.
  const signedHeaders = [
    ...new Set([...Object.keys(headers).map((name) => name.toLowerCase()), 'host']),
  ].sort(byCodeUnit);

  const signature = huaweiSignature(
    { ...request, headers },
    credentials.secretAccessKey,
    sdkDate,
    signedHeaders,
  );
  return {
    ...added,
    Authorization: `${SDK_HMAC_ALGORITHM} Access=${credentials.accessKeyId}, SignedHeaders=${signedHeaders.join(';')}, Signature=${signature}`,
  };
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
