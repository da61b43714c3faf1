// Reading the credentials secret from Secrets Manager, and telling the operator's faults apart from
// the service's: access denied, a missing secret or one that cannot be decrypted are the
// deployment's (ConfigurationError); throttling, 5xx, network failures and timeouts are transient
// (CredentialsUnavailable, retryable). The SDK client retries transient failures itself (standard
// mode, 3 attempts with backoff) within its per-attempt timeouts.
//
// Messages never carry the secret's ARN, an account id or the AWS error text (which quotes the
// role ARN): those go to `logDetail`, which only the request's log line shows.

import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { awsLogDetail, classifyAwsFailure } from '../errors/aws-failure.js';
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

/** The error a failed GetSecretValue becomes: ours, with no stack, cause or raw response. */
export const secretReadFailure = (
  secretId: string,
  error: unknown,
): ConfigurationError | CredentialsUnavailable => {
  const failure = classifyAwsFailure(error, CONFIGURATION_FAULTS);
  const logDetail = awsLogDetail(`secret ${secretId}`, error);
  switch (failure.kind) {
    case 'configuration':
      return new ConfigurationError(
        `Could not read the credentials secret (${SECRET_ID_VARIABLE}): ${failure.reason} [${failure.name}]`,
        { logDetail },
      );
    case 'transient':
      return new CredentialsUnavailable(
        `Secrets Manager could not give the credentials secret (${failure.name}); try again later`,
        { logDetail, retryAfterSeconds: CREDENTIALS_RETRY_AFTER_SECONDS },
      );
    default:
      return new ConfigurationError(
        `Could not read the credentials secret (${SECRET_ID_VARIABLE}): Secrets Manager answered ${failure.name}`,
        { logDetail },
      );
  }
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
