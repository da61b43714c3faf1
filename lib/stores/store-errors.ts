// What a failed S3 or DynamoDB call becomes, following lib/credentials/secrets-manager.ts: the
// deployment's faults (access denied, a missing bucket or table, bad AWS credentials, a request AWS
// refuses) are ConfigurationError; throttling, 5xx, network failures and timeouts, which the SDK
// has already retried, are StoreUnavailable (retryable: the queue redelivers, a caller tries again).
//
// Messages name the variable, never the resource, an ARN or the AWS error text (which may quote
// the role ARN and the account): those go to `logDetail`, for the request's log line only.

import { awsErrorName, awsLogDetail, classifyAwsFailure } from '../errors/aws-failure.js';
import { ConfigurationError, StoreUnavailable } from '../errors/errors.js';
import { errorCode } from '../files/error-code.js';

/** Seconds a caller should wait after a store failed transiently. */
export const STORE_RETRY_AFTER_SECONDS = 2;

/** What the store is, for messages: `the plans bucket (PLANS_BUCKET)`. */
export interface StoreName {
  readonly what: string;
  readonly variable: string;
  /** The bucket or table name: for logDetail only. */
  readonly resource: string;
}

const CONFIGURATION_FAULTS: Readonly<Record<string, string>> = {
  AccessDenied: 'access is denied (check the function role)',
  AccessDeniedException: 'access is denied (check the function role)',
  NoSuchBucket: 'the bucket does not exist',
  ResourceNotFoundException: 'the table does not exist in this region',
  UnrecognizedClientException: "the function's AWS credentials are not valid",
  InvalidAccessKeyId: "the function's AWS credentials are not valid",
  InvalidSignatureException: "the function's AWS request signature is not valid",
  SignatureDoesNotMatch: "the function's AWS request signature is not valid",
  ExpiredToken: "the function's AWS credentials have expired",
  ExpiredTokenException: "the function's AWS credentials have expired",
  KMSAccessDeniedException: 'the KMS key cannot be used (check the function role)',
  'KMS.DisabledException': 'the KMS key is disabled',
  ValidationException: 'AWS refused the request as invalid',
};

/** The store's AWS error names, for a caller that expects one (`NoSuchKey`, a cancelled write). */
export { awsErrorName };

/** The error a failed AWS call on a store becomes: ours, with no stack, cause or raw response. */
export const storeFailure = (
  store: StoreName,
  action: string,
  error: unknown,
): ConfigurationError | StoreUnavailable => {
  const failure = classifyAwsFailure(error, CONFIGURATION_FAULTS);
  const logDetail = awsLogDetail(`${store.what} ${store.resource}`, error);
  switch (failure.kind) {
    case 'configuration':
      return new ConfigurationError(
        `Could not ${action} ${store.what} (${store.variable}): ${failure.reason} [${failure.name}]`,
        { logDetail },
      );
    case 'transient':
      return new StoreUnavailable(
        `Could not ${action} ${store.what} (${store.variable}) for now (${failure.name}); try again later`,
        { logDetail, retryAfterSeconds: STORE_RETRY_AFTER_SECONDS },
      );
    default:
      return new ConfigurationError(
        `Could not ${action} ${store.what} (${store.variable}): AWS answered ${failure.name}`,
        { logDetail },
      );
  }
};

/** A local file error (npm start, CLI): a full disk is transient, anything else the operator's. */
export const fileFailure = (
  store: StoreName,
  action: string,
  error: unknown,
): ConfigurationError | StoreUnavailable => {
  const code = errorCode(error);
  const name = typeof code === 'string' ? code : awsErrorName(error);
  const logDetail = `${store.what} ${store.resource}: ${name}${error instanceof Error ? `: ${error.message.slice(0, 300)}` : ''}`;
  if (name === 'ENOSPC' || name === 'EMFILE' || name === 'ENFILE' || name === 'EBUSY') {
    return new StoreUnavailable(
      `Could not ${action} ${store.what} (${store.variable}) for now (${name}); try again later`,
      { logDetail, retryAfterSeconds: STORE_RETRY_AFTER_SECONDS },
    );
  }
  return new ConfigurationError(`Could not ${action} ${store.what} (${store.variable}): ${name}`, {
    logDetail,
  });
};
