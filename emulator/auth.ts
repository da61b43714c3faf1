// Signature verification as each provider's gateway does it, using the project's own signers to
// recompute the signature over exactly the headers the Authorization names.

import { timingSafeEqual } from 'node:crypto';
import { bceSignature, parseBceAuthorization } from '../lib/signing/bce-auth-v1.js';
import {
  formatSdkDate,
  huaweiSignature,
  parseSdkHmacAuthorization,
} from '../lib/signing/huawei-sdk-hmac.js';
import { DEMO_BCC, DEMO_MODELARTS } from './demo.js';
import { type ReceivedRequest, toOutbound } from './incoming.js';
import { bceError, type EmulatorResponse, huaweiError } from './response.js';

/** Huawei APIG rejects an X-Sdk-Date more than 15 minutes from its clock. */
export const HUAWEI_MAX_SKEW_MS = 15 * 60 * 1000;
/** Baidu rejects a timestamp more than 30 minutes ahead of its clock. */
export const BCE_MAX_FUTURE_MS = 30 * 60 * 1000;
/** More than this many consecutive failures lock a Huawei AK. */
export const HUAWEI_LOCKOUT_THRESHOLD = 5;
export const DEFAULT_LOCKOUT_MS = 5 * 60 * 1000;

const HUAWEI_SECRETS: ReadonlyMap<string, string> = new Map([
  [DEMO_MODELARTS.accessKeyId, DEMO_MODELARTS.secretAccessKey],
]);
const BCE_SECRETS: ReadonlyMap<string, string> = new Map([
  [DEMO_BCC.accessKeyId, DEMO_BCC.secretAccessKey],
]);

export type AuthOutcome = { ok: true } | { ok: false; response: EmulatorResponse };

const sameHex = (a: string, b: string): boolean => {
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  return left.length === right.length && timingSafeEqual(left, right);
};

/** Consecutive-failure counting and lockout per AK, as APIG does for IAM AK/SK auth. */
export class AkLockout {
  readonly #failures = new Map<string, number>();
  readonly #lockedUntil = new Map<string, number>();
  readonly #lockoutMs: number;

  constructor(lockoutMs: number = DEFAULT_LOCKOUT_MS) {
    this.#lockoutMs = lockoutMs;
  }

  isLocked(accessKeyId: string, nowMs: number): boolean {
    const until = this.#lockedUntil.get(accessKeyId);
    if (until === undefined) return false;
    if (nowMs < until) return true;
    this.#lockedUntil.delete(accessKeyId);
    return false;
  }

  failure(accessKeyId: string, nowMs: number): void {
    const count = (this.#failures.get(accessKeyId) ?? 0) + 1;
    if (count > HUAWEI_LOCKOUT_THRESHOLD) {
      this.#failures.delete(accessKeyId);
      this.#lockedUntil.set(accessKeyId, nowMs + this.#lockoutMs);
    } else {
      this.#failures.set(accessKeyId, count);
    }
  }

  success(accessKeyId: string): void {
    this.#failures.delete(accessKeyId);
  }

  clear(): void {
    this.#failures.clear();
    this.#lockedUntil.clear();
  }
}

const SDK_DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;

/** `YYYYMMDDTHHMMSSZ` → epoch ms; undefined when malformed. */
export const parseSdkDate = (text: string): number | undefined => {
  const m = SDK_DATE.exec(text);
  if (m === null) return undefined;
  const [, y, mo, d, h, mi, s] = m.map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const ms = Date.UTC(y, mo - 1, d, h, mi, s);
  return formatSdkDate(new Date(ms)) === text ? ms : undefined;
};

const IAM = 'Incorrect IAM authentication information: ';
const VERIFY_FAIL = `${IAM}verify aksk signature fail`;

export const verifyHuawei = (
  request: ReceivedRequest,
  requestId: string,
  now: Date,
  lockout: AkLockout,
): AuthOutcome => {
  const deny = (message: string): AuthOutcome => ({
    ok: false,
    response: huaweiError(requestId, 401, 'APIGW.0301', message),
  });
  const authorization = request.headers.authorization;
  if (authorization === undefined || authorization === '') {
    return deny(`${IAM}x-auth-token not found`);
  }
  const parsed = parseSdkHmacAuthorization(authorization);
  if (parsed === undefined) return deny(VERIFY_FAIL);
  const secret = HUAWEI_SECRETS.get(parsed.accessKeyId);
  if (secret === undefined) return deny(VERIFY_FAIL);
  const nowMs = now.getTime();
  if (lockout.isLocked(parsed.accessKeyId, nowMs)) {
    return deny(`${IAM}AK access failed to reach the limit,forbidden`);
  }
  const fail = (message: string): AuthOutcome => {
    lockout.failure(parsed.accessKeyId, nowMs);
    return deny(message);
  };

  const signedHeaders = parsed.signedHeaders.map((name) => name.toLowerCase());
  const sdkDate = request.headers['x-sdk-date'];
  if (!signedHeaders.includes('x-sdk-date') || sdkDate === undefined) return fail(VERIFY_FAIL);
  const signedAt = parseSdkDate(sdkDate);
  if (signedAt === undefined) return fail(VERIFY_FAIL);
  if (Math.abs(nowMs - signedAt) > HUAWEI_MAX_SKEW_MS) {
    return fail(
      `${IAM}calc aksk signature fail:signature expired, signature time:${sdkDate},server time:${formatSdkDate(now)}`,
    );
  }
  if (signedHeaders.some((name) => request.headers[name] === undefined)) return fail(VERIFY_FAIL);
  const outbound = toOutbound(request);
  if (outbound === undefined) return fail(VERIFY_FAIL);
  let expected: string;
  try {
    expected = huaweiSignature(outbound, secret, sdkDate, signedHeaders);
  } catch {
    return fail(VERIFY_FAIL);
  }
  if (!sameHex(expected, parsed.signature)) return fail(VERIFY_FAIL);
  lockout.success(parsed.accessKeyId);
  return { ok: true };
};

export const verifyBce = (request: ReceivedRequest, requestId: string, now: Date): AuthOutcome => {
  const deny = (status: number, code: string, message: string): AuthOutcome => ({
    ok: false,
    response: bceError(requestId, status, code, message),
  });
  const authorization = request.headers.authorization;
  if (authorization === undefined || authorization === '') {
    return deny(403, 'AccessDenied', 'Access denied.');
  }
  const parsed = parseBceAuthorization(authorization);
  if (parsed === undefined) {
    return deny(400, 'InvalidHTTPAuthHeader', 'The Authorization header you provided is invalid.');
  }
  const secret = BCE_SECRETS.get(parsed.accessKeyId);
  if (secret === undefined) {
    return deny(
      403,
      'InvalidAccessKeyId',
      'The Access Key ID you provided does not exist in our records.',
    );
  }
  const signedAt = Date.parse(parsed.timestamp);
  const nowMs = now.getTime();
  if (nowMs > signedAt + parsed.expirationSeconds * 1000 || signedAt - nowMs > BCE_MAX_FUTURE_MS) {
    return deny(
      400,
      'RequestExpired',
      `Request has expired. Timestamp date is ${parsed.timestamp}.`,
    );
  }
  const signedHeaders = parsed.signedHeaders.map((name) => name.toLowerCase());
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
  const outbound = toOutbound(request);
  if (outbound === undefined) return mismatch;
  // The prefix exactly as sent: the first four `/`-separated fields of the header.
  const prefix = authorization.split('/').slice(0, 4).join('/');
  let expected: string;
  try {
    expected = bceSignature(outbound, secret, prefix, signedHeaders);
  } catch {
    return mismatch;
  }
  return sameHex(expected, parsed.signature) ? { ok: true } : mismatch;
};
