// The spec's error table, once. The error classes (errors.ts), the HTTP and task mappings
// (lib/triggers), the log level of a failure, the OpenAPI document (lib/openapi) and the retire-image
// state machine's Retry list (workflows/, checked by test/workflow) all read it from here.

/** Every operation a caller can start; `raisedBy` names the ones an error can come from. */
export const OPERATIONS = [
  'show',
  'delete',
  'list',
  'usage',
  'plan',
  'read-plan',
  'apply',
  'read-run',
] as const;
export type OperationName = (typeof OPERATIONS)[number];

/** Operations that reach a cloud (and so can meet every upstream fault). */
const UPSTREAM: readonly OperationName[] = ['show', 'delete', 'list', 'usage', 'plan', 'apply'];

export interface ErrorSpec {
  httpStatus: number;
  code: string;
  /** Worth trying again later with the same input (queues redeliver, workflows retry). */
  retryable: boolean;
  /** A caller's mistake or the image's state (warn), or something an operator should see (error). */
  logLevel: 'warn' | 'error';
  /** The answer carries `Retry-After`. */
  retryAfter: boolean;
  raisedBy: readonly OperationName[];
  /** What it means and what to do: the README's and the contract's table. */
  meaning: string;
}

export const ERROR_TABLE = {
  InvalidRequest: {
    httpStatus: 400,
    code: 'INVALID_REQUEST',
    retryable: false,
    logLevel: 'warn',
    retryAfter: false,
    raisedBy: OPERATIONS,
    meaning:
      'A bad provider, image ID, region, flag, unknown parameter, policy or event shape; the message names the field. Nothing was sent upstream.',
  },
  ImageProtected: {
    httpStatus: 403,
    code: 'IMAGE_PROTECTED',
    retryable: false,
    logLevel: 'warn',
    retryAfter: false,
    raisedBy: ['delete'],
    meaning:
      'A built-in/system image, one shared with you by another account, an operator-protected ID or name, an image of a kind or in a state this service does not recognise, or the cloud refuses to delete this kind. Nothing was deleted.',
  },
  ImageNotFound: {
    httpStatus: 404,
    code: 'IMAGE_NOT_FOUND',
    retryable: false,
    logLevel: 'warn',
    retryAfter: false,
    raisedBy: ['show', 'delete', 'usage'],
    meaning: 'The cloud does not have this image (in that region), by its own documented signal.',
  },
  PlanNotFound: {
    httpStatus: 404,
    code: 'PLAN_NOT_FOUND',
    retryable: false,
    logLevel: 'warn',
    retryAfter: false,
    raisedBy: ['read-plan', 'apply', 'read-run'],
    meaning: 'No retirement plan or run with this id is stored.',
  },
  ImageBusy: {
    httpStatus: 409,
    code: 'IMAGE_BUSY',
    retryable: false,
    logLevel: 'warn',
    retryAfter: false,
    raisedBy: ['delete'],
    meaning:
      'The image is still being created, in use (the message names what uses it), or shared to others. Try later, stop what uses it, or unshare it first.',
  },
  UpstreamAuthFailed: {
    httpStatus: 502,
    code: 'UPSTREAM_AUTH_FAILED',
    retryable: false,
    logLevel: 'error',
    retryAfter: false,
    raisedBy: UPSTREAM,
    meaning:
      "The cloud rejected our credentials or signature (after one retry with freshly read credentials), or refused the key an action it has no permission for. Check the secret, the clock and the key's permissions.",
  },
  UpstreamBadResponse: {
    httpStatus: 502,
    code: 'UPSTREAM_BAD_RESPONSE',
    retryable: false,
    logLevel: 'error',
    retryAfter: false,
    raisedBy: UPSTREAM,
    meaning:
      'The cloud (or something in front of it) answered what it does not document: not JSON, not an image, a 404 that is not its own not-found, an unexpected status.',
  },
  UpstreamUnavailable: {
    httpStatus: 502,
    code: 'UPSTREAM_UNAVAILABLE',
    retryable: true,
    logLevel: 'error',
    retryAfter: false,
    raisedBy: UPSTREAM,
    meaning:
      '5xx and 408 (timeout) answers, reset or refused connections, still failing after the retries. Try later.',
  },
  UpstreamThrottled: {
    httpStatus: 503,
    code: 'UPSTREAM_THROTTLED',
    retryable: true,
    logLevel: 'warn',
    retryAfter: true,
    raisedBy: UPSTREAM,
    meaning: 'The cloud is throttling after the retries; `Retry-After` says when to try again.',
  },
  UpstreamTimeout: {
    httpStatus: 504,
    code: 'UPSTREAM_TIMEOUT',
    retryable: true,
    logLevel: 'error',
    retryAfter: false,
    raisedBy: UPSTREAM,
    meaning:
      'No answer within the time the function had left. Repeat the request: a repeat is safe, also for a delete that may or may not have happened.',
  },
  CredentialsUnavailable: {
    httpStatus: 503,
    code: 'CREDENTIALS_UNAVAILABLE',
    retryable: true,
    logLevel: 'error',
    retryAfter: true,
    raisedBy: UPSTREAM,
    meaning:
      'Secrets Manager throttled, failed or did not answer in time, after retries: transient, not a configuration fault. Try later.',
  },
  ConfigurationError: {
    httpStatus: 500,
    code: 'CONFIGURATION_ERROR',
    retryable: false,
    logLevel: 'error',
    retryAfter: false,
    raisedBy: OPERATIONS,
    meaning:
      'Missing or malformed configuration or secret, or access to it denied. The message names what, never a value, ARN or account; the log line has the detail. Fix the deployment.',
  },
  StoreUnavailable: {
    httpStatus: 503,
    code: 'STORE_UNAVAILABLE',
    retryable: true,
    logLevel: 'error',
    retryAfter: true,
    raisedBy: ['delete', 'plan', 'read-plan', 'apply', 'read-run'],
    meaning:
      "The stack's own storage (the plans bucket, the runs table) or the local store could not be reached or throttled, after retries, or (cloud-images apply) another apply is working the run: transient. Try later.",
  },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorName = keyof typeof ERROR_TABLE;

/** Every error name a caller can match on, in the table's order. */
export const ERROR_NAMES = Object.keys(ERROR_TABLE) as ErrorName[];

/** Not in the table: a bug, answered with a generic body and thrown as `InternalError`. */
export const INTERNAL_ERROR = {
  name: 'InternalError',
  code: 'INTERNAL_ERROR',
  httpStatus: 500,
} as const;

export const specOf = (name: ErrorName): ErrorSpec => ERROR_TABLE[name];

/** The table's row for a name known only as text (a recorded outcome's), or undefined. */
export const specNamed = (name: string | undefined): ErrorSpec | undefined =>
  name !== undefined && Object.hasOwn(ERROR_TABLE, name)
    ? ERROR_TABLE[name as ErrorName]
    : undefined;

/** The names a workflow or queue should retry: the table's retryable rows. */
export const RETRYABLE_ERROR_NAMES: readonly ErrorName[] = ERROR_NAMES.filter(
  (name) => ERROR_TABLE[name].retryable,
);
