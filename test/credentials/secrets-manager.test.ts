// The store against Secrets Manager as moto serves it, through the real SDK client: secrets are
// created with CreateSecret and rotated with PutSecretValue; GetSecretValue calls are counted with a
// client middleware.

import {
  CreateSecretCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  type CredentialStoreOptions,
  createCredentialStore,
} from '../../lib/credentials/credential-store.js';
import type { ConfigurationError } from '../../lib/errors/errors.js';
import { bccCredentials } from '../../lib/providers/bcc/credentials.js';
import { modelArtsCredentials } from '../../lib/providers/modelarts/credentials.js';
import { useFixture } from '../support/fixture.js';
import { MOTO_AWS_ENV, motoClientConfig, skipWithoutMoto } from '../support/moto.js';
import { configurationErrorOf } from './configuration-error.js';

const SECRET = {
  modelarts: {
    accessKeyId: 'MOTO-MA-AK-canary-1111',
    secretAccessKey: 'MOTO-MA-SK-canary-2222',
    projects: {
      'cn-north-4': 'moto-project-canary-3333',
      'ap-southeast-1': 'moto-project-canary-4444',
    },
    defaultRegion: 'cn-north-4',
  },
  bcc: {
    accessKeyId: 'MOTO-BCC-AK-canary-5555',
    secretAccessKey: 'MOTO-BCC-SK-canary-6666',
    defaultRegion: 'bj',
  },
};
const CANARIES = [
  ...Object.values(SECRET.modelarts.projects),
  SECRET.modelarts.accessKeyId,
  SECRET.modelarts.secretAccessKey,
  SECRET.bcc.accessKeyId,
  SECRET.bcc.secretAccessKey,
];

const expectConfigurationError = async (promise: Promise<unknown>): Promise<ConfigurationError> => {
  const configError = await configurationErrorOf(promise, CANARIES);
  expect(configError.message).not.toContain('    at ');
  // The secret's id (possibly an ARN with the account) is for the log line, never the caller.
  expect(configError.message).not.toContain('image-functions/');
  expect(configError.logDetail).toMatch(/^secret image-functions\//);
  return configError;
};

describe.skipIf(skipWithoutMoto('credentials from Secrets Manager'))(
  'credentials from Secrets Manager (moto)',
  () => {
    const fixture = useFixture({ emulator: false, moto: true });
    let admin: SecretsManagerClient;
    let reader: SecretsManagerClient;
    let gets = 0;
    let sequence = 0;

    beforeAll(async () => {
      admin = new SecretsManagerClient(motoClientConfig(fixture.moto.endpoint));
      reader = new SecretsManagerClient(motoClientConfig(fixture.moto.endpoint));
      reader.middlewareStack.add(
        (next, context) => (args) => {
          if (context.commandName === 'GetSecretValueCommand') gets += 1;
          return next(args);
        },
        { step: 'initialize', name: 'countGetSecretValue' },
      );
    });

    afterAll(async () => {
      admin?.destroy();
      reader?.destroy();
    });

    beforeEach(() => {
      gets = 0;
    });

    /** A fresh secret (own name per test) holding `value` as its string. */
    const createSecret = async (value: string): Promise<string> => {
      sequence += 1;
      const name = `image-functions/credentials-${sequence}`;
      await admin.send(new CreateSecretCommand({ Name: name, SecretString: value }));
      return name;
    };

    const store = (
      secretId: string,
      options: Omit<CredentialStoreOptions, 'env' | 'secretsClient'> = {},
    ) =>
      createCredentialStore({
        env: { IMAGE_CREDENTIALS_SECRET_ID: secretId },
        secretsClient: reader,
        ...options,
      });

    it('reads and parses a full secret', async () => {
      const id = await createSecret(JSON.stringify(SECRET));
      const credentials = store(id);
      await expect(credentials.get(modelArtsCredentials)).resolves.toEqual({
        ...SECRET.modelarts,
        securityToken: undefined,
      });
      await expect(credentials.get(bccCredentials)).resolves.toEqual({
        ...SECRET.bcc,
        sessionToken: undefined,
      });
      expect(gets).toBe(1);
    });

    describe('with the SDK configured only by its own environment variables', () => {
      it('finds moto through AWS_ENDPOINT_URL_SECRETS_MANAGER with its default client', async () => {
        const id = await createSecret(JSON.stringify(SECRET));
        fixture.setEnv({
          ...MOTO_AWS_ENV,
          AWS_ENDPOINT_URL_SECRETS_MANAGER: fixture.moto.endpoint,
          IMAGE_CREDENTIALS_SECRET_ID: id,
        });
        const credentials = createCredentialStore();
        await expect(credentials.get(bccCredentials)).resolves.toMatchObject({
          accessKeyId: SECRET.bcc.accessKeyId,
        });
      });
    });

    it('a secret with only bcc: bcc() works, modelarts() is a ConfigurationError', async () => {
      const id = await createSecret(JSON.stringify({ bcc: SECRET.bcc }));
      const credentials = store(id);
      await expect(credentials.get(bccCredentials)).resolves.toMatchObject({ defaultRegion: 'bj' });
      const error = await expectConfigurationError(credentials.get(modelArtsCredentials));
      expect(error.logDetail).toContain(id);
      expect(error.message).toContain('modelarts');
    });

    it('malformed JSON: a ConfigurationError without the secret text', async () => {
      const text = JSON.stringify(SECRET).slice(0, -7);
      const id = await createSecret(text);
      const error = await expectConfigurationError(store(id).get(bccCredentials));
      expect(error.logDetail).toContain(id);
      expect(error.message).toMatch(/not valid JSON/);
    });

    it('schema errors: a ConfigurationError naming the fields, without their values', async () => {
      const id = await createSecret(
        JSON.stringify({
          modelarts: { ...SECRET.modelarts, projects: 'moto-project-canary-3333' },
          bcc: { ...SECRET.bcc, secretAccessKey: '', defaultRegion: 'MOTO-BCC-SK-canary-6666' },
        }),
      );
      // Each cloud's section is checked when that cloud is used, and names its own fields.
      const modelarts = await expectConfigurationError(store(id).get(modelArtsCredentials));
      expect(modelarts.message).toContain('modelarts.projects');
      const bcc = await expectConfigurationError(store(id).get(bccCredentials));
      expect(bcc.message).toContain('bcc.secretAccessKey');
      expect(bcc.message).toContain('bcc.defaultRegion');
    });

    it('a missing secret: a ConfigurationError naming the secret and the AWS error', async () => {
      const error = await expectConfigurationError(
        store('image-functions/no-such-secret').get(bccCredentials),
      );
      expect(error.logDetail).toContain('image-functions/no-such-secret');
      expect(error.message).toContain('ResourceNotFoundException');
    });

    it('a rotated value is seen only after invalidate()', async () => {
      const id = await createSecret(JSON.stringify(SECRET));
      const credentials = store(id);
      expect((await credentials.get(bccCredentials)).accessKeyId).toBe(SECRET.bcc.accessKeyId);
      await admin.send(
        new PutSecretValueCommand({
          SecretId: id,
          SecretString: JSON.stringify({
            ...SECRET,
            bcc: { ...SECRET.bcc, accessKeyId: 'ROTATED' },
          }),
        }),
      );
      expect((await credentials.get(bccCredentials)).accessKeyId).toBe(SECRET.bcc.accessKeyId);
      expect(gets).toBe(1);
      credentials.invalidate('bcc');
      expect((await credentials.get(bccCredentials)).accessKeyId).toBe('ROTATED');
      expect((await credentials.get(bccCredentials)).accessKeyId).toBe('ROTATED');
      expect(gets).toBe(2);
    });

    it('a rotated value is seen after the TTL', async () => {
      let time = 0;
      const id = await createSecret(JSON.stringify(SECRET));
      const credentials = store(id, { now: () => time, ttlMs: 10_000 });
      await credentials.get(modelArtsCredentials);
      await admin.send(
        new PutSecretValueCommand({
          SecretId: id,
          SecretString: JSON.stringify({
            ...SECRET,
            modelarts: { ...SECRET.modelarts, accessKeyId: 'ROTATED' },
          }),
        }),
      );
      time = 9_999;
      expect((await credentials.get(modelArtsCredentials)).accessKeyId).toBe(
        SECRET.modelarts.accessKeyId,
      );
      expect(gets).toBe(1);
      time = 10_000;
      expect((await credentials.get(modelArtsCredentials)).accessKeyId).toBe('ROTATED');
      expect(gets).toBe(2);
    });

    it('concurrent calls share one GetSecretValue', async () => {
      const id = await createSecret(JSON.stringify(SECRET));
      const credentials = store(id);
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, index) =>
          index % 2 === 0 ? credentials.get(bccCredentials) : credentials.get(modelArtsCredentials),
        ),
      );
      expect(results[0]).toMatchObject({ accessKeyId: SECRET.bcc.accessKeyId });
      expect(results[1]).toMatchObject({ accessKeyId: SECRET.modelarts.accessKeyId });
      expect(gets).toBe(1);
    });

    it('a failure is not cached: once the secret exists, the next call reads it', async () => {
      sequence += 1;
      const id = `image-functions/late-${sequence}`;
      const credentials = store(id);
      await expectConfigurationError(credentials.get(bccCredentials));
      await admin.send(new CreateSecretCommand({ Name: id, SecretString: JSON.stringify(SECRET) }));
      await expect(credentials.get(bccCredentials)).resolves.toMatchObject({ defaultRegion: 'bj' });
      expect(gets).toBe(2);
    });
  },
);
