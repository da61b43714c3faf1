// The NAIVE variant of the show function, for the cold-start comparison: the same handler, plus what
// eager code typically does at module scope: import undici (whole), zod (`{ z }`, which drags in
// every locale), middy and the Secrets Manager client statically, and create a client, an agent, a
// schema and a middy instance during INIT. Bundled with the same esbuild options as the functions.

import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import middy from '@middy/core';
import { Agent, fetch, request } from 'undici';
import { z } from 'zod';

export { handler } from '../../functions/http/show-image.js';

export const secretsClient = new SecretsManagerClient({
  region: process.env.AWS_REGION ?? 'eu-central-1',
});
export const getSecret = new GetSecretValueCommand({
  SecretId: process.env.IMAGE_CREDENTIALS_SECRET_ID ?? 'unset',
});
export const agent = new Agent({ keepAliveTimeout: 4_000, connections: 64 });
export const clients = { request, fetch };
export const eventSchema = z.object({
  pathParameters: z.object({ provider: z.string(), imageId: z.string() }),
  queryStringParameters: z.record(z.string(), z.string()).optional(),
});
export const warmUp = middy();
