// The reply a provider handler produces, and the provider-shaped error bodies.

import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { ProviderKey } from './types.js';

export interface EmulatorResponse {
  status: number;
  headers: Record<string, string>;
  /** Exact body text ('' for none). */
  body: string;
}

/** The header each provider puts its request id in. */
export const REQUEST_ID_HEADER: Record<ProviderKey, string> = {
  modelarts: 'X-Request-Id',
  bcc: 'x-bce-request-id',
};

const JSON_TYPE: Record<ProviderKey, string> = {
  modelarts: 'application/json',
  bcc: 'application/json;charset=UTF-8',
};

/** Headers every reply of this provider carries. */
export const baseHeaders = (provider: ProviderKey, requestId: string): Record<string, string> =>
  provider === 'bcc'
    ? { 'Content-Type': JSON_TYPE.bcc, [REQUEST_ID_HEADER.bcc]: requestId, Server: 'BWS' }
    : { 'Content-Type': JSON_TYPE.modelarts, [REQUEST_ID_HEADER.modelarts]: requestId };

export const newRequestId = (): string => randomUUID();

export const jsonResponse = (
  provider: ProviderKey,
  requestId: string,
  status: number,
  body: unknown,
): EmulatorResponse => ({
  status,
  headers: baseHeaders(provider, requestId),
  body: body === undefined ? '' : JSON.stringify(body),
});

/** Huawei shape: `{"error_code","error_msg"}`; gateway (APIGW.*) errors add `request_id`. */
export const huaweiError = (
  requestId: string,
  status: number,
  code: string,
  message: string,
): EmulatorResponse =>
  jsonResponse(
    'modelarts',
    requestId,
    status,
    code.startsWith('APIGW.') || code.startsWith('APIG.')
      ? { error_msg: message, error_code: code, request_id: requestId }
      : { error_code: code, error_msg: message },
  );

/** Baidu shape: `{"requestId","code","message"}`. */
export const bceError = (
  requestId: string,
  status: number,
  code: string,
  message: string,
): EmulatorResponse => jsonResponse('bcc', requestId, status, { requestId, code, message });

const pascalReason = (status: number): string =>
  (STATUS_CODES[status] ?? `Status${status}`).replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string) =>
    c === undefined ? '' : c.toUpperCase(),
  );

/**
 * The body a `status` fault sends when it names none. Documented codes where one exists
 * (Huawei 401 APIGW.0301, 429 APIGW.0308; BCC 500 InternalError); otherwise a clearly synthetic
 * code: Huawei `HTTP.<status>`, BCC the reason phrase in PascalCase (`ServiceUnavailable`).
 */
export const defaultFaultBody = (
  provider: ProviderKey,
  requestId: string,
  status: number,
): Record<string, unknown> => {
  if (provider === 'modelarts') {
    if (status === 401) {
      return {
        error_msg: 'Incorrect IAM authentication information: verify aksk signature fail',
        error_code: 'APIGW.0301',
        request_id: requestId,
      };
    }
    if (status === 429) {
      return {
        error_msg:
          'The throttling threshold has been reached: policy user over ratelimit,limit:200,time:1 second',
        error_code: 'APIGW.0308',
        request_id: requestId,
      };
    }
    return {
      error_msg: STATUS_CODES[status] ?? 'Error',
      error_code: `HTTP.${status}`,
      request_id: requestId,
    };
  }
  if (status === 500) {
    return {
      requestId,
      code: 'InternalError',
      message: 'We encountered an internal error. Please try again.',
    };
  }
  return { requestId, code: pascalReason(status), message: STATUS_CODES[status] ?? 'Error' };
};
