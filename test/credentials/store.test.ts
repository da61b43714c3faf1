// The secret path of the store against a real SecretsManagerClient whose transport is replaced by a
// middleware (no network): parsing, error messages, caching, invalidation, sharing of fetches.
// test/credentials/secrets-manager.test.ts does the same against moto.

import {
  type GetSecretValueCommandOutput,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  type CredentialStoreOptions,
  createCredentialStore,
  defaultCredentialStore,
} from '../../lib/credentials/credential-store.js';
import { ConfigurationError, CredentialsUnavailable } from '../../lib/errors/errors.js';
import { bccCredentials } from '../../lib/providers/bcc/credentials.js';
import { modelArtsCredentials } from '../../lib/providers/modelarts/credentials.js';
import { configurationErrorOf } from './configuration-error.js';

const SECRET_ID = 'image-functions/credentials';

const FULL_SECRET = {
  modelarts: {
    accessKeyId: 'MA-AK-canary-7f3a',
    secretAccessKey: 'MA-SK-canary-91c2',
    securityToken: 'MA-TOKEN-canary-55d0',
    projects: { 'cn-north-4': 'project-canary-cn4', 'eu-de': 'project-canary-eude' },
    defaultRegion: 'cn-north-4',
  },
  bcc: {
    accessKeyId: 'BCC-AK-canary-0b1e',
    secretAccessKey: 'BCC-SK-canary-d4e8',
    sessionToken: 'BCC-TOKEN-canary-6a6a',
    defaultRegion: 'gz',
  },
};

type Reply = string | { binary: Uint8Array } | Error;

/** A real client whose every send answers from `replies` (the last one repeats). */
const stubClient = (...replies: Reply[]) => {
  const client = new SecretsManagerClient({
    region: 'us-east-1',
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
  });
  const calls: string[] = [];
  let gate: Promise<void> = Promise.resolve();
  client.middlewareStack.add(
    () => async (args) => {
      calls.push(String((args.input as { SecretId?: unknown }).SecretId));
      await gate;
      const reply = replies[Math.min(calls.length - 1, replies.length - 1)];
      if (reply instanceof Error) throw reply;
      const output: GetSecretValueCommandOutput =
        typeof reply === 'string'
          ? { SecretString: reply, $metadata: {} }
          : { SecretBinary: reply?.binary, $metadata: {} };
      return { output, response: {} };
    },
    { step: 'initialize', name: 'stubTransport' },
  );
  return {
    client,
    calls,
    /** Hold every send until the returned function is called. */
    hold: (): (() => void) => {
      let release = (): void => {};
      gate = new Promise((resolve) => {
        release = resolve;
      });
      return release;
    },
  };
};

const clock = () => {
  let time = 1_000_000;
  return {
    now: () => time,
    advance: (ms: number): void => {
      time += ms;
    },
  };
};

const storeWith = (
  client: SecretsManagerClient,
  options: Omit<CredentialStoreOptions, 'secretsClient'> = {},
) =>
  createCredentialStore({
    env: { IMAGE_CREDENTIALS_SECRET_ID: SECRET_ID },
    secretsClient: client,
    ...options,
  });

const canaries = (value: unknown): string[] => {
  if (typeof value === 'string') return [value];
  if (typeof value !== 'object' || value === null) return [];
  return Object.values(value).flatMap(canaries);
};
const ALL_CANARIES = canaries(FULL_SECRET).filter((value) => value.includes('canary'));

const configurationError = async (promise: Promise<unknown>): Promise<ConfigurationError> => {
  const configError = await configurationErrorOf(promise, ALL_CANARIES);
  expect(configError.cause).toBeUndefined();
  expectSecretIdOnlyInLogDetail(configError);
  return configError;
};

/** Callers never see the secret's id (it may be an ARN with the account id); the log line does. */
function expectSecretIdOnlyInLogDetail(error: { message: string; logDetail?: string | undefined }) {
  expect(error.message).not.toContain('image-functions/');
  expect(error.message).not.toMatch(/arn:aws|\d{12}/);
  if (error.logDetail !== undefined) expect(error.logDetail).toMatch(/^secret /);
}

const rotated = (accessKeyId: string) =>
  JSON.stringify({ ...FULL_SECRET, bcc: { ...FULL_SECRET.bcc, accessKeyId } });

describe('reading the secret', () => {
  it('parses both providers', async () => {
    const { client, calls } = stubClient(JSON.stringify(FULL_SECRET));
    const store = storeWith(client);
    await expect(store.get(modelArtsCredentials)).resolves.toEqual(FULL_SECRET.modelarts);
    await expect(store.get(bccCredentials)).resolves.toEqual(FULL_SECRET.bcc);
    expect(calls).toEqual([SECRET_ID]);
  });

  it('accepts a binary secret holding the same JSON, and ignores unknown fields', async () => {
    const json = JSON.stringify({
      ...FULL_SECRET,
      comment: 'rotated by ops',
      bcc: { ...FULL_SECRET.bcc, extra: 1 },
    });
    const { client } = stubClient({ binary: new TextEncoder().encode(json) });
    await expect(storeWith(client).get(bccCredentials)).resolves.toEqual(FULL_SECRET.bcc);
  });

  it('makes a provider missing from the secret a ConfigurationError for that provider only', async () => {
    const { client } = stubClient(JSON.stringify({ bcc: FULL_SECRET.bcc }));
    const store = storeWith(client);
    await expect(store.get(bccCredentials)).resolves.toEqual(FULL_SECRET.bcc);
    const error = await configurationError(store.get(modelArtsCredentials));
    expect(error.message).toContain('IMAGE_CREDENTIALS_SECRET_ID');
    expect(error.message).toContain('modelarts');
    expect(error.logDetail).toBe(`secret ${SECRET_ID}`);
  });

  it('never falls back to the environment when a secret is configured', async () => {
    const { client } = stubClient('{}');
    const store = createCredentialStore({
      env: {
        IMAGE_CREDENTIALS_SECRET_ID: SECRET_ID,
        BCE_ACCESS_KEY_ID: 'env-ak',
        BCE_SECRET_ACCESS_KEY: 'env-sk',
      },
      secretsClient: client,
    });
    await configurationError(store.get(bccCredentials));
  });

  it('hands out frozen credentials', async () => {
    const { client } = stubClient(JSON.stringify(FULL_SECRET));
    const credentials = await storeWith(client).get(modelArtsCredentials);
    expect(Object.isFrozen(credentials)).toBe(true);
    expect(Object.isFrozen(credentials.projects)).toBe(true);
  });
});

describe('a malformed secret', () => {
  const { modelarts, bcc } = FULL_SECRET;
  const cases: Array<[string, unknown, string[]]> = [
    [
      'projects missing',
      { modelarts: { ...modelarts, projects: undefined } },
      ['modelarts.projects', 'required'],
    ],
    [
      'projects a string',
      { modelarts: { ...modelarts, projects: 'project-canary-cn4' } },
      ['modelarts.projects'],
    ],
    ['projects empty', { modelarts: { ...modelarts, projects: {} }, bcc }, ['modelarts.projects']],
    [
      'an empty project id',
      { modelarts: { ...modelarts, projects: { 'cn-north-4': '' } } },
      ['modelarts.projects'],
    ],
    [
      'a project key not a region',
      { modelarts: { ...modelarts, projects: { 'project-canary-cn4 X': 'project-canary-eude' } } },
      ['modelarts.projects'],
    ],
    [
      'defaultRegion without a project',
      { modelarts: { ...modelarts, defaultRegion: 'ap-southeast-1' } },
      ['modelarts.defaultRegion'],
    ],
    ['a numeric secret key', { bcc: { ...bcc, secretAccessKey: 12345 } }, ['bcc.secretAccessKey']],
    ['an empty access key', { bcc: { ...bcc, accessKeyId: '' } }, ['bcc.accessKeyId']],
    ['an empty optional token', { bcc: { ...bcc, sessionToken: '' } }, ['bcc.sessionToken']],
    [
      'a bad region',
      { bcc: { ...bcc, defaultRegion: 'BCC-SK-canary-d4e8' } },
      ['bcc.defaultRegion'],
    ],
    [
      'a secret key with its line end pasted in',
      { bcc: { ...bcc, secretAccessKey: 'BCC-SK-canary-d4e8\n' } },
      ['bcc.secretAccessKey', 'printable characters without spaces or line breaks'],
    ],
    [
      'a token with a control character',
      { modelarts: { ...modelarts, securityToken: 'TOKEN-canary-\u0007' } },
      ['modelarts.securityToken', 'printable'],
    ],
    [
      'a project id with a space',
      { modelarts: { ...modelarts, projects: { 'cn-north-4': 'project canary' } } },
      ['modelarts.projects', 'printable'],
    ],
    ['a provider not an object', { bcc: 'BCC-SK-canary-d4e8' }, ['bcc']],
    ['an array', [FULL_SECRET], ['object']],
    ['null', null, ['object']],
  ];

  it.each(cases)(
    '%s: ConfigurationError naming the field, no secret value',
    async (_, secret, words) => {
      const { client } = stubClient(JSON.stringify(secret));
      const store = storeWith(client);
      // Each cloud's section is its own: the call for the cloud at fault names the field.
      const section = words.some((word) => word.startsWith('bcc'))
        ? bccCredentials
        : modelArtsCredentials;
      const error = await configurationError(store.get(section));
      expect(error.logDetail).toBe(`secret ${SECRET_ID}`);
      for (const word of words) expect(error.message).toContain(word);
    },
  );

  it('invalid JSON: ConfigurationError without the text (JSON.parse quotes it)', async () => {
    const text = `{"bcc": {"accessKeyId": BCC-AK-canary-0b1e, "secretAccessKey": "BCC-SK-canary-d4e8"}`;
    const { client } = stubClient(text);
    const error = await configurationError(storeWith(client).get(bccCredentials));
    expect(error.message).toMatch(/not valid JSON/);
    expect(error.logDetail).toBe(`secret ${SECRET_ID}`);
  });

  it("reports several problems of a cloud's section at once, and only that cloud's", async () => {
    const { client } = stubClient(JSON.stringify({ modelarts: { accessKeyId: 'x' }, bcc: {} }));
    const store = storeWith(client);
    const modelartsError = await configurationError(store.get(modelArtsCredentials));
    const bccError = await configurationError(store.get(bccCredentials));
    for (const field of [
      'modelarts.secretAccessKey',
      'modelarts.projects',
      'modelarts.defaultRegion',
    ]) {
      expect(modelartsError.message).toContain(field);
      expect(bccError.message).not.toContain(field);
    }
    for (const field of ['bcc.accessKeyId', 'bcc.secretAccessKey', 'bcc.defaultRegion']) {
      expect(bccError.message).toContain(field);
      expect(modelartsError.message).not.toContain(field);
    }
  });
});

describe('caching', () => {
  it('serves the secret from the cache within the TTL and fetches again after it', async () => {
    const { client, calls } = stubClient(JSON.stringify(FULL_SECRET), rotated('BCC-AK-rotated'));
    const time = clock();
    const store = storeWith(client, { now: time.now, ttlMs: 60_000 });
    expect((await store.get(bccCredentials)).accessKeyId).toBe(FULL_SECRET.bcc.accessKeyId);
    time.advance(59_999);
    await store.get(modelArtsCredentials);
    expect((await store.get(bccCredentials)).accessKeyId).toBe(FULL_SECRET.bcc.accessKeyId);
    expect(calls).toHaveLength(1);
    time.advance(1);
    expect((await store.get(bccCredentials)).accessKeyId).toBe('BCC-AK-rotated');
    expect(calls).toHaveLength(2);
  });

  it('defaults the TTL to 5 minutes and clamps longer ones', async () => {
    for (const ttlMs of [undefined, 3_600_000, Number.POSITIVE_INFINITY]) {
      const { client, calls } = stubClient(JSON.stringify(FULL_SECRET));
      const time = clock();
      const store = storeWith(client, { now: time.now, ...(ttlMs === undefined ? {} : { ttlMs }) });
      await store.get(bccCredentials);
      time.advance(299_999);
      await store.get(bccCredentials);
      expect(calls).toHaveLength(1);
      time.advance(1);
      await store.get(bccCredentials);
      expect(calls).toHaveLength(2);
    }
  });

  it('a TTL of 0 (or less) fetches on every call', async () => {
    const { client, calls } = stubClient(JSON.stringify(FULL_SECRET));
    const store = storeWith(client, { ttlMs: -5 });
    await store.get(bccCredentials);
    await store.get(bccCredentials);
    expect(calls).toHaveLength(2);
  });

  it('treats a clock that went back as expired', async () => {
    const { client, calls } = stubClient(JSON.stringify(FULL_SECRET));
    const time = clock();
    const store = storeWith(client, { now: time.now });
    await store.get(bccCredentials);
    time.advance(-1);
    await store.get(bccCredentials);
    expect(calls).toHaveLength(2);
  });

  it('invalidate(provider): that provider fetches again once; the other keeps its copy', async () => {
    const { client, calls } = stubClient(JSON.stringify(FULL_SECRET), rotated('BCC-AK-rotated'));
    const store = storeWith(client);
    await store.get(bccCredentials);
    store.invalidate('bcc');
    await store.get(modelArtsCredentials);
    expect(calls).toHaveLength(1);
    expect((await store.get(bccCredentials)).accessKeyId).toBe('BCC-AK-rotated');
    expect(calls).toHaveLength(2);
    await store.get(bccCredentials);
    await store.get(modelArtsCredentials);
    expect(calls).toHaveLength(2);
  });

  it('an invalidate while a fetch is under way adds no second fetch', async () => {
    const stub = stubClient(JSON.stringify(FULL_SECRET));
    const store = storeWith(stub.client);
    const release = stub.hold();
    const pending = store.get(bccCredentials);
    store.invalidate('bcc');
    release();
    await pending;
    await store.get(bccCredentials);
    expect(stub.calls).toHaveLength(1);
  });

  it('concurrent callers of both providers share one fetch', async () => {
    const stub = stubClient(JSON.stringify(FULL_SECRET));
    const store = storeWith(stub.client);
    const release = stub.hold();
    const pending = Promise.all([
      ...Array.from({ length: 10 }, () => store.get(bccCredentials)),
      ...Array.from({ length: 10 }, () => store.get(modelArtsCredentials)),
    ]);
    await vi.waitFor(() => expect(stub.calls).toHaveLength(1));
    release();
    const results = await pending;
    expect(results[0]).toEqual(FULL_SECRET.bcc);
    expect(results[19]).toEqual(FULL_SECRET.modelarts);
    expect(stub.calls).toHaveLength(1);
  });

  it('does not cache failures: concurrent callers share one, the next call tries again', async () => {
    const denied = Object.assign(new Error('User is not authorized'), {
      name: 'AccessDeniedException',
      $metadata: { httpStatusCode: 400 },
    });
    const stub = stubClient(denied, JSON.stringify(FULL_SECRET));
    const store = storeWith(stub.client);
    const [first, second] = await Promise.allSettled([
      store.get(bccCredentials),
      store.get(modelArtsCredentials),
    ]);
    expect(stub.calls).toHaveLength(1);
    for (const result of [first, second]) {
      expect(result?.status).toBe('rejected');
      const reason = (result as PromiseRejectedResult).reason as ConfigurationError;
      expect(reason).toBeInstanceOf(ConfigurationError);
      expectSecretIdOnlyInLogDetail(reason);
      expect(reason.message).toContain('AccessDeniedException');
      expect(reason.message).not.toContain('User is not authorized');
      expect(reason.logDetail).toContain(SECRET_ID);
      expect(reason.logDetail).toContain('User is not authorized');
      expect(reason.message).not.toContain('    at ');
    }
    await expect(store.get(bccCredentials)).resolves.toEqual(FULL_SECRET.bcc);
    expect(stub.calls).toHaveLength(2);
  });

  it('does not cache a malformed secret either', async () => {
    const { client, calls } = stubClient('not json', JSON.stringify(FULL_SECRET));
    const store = storeWith(client);
    await configurationError(store.get(bccCredentials));
    await expect(store.get(bccCredentials)).resolves.toEqual(FULL_SECRET.bcc);
    expect(calls).toHaveLength(2);
  });

  it('fetches again when the secret id changes', async () => {
    const { client, calls } = stubClient(JSON.stringify(FULL_SECRET));
    const env: Record<string, string | undefined> = { IMAGE_CREDENTIALS_SECRET_ID: 'first' };
    const store = createCredentialStore({ env, secretsClient: client });
    await store.get(bccCredentials);
    env.IMAGE_CREDENTIALS_SECRET_ID = 'second';
    await store.get(bccCredentials);
    await store.get(bccCredentials);
    expect(calls).toEqual(['first', 'second']);
  });
});

describe('Secrets Manager unreachable', () => {
  it("is CredentialsUnavailable (transient, retryable, Retry-After), not the deployment's fault, and the next call tries again", async () => {
    const { createServer } = await import('node:net');
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    await new Promise<void>((resolve) => server.close(() => resolve()));

    const client = new SecretsManagerClient({
      endpoint: `http://127.0.0.1:${port}`,
      region: 'us-east-1',
      credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
      maxAttempts: 1,
      requestHandler: { connectionTimeout: 500, requestTimeout: 1_000 },
    });
    let sends = 0;
    client.middlewareStack.add(
      (next) => (args) => {
        sends += 1;
        return next(args);
      },
      { step: 'initialize', name: 'countSends' },
    );
    const store = storeWith(client);
    const unavailable = async () => {
      const error = await store.get(bccCredentials).then(
        () => undefined,
        (caught: unknown) => caught,
      );
      expect(error).toBeInstanceOf(CredentialsUnavailable);
      return error as CredentialsUnavailable;
    };

    const error = await unavailable();

    expect(error.retryable).toBe(true);
    expect(error.httpStatus).toBe(503);
    expect(error.retryAfterSeconds).toBeGreaterThan(0);
    expectSecretIdOnlyInLogDetail(error);
    expect(error.logDetail).toContain(SECRET_ID);
    expect(error.logDetail).toMatch(/ECONNREFUSED|Error/);
    expect(error.message).not.toContain('    at ');
    await unavailable();
    expect(sends).toBe(2);
    client.destroy();
  });

  it.each([
    ['ThrottlingException', 400],
    ['InternalServiceError', 500],
    ['ServiceUnavailable', 503],
  ])(
    '%s is CredentialsUnavailable; AccessDenied, a missing secret and a bad key are ConfigurationError',
    async (name, status) => {
      const transient = Object.assign(
        new Error(`${name} for arn:aws:secretsmanager:eu-central-1:123456789012:secret:x`),
        {
          name,
          $metadata: { httpStatusCode: status },
        },
      );
      const { client } = stubClient(transient);
      const error = await storeWith(client)
        .get(bccCredentials)
        .then(
          () => undefined,
          (caught: unknown) => caught,
        );
      expect(error).toBeInstanceOf(CredentialsUnavailable);
      expectSecretIdOnlyInLogDetail(error as CredentialsUnavailable);
      expect((error as CredentialsUnavailable).logDetail).toContain('123456789012');

      for (const configuration of [
        'AccessDeniedException',
        'ResourceNotFoundException',
        'DecryptionFailure',
      ]) {
        const denied = Object.assign(
          new Error(`${configuration}: arn:aws:iam::123456789012:role/fn`),
          {
            name: configuration,
            $metadata: { httpStatusCode: 400 },
          },
        );
        const stub = stubClient(denied);
        await configurationError(storeWith(stub.client).get(bccCredentials));
      }
    },
  );
});

describe('defaultCredentialStore', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('is one process-wide store reading process.env on each call', async () => {
    vi.stubEnv('IMAGE_CREDENTIALS_SECRET_ID', '');
    vi.stubEnv('BCE_ACCESS_KEY_ID', 'process-ak');
    vi.stubEnv('BCE_SECRET_ACCESS_KEY', 'process-sk');
    vi.stubEnv('BCE_REGION', 'hkg');
    const store = defaultCredentialStore();
    expect(defaultCredentialStore()).toBe(store);
    await expect(store.get(bccCredentials)).resolves.toMatchObject({
      accessKeyId: 'process-ak',
      defaultRegion: 'hkg',
    });
    vi.stubEnv('BCE_REGION', 'sin');
    expect((await store.get(bccCredentials)).defaultRegion).toBe('sin');
  });
});
