// Huawei API Gateway AK/SK verification (`SDK-HMAC-SHA256`), written from the published scheme
// (devg-apisign api-sign-algorithm-001..005), not from the client's signer:
//
//   CanonicalRequest = Method \n CanonicalURI/ \n CanonicalQuery \n CanonicalHeaders \n
//                      SignedHeaders \n HexSHA256(body)           (or the X-Sdk-Content-Sha256 value)
//   StringToSign     = "SDK-HMAC-SHA256" \n X-Sdk-Date \n HexSHA256(CanonicalRequest)
//   Signature        = HexHMAC-SHA256(SK, StringToSign)             (the raw SK is the key)
//
// What the gateway checks, in order: an Authorization at all ("x-auth-token not found"); its form
// and a known AK ("verify aksk signature fail", not counted towards a lockout); a locked AK; then,
// counted as failures: x-sdk-date signed and well formed, within 15 minutes of the gateway clock
// (the "signature expired" message), every signed header present, the signature itself.

import { huaweiError } from '../clouds/huawei-replies.js';
import type { ReceivedRequest } from '../incoming.js';
import type { AkLockout } from './ak-lockout.js';
import type { Authenticator, AuthOutcome, SecretLookup } from './authenticator.js';
import {
  byCodeUnit,
  canonicalPath,
  hmacSha256Hex,
  percentEncode,
  sameSignature,
  sha256Hex,
} from './encoding.js';

/** Huawei APIG rejects an X-Sdk-Date more than 15 minutes from its clock. */
export const HUAWEI_MAX_SKEW_MS = 15 * 60 * 1000;

const ALGORITHM = 'SDK-HMAC-SHA256';
const HEADER_NAME = /^[a-z0-9!#$%&'*+.^_`|~-]+$/;
const HEX_SIGNATURE = /^[0-9a-f]{64}$/;

export interface HuaweiAuthorization {
  accessKeyId: string;
  signedHeaders: string[];
  signature: string;
}

/**
 * `SDK-HMAC-SHA256 Access=<ak>, SignedHeaders=<a;b>, Signature=<hex>`: the algorithm, a space, and
 * exactly those three comma-separated fields in that order. Undefined when anything differs.
 */
export const parseHuaweiAuthorization = (header: string): HuaweiAuthorization | undefined => {
  const text = header.trim();
  if (!text.startsWith(`${ALGORITHM} `)) return undefined;
  const fields = text
    .slice(ALGORITHM.length)
    .split(',')
    .map((field) => field.trim());
  if (fields.length !== 3) return undefined;
  const values: string[] = [];
  for (const [index, name] of ['Access', 'SignedHeaders', 'Signature'].entries()) {
    const field = fields[index] ?? '';
    if (!field.startsWith(`${name}=`)) return undefined;
    values.push(field.slice(name.length + 1).trim());
  }
  const [accessKeyId = '', headerList = '', signature = ''] = values;
  const signedHeaders = headerList.split(';');
  if (
    accessKeyId === '' ||
    !signedHeaders.every((name) => HEADER_NAME.test(name)) ||
    !HEX_SIGNATURE.test(signature)
  ) {
    return undefined;
  }
  return { accessKeyId, signedHeaders, signature };
};

const SDK_DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;
const two = (n: number): string => String(n).padStart(2, '0');

/** `YYYYMMDDTHHMMSSZ` (UTC), the only X-Sdk-Date form the gateway accepts. */
export const formatSdkDate = (date: Date): string =>
  `${date.getUTCFullYear()}${two(date.getUTCMonth() + 1)}${two(date.getUTCDate())}T${two(date.getUTCHours())}${two(date.getUTCMinutes())}${two(date.getUTCSeconds())}Z`;

/** X-Sdk-Date → epoch ms; undefined unless it is a real calendar instant in that exact form. */
export const parseSdkDate = (text: string): number | undefined => {
  const match = SDK_DATE.exec(text);
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
  return formatSdkDate(new Date(ms)) === text ? ms : undefined;
};

/**
 * The canonical request over exactly `signedHeaders` (lower-case, in the order the Authorization
 * lists them); undefined when the request cannot be canonicalised (bad encoding, missing header).
 */
export const huaweiCanonicalRequest = (
  request: ReceivedRequest,
  signedHeaders: readonly string[],
): string | undefined => {
  const path = canonicalPath(request.rawPath);
  if (path === undefined || request.query === undefined) return undefined;
  // The signature is computed over a URI ending in '/', whether or not the request's does.
  const uri = path.endsWith('/') ? path : `${path}/`;
  const query = request.query
    .map(([key, value]) => [percentEncode(key), percentEncode(value)] as const)
    .sort(([keyA, valueA], [keyB, valueB]) => byCodeUnit(keyA, keyB) || byCodeUnit(valueA, valueB))
    .map(([key, value]) => `${key}=${value}`)
    .join('&');
  let headers = '';
  for (const name of signedHeaders) {
    const value = request.headers[name];
    if (value === undefined) return undefined;
    headers += `${name}:${value.trim()}\n`;
  }
  // `X-Sdk-Content-Sha256: UNSIGNED-PAYLOAD` tells the gateway the body is not signed.
  const payloadHash = request.headers['x-sdk-content-sha256'] ?? sha256Hex(request.body);
  return `${request.method}\n${uri}\n${query}\n${headers}\n${signedHeaders.join(';')}\n${payloadHash}`;
};

export const huaweiStringToSign = (sdkDate: string, canonicalRequest: string): string =>
  `${ALGORITHM}\n${sdkDate}\n${sha256Hex(canonicalRequest)}`;

const IAM = 'Incorrect IAM authentication information: ';
const VERIFY_FAIL = `${IAM}verify aksk signature fail`;

export const huaweiAuthenticator = (secretOf: SecretLookup, lockout: AkLockout): Authenticator => ({
  clear: () => lockout.clear(),
  verify: (request, requestId, now): AuthOutcome => {
    const deny = (message: string): AuthOutcome => ({
      ok: false,
      response: huaweiError(requestId, 401, 'APIGW.0301', message),
    });
    const header = request.headers.authorization;
    if (header === undefined || header === '') return deny(`${IAM}x-auth-token not found`);
    const authorization = parseHuaweiAuthorization(header);
    if (authorization === undefined) return deny(VERIFY_FAIL);
    const { accessKeyId, signedHeaders, signature } = authorization;
    const secret = secretOf(accessKeyId);
    if (secret === undefined) return deny(VERIFY_FAIL);
    const nowMs = now.getTime();
    if (lockout.isLocked(accessKeyId, nowMs)) {
      return deny(`${IAM}AK access failed to reach the limit,forbidden`);
    }
    const fail = (message: string): AuthOutcome => {
      lockout.failure(accessKeyId, nowMs);
      return deny(message);
    };

    const sdkDate = request.headers['x-sdk-date'];
    if (!signedHeaders.includes('x-sdk-date') || sdkDate === undefined) return fail(VERIFY_FAIL);
    const signedAt = parseSdkDate(sdkDate);
    if (signedAt === undefined) return fail(VERIFY_FAIL);
    if (Math.abs(nowMs - signedAt) > HUAWEI_MAX_SKEW_MS) {
      return fail(
        `${IAM}calc aksk signature fail:signature expired, signature time:${sdkDate},server time:${formatSdkDate(now)}`,
      );
    }
    const canonical = huaweiCanonicalRequest(request, signedHeaders);
    if (canonical === undefined) return fail(VERIFY_FAIL);
    const expected = hmacSha256Hex(secret, huaweiStringToSign(sdkDate, canonical));
    if (!sameSignature(expected, signature)) return fail(VERIFY_FAIL);
    lockout.success(accessKeyId);
    return { ok: true, accessKeyId };
  },
});
