// Baidu AI Cloud reply shapes: `x-bce-request-id` and `Server: BWS` on every reply, and
// `{"requestId","code","message"}` error bodies.

import { STATUS_CODES } from 'node:http';
import { type EmulatorResponse, jsonReply } from '../response.js';

export const BCE_REQUEST_ID_HEADER = 'x-bce-request-id';

export const bceHeaders = (requestId: string): Record<string, string> => ({
  'Content-Type': 'application/json;charset=UTF-8',
  [BCE_REQUEST_ID_HEADER]: requestId,
  Server: 'BWS',
});

export const bceJson = (requestId: string, status: number, body: unknown): EmulatorResponse =>
  jsonReply(bceHeaders(requestId), status, body);

export const bceError = (
  requestId: string,
  status: number,
  code: string,
  message: string,
): EmulatorResponse => bceJson(requestId, status, { requestId, code, message });

const pascalReason = (status: number): string =>
  (STATUS_CODES[status] ?? `Status${status}`).replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string) =>
    c === undefined ? '' : c.toUpperCase(),
  );

/**
 * What a `status` fault sends when it names no body: the documented `InternalError` for 500, else
 * the reason phrase in PascalCase (`ServiceUnavailable`), clearly synthetic.
 */
export const bceFaultBody = (requestId: string, status: number): Record<string, unknown> =>
  status === 500
    ? {
        requestId,
        code: 'InternalError',
        message: 'We encountered an internal error. Please try again.',
      }
    : { requestId, code: pascalReason(status), message: STATUS_CODES[status] ?? 'Error' };

export const bceTooLarge = (requestId: string): EmulatorResponse =>
  bceJson(requestId, 413, {
    requestId,
    code: 'EntityTooLarge',
    message: 'Your proposed upload exceeds the maximum allowed object size.',
  });

/** Any path the emulator does not serve under `/v2/` (chosen: the docs are silent). */
export const bceUnknownApi = (requestId: string): EmulatorResponse =>
  bceError(requestId, 400, 'InvalidURI', 'The URI you provided is invalid.');

/**
 * Baidu documents no throttling reply for BCE OpenAPI (no 429 or rate-limit code in the BCC or
 * common error tables, and bce-sdk-go's BackOffRetryPolicy retries only 500/502/503 and
 * RequestExpired). Inferred: HTTP 429 with the common BCE error body and a descriptive code.
 */
export const bceThrottled = (requestId: string, limitPerSecond: number): EmulatorResponse =>
  bceError(
    requestId,
    429,
    'RequestLimitExceeded',
    `Request rate exceeds the limit of ${limitPerSecond} per second for this access key.`,
  );

/** 400 for a malformed query parameter (inferred: BCC documents no code for it). */
export const bceInvalidParameter = (requestId: string, name: string): EmulatorResponse =>
  bceError(requestId, 400, 'InvalidParameter', `The parameter ${name} is invalid.`);
