// Reading the credentials secret from Secrets Manager, and telling the operator's faults apart from
// the service's: access denied, a missing secret or one that cannot be decrypted are the
// deployment's (ConfigurationError); throttling, 5xx, network failures and timeouts are transient
// (CredentialsUnavailable, retryable). The SDK client retries transient failures itself (standard
// mode, 3 attempts with backoff) within its per-attempt timeouts.
//
// Messages never carry the secret's ARN, an account id or the AWS error text (which quotes the
// role ARN): those go to `logDetail`, which only the request's log line shows.

import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ConfigurationError, CredentialsUnavailable } from '../errors/errors.js';
import { SECRET_ID_VARIABLE } from './credential-section.js';

type SecretsManagerModule = typeof import('./secrets-manager-client.js');
let secretsManagerModule: Promise<SecretsManagerModule> | undefined;

/**
 * The Secrets Manager client library, loaded on the secret path only: a function that takes its
 * credentials from the environment never evaluates the AWS SDK. Loading it starts as soon as this
 * module is evaluated in a process configured with a secret (code only: nothing is sent before an
 * invocation asks for credentials), so that it is under way during INIT, not after the first
 * invocation's validation and region resolution.
 */
export const loadSecretsManager = (): Promise<SecretsManagerModule> => {
  secretsManagerModule ??= import('./secrets-manager-client.js');
  return secretsManagerModule;
};

if (process.env[SECRET_ID_VARIABLE]) {
  // A failure here is the first read's to report (it loads again).
  loadSecretsManager().catch(() => {
    secretsManagerModule = undefined;
  });
}

/** A bare client (AWS_REGION, AWS_ENDPOINT_URL_SECRETS_MANAGER... apply), bounded per attempt. */
export const createSecretsClient = async (): Promise<SecretsManagerClient> => {
  const { newSecretsClient } = await loadSecretsManager();
  return newSecretsClient();
};

/** Seconds a caller should wait after Secrets Manager failed transiently. */
export const CREDENTIALS_RETRY_AFTER_SECONDS = 2;

const CONFIGURATION_FAULTS: Readonly<Record<string, string>> = {
  AccessDeniedException:
    'access to it is denied (the function role needs secretsmanager:GetSecretValue, and kms:Decrypt for a customer-managed key)',
  ResourceNotFoundException: 'it does not exist in this region',
  DecryptionFailure: 'it cannot be decrypted with its KMS key',
  InvalidRequestException:
    'Secrets Manager refuses to read it (deleted, or scheduled for deletion)',
  InvalidParameterException: 'its id is not valid',
  ValidationException: 'its id is not valid',
  UnrecognizedClientException: "the function's AWS credentials are not valid",
  InvalidSignatureException: "the function's AWS request signature is not valid",
};

const TRANSIENT_NAMES = new Set([
  'ThrottlingException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'InternalServiceError',
  'InternalFailure',
  'ServiceUnavailable',
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
]);

const errorName = (error: unknown): string => {
  if (error instanceof Error) {
    const code = (error as Error & { code?: unknown }).code;
    if (error.name === 'Error' && typeof code === 'string') return code;
    return error.name;
  }
  return 'UnknownError';
};

const httpStatusOf = (error: unknown): number | undefined => {
  const status = (error as { $metadata?: { httpStatusCode?: unknown } } | undefined)?.$metadata
    ?.httpStatusCode;
  return typeof status === 'number' ? status : undefined;
};

/** The AWS error for the log line: name, status and its own text (which may quote ARNs). */
const detailOf = (secretId: string, error: unknown): string => {
  const status = httpStatusOf(error);
  const message = error instanceof Error ? error.message.replace(/\s+/g, ' ').slice(0, 300) : '';
  return `secret ${secretId}: ${errorName(error)}${status === undefined ? '' : ` (HTTP ${status})`}${message ? `: ${message}` : ''}`;
};

/** The error a failed GetSecretValue becomes: ours, with no stack, cause or raw response. */
export const secretReadFailure = (
  secretId: string,
  error: unknown,
): ConfigurationError | CredentialsUnavailable => {
  const name = errorName(error);
  const status = httpStatusOf(error);
  const logDetail = detailOf(secretId, error);
  const reason = CONFIGURATION_FAULTS[name];
  if (reason !== undefined) {
    return new ConfigurationError(
      `Could not read the credentials secret (${SECRET_ID_VARIABLE}): ${reason} [${name}]`,
      { logDetail },
    );
  }
  const transient =
    TRANSIENT_NAMES.has(name) ||
    status === undefined || // no HTTP answer at all: reset, refused, DNS, timeout
    status === 429 ||
    status >= 500;
  if (transient) {
    return new CredentialsUnavailable(
      `Secrets Manager could not give the credentials secret (${name}); try again later`,
      { logDetail, retryAfterSeconds: CREDENTIALS_RETRY_AFTER_SECONDS },
    );
  }
  return new ConfigurationError(
    `Could not read the credentials secret (${SECRET_ID_VARIABLE}): Secrets Manager answered ${name}`,
    { logDetail },
  );
};

/** The secret's text (SecretString, or SecretBinary as UTF-8). */
export const fetchSecretText = async (
  client: SecretsManagerClient,
  secretId: string,
): Promise<string> => {
  const { getSecretValue } = await loadSecretsManager();
  let output: { SecretString?: string | undefined; SecretBinary?: Uint8Array | undefined };
  try {
    output = await getSecretValue(client, secretId);
  } catch (error) {
    throw secretReadFailure(secretId, error);
  }
  if (typeof output.SecretString === 'string') return output.SecretString;
  if (output.SecretBinary !== undefined) return new TextDecoder().decode(output.SecretBinary);
  throw new ConfigurationError(`The credentials secret (${SECRET_ID_VARIABLE}) has no value`, {
    logDetail: `secret ${secretId}`,
  });
};
