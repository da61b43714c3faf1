// The part of @aws-sdk/client-secrets-manager a function uses: its client and GetSecretValue, by
// name, in a module loaded only on the secret path (secrets-manager.ts imports it dynamically). A
// dynamic import of the package itself would keep every export (the aggregated client, every
// command, the paginators and waiters) in the lazily loaded chunk; named imports here let the
// bundler leave them out.

import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

type Env = Readonly<Record<string, string | undefined>>;

/**
 * The function's own AWS credentials as Lambda gives them (AWS_ACCESS_KEY_ID,
 * AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN): what the SDK's default chain would find first, handed
 * over so that the chain (and its lazily loaded providers) never runs. Undefined without them: the
 * default chain then looks further (a profile, a container or instance role).
 */
export const credentialsFromEnv = (
  env: Env,
): { accessKeyId: string; secretAccessKey: string; sessionToken?: string } | undefined => {
  const accessKeyId = env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
  if (!accessKeyId || !secretAccessKey) return undefined;
  const sessionToken = env.AWS_SESSION_TOKEN;
  return sessionToken
    ? { accessKeyId, secretAccessKey, sessionToken }
    : { accessKeyId, secretAccessKey };
};

/** A bare client (AWS_REGION, AWS_ENDPOINT_URL_SECRETS_MANAGER... apply), bounded per attempt. */
export const newSecretsClient = (env: Env = process.env): SecretsManagerClient => {
  const credentials = credentialsFromEnv(env);
  return new SecretsManagerClient({
    ...(credentials === undefined ? {} : { credentials }),
    // Bounded so that an unreachable endpoint fails the read rather than the whole invocation.
    requestHandler: { connectionTimeout: 3_000, requestTimeout: 5_000 },
  });
};

export const getSecretValue = (
  client: SecretsManagerClient,
  secretId: string,
): Promise<{ SecretString?: string | undefined; SecretBinary?: Uint8Array | undefined }> =>
  client.send(new GetSecretValueCommand({ SecretId: secretId }));
