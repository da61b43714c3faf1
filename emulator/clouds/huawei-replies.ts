// Huawei Cloud reply shapes: `X-Request-Id` on every reply, `{"error_code","error_msg"}` error
// bodies, and `request_id` added by the API gateway to its own (APIGW.* / APIG.*) errors.

import { STATUS_CODES } from 'node:http';
import { type EmulatorResponse, jsonReply } from '../response.js';

export const HUAWEI_REQUEST_ID_HEADER = 'X-Request-Id';

export const huaweiHeaders = (requestId: string): Record<string, string> => ({
  'Content-Type': 'application/json',
  [HUAWEI_REQUEST_ID_HEADER]: requestId,
});

export const huaweiJson = (requestId: string, status: number, body: unknown): EmulatorResponse =>
  jsonReply(huaweiHeaders(requestId), status, body);

const isGatewayCode = (code: string): boolean =>
  code.startsWith('APIGW.') || code.startsWith('APIG.');

export const huaweiError = (
  requestId: string,
  status: number,
  code: string,
  message: string,
): EmulatorResponse =>
  huaweiJson(
    requestId,
    status,
    isGatewayCode(code)
      ? { error_msg: message, error_code: code, request_id: requestId }
      : { error_code: code, error_msg: message },
  );

/**
 * What a `status` fault sends when it names no body: the documented gateway codes where one
 * exists (401 APIGW.0301, 429 APIGW.0308), else a clearly synthetic `HTTP.<status>`.
 */
export const huaweiFaultBody = (requestId: string, status: number): Record<string, unknown> => {
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
};

/** APIG's answer to a body over its limit (documented: APIG.0201, 413). */
export const huaweiTooLarge = (requestId: string): EmulatorResponse =>
  huaweiJson(requestId, 413, {
    error_msg: 'Request entity too large',
    error_code: 'APIGW.0201',
    request_id: requestId,
  });

/** APIG's answer for a path no published API serves (documented: APIGW.0101, 404). */
export const huaweiUnknownApi = (requestId: string): EmulatorResponse =>
  huaweiError(
    requestId,
    404,
    'APIGW.0101',
    'The API does not exist or has not been published in the environment',
  );

/**
 * APIG's flow-control answer (documented: APIG.0308, 429); the message as the gateway words a
 * per-user policy, e.g. `policy user over ratelimit,limit:5,time:1 second`. Key order as seen in
 * the wild (error_code first).
 */
export const huaweiThrottled = (requestId: string, limitPerSecond: number): EmulatorResponse =>
  huaweiJson(requestId, 429, {
    error_code: 'APIG.0308',
    error_msg: `The throttling threshold has been reached: policy user over ratelimit,limit:${limitPerSecond},time:1 second`,
    request_id: requestId,
  });
