// Credential faults, through the real handlers with IMAGE_CREDENTIALS_SECRET_ID and the AWS SDK
// configured only by its own environment (AWS_ENDPOINT_URL_SECRETS_MANAGER): Secrets Manager
// unreachable, throttling, not answering, the secret malformed or missing a provider, and the
// secret rotated between calls. Each ends in the right error — CredentialsUnavailable (HTTP 503
// with Retry-After: transient, the service's fault, retried by queues and workflows) or
// ConfigurationError (HTTP 500: the deployment's fault) — whose message names neither the secret's
// id nor a value from it (the id is in the log line), or in a successful re-read; never a crash,
// never a hang past the Lambda's time, never more than one re-signed retry upstream.
//
// moto serves Secrets Manager. Between the functions and moto sits a small loopback HTTP
// forwarder of ours that counts GetSecretValue calls and, on demand, answers as Secrets Manager
// does when it throttles (moto cannot throttle: HTTP 400 with the JSON protocol's
// `{"__type":"ThrottlingException"}`) or does not answer at all.

import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { Socket } from 'node:net';
import {
  CreateSecretCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DEMO_BCC, DEMO_MODELARTS, SEEDED } from '../../emulator/demo.js';
import { httpEvent, lambdaContext } from '../../scripts/lambda-events.js';
import { sqsEvent, sqsRecord } from '../support/events.js';
import { useFixture } from '../support/fixture.js';
import { MOTO_AWS_ENV, motoClientConfig, skipWithoutMoto } from '../support/moto.js';
import {
  closedPort,
  type LoadedFunctions,
  loadFunctions,
  watchUnhandled,
} from './support/harness.js';

type Provider = 'modelarts' | 'bcc';
type Mode = 'forward' | 'throttle' | 'stall';

const WRONG_MA_SK = 'rotated-out-ma-sk-canary-9f8e7d6c5b4a';
const WRONG_BCC_SK = 'rotatedoutbccskcanary00000000009';
const TOKEN_CANARY = 'SecretTokenCanary3e5f7a9c1b2d4f6a8c0e';

const secretValue = (sk: { modelarts: string; bcc: string }) =>
  JSON.stringify({
    modelarts: {
      accessKeyId: DEMO_MODELARTS.accessKeyId,
      secretAccessKey: sk.modelarts,
      securityToken: TOKEN_CANARY,
      projects: { [DEMO_MODELARTS.region]: DEMO_MODELARTS.projectId },
      defaultRegion: DEMO_MODELARTS.region,
    },
    bcc: {
      accessKeyId: DEMO_BCC.accessKeyId,
      secretAccessKey: sk.bcc,
      sessionToken: TOKEN_CANARY,
      defaultRegion: DEMO_BCC.region,
    },
  });
const RIGHT = { modelarts: DEMO_MODELARTS.secretAccessKey, bcc: DEMO_BCC.secretAccessKey };
const WRONG = { modelarts: WRONG_MA_SK, bcc: WRONG_BCC_SK };
/** Nothing read from a secret may appear in a reply or a log line. */
const SECRET_VALUES = [
  DEMO_MODELARTS.secretAccessKey,
  DEMO_BCC.secretAccessKey,
  WRONG_MA_SK,
  WRONG_BCC_SK,
  TOKEN_CANARY,
];

/** The forwarder in front of moto: counts GetSecretValue calls, throttles or stalls on demand. */
interface Forwarder {
  endpoint: string;
  mode: Mode;
  gets: number;
  close(): Promise<void>;
}

const startForwarder = async (target: string): Promise<Forwarder> => {
  const sockets = new Set<Socket>();
  const forwarder: Forwarder = { endpoint: '', mode: 'forward', gets: 0, close: async () => {} };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      if (String(req.headers['x-amz-target']).endsWith('.GetSecretValue')) forwarder.gets += 1;
      if (forwarder.mode === 'stall') return;
      if (forwarder.mode === 'throttle') {
        res.writeHead(400, {
          'Content-Type': 'application/x-amz-json-1.1',
          'x-amzn-RequestId': 'throttle-0001',
        });
        res.end(JSON.stringify({ __type: 'ThrottlingException', message: 'Rate exceeded' }));
        return;
      }
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(req.headers)) {
        if (typeof value === 'string' && name !== 'host' && name !== 'connection') {
          headers[name] = value;
        }
      }
      fetch(`${target}${req.url ?? '/'}`, { method: req.method ?? 'POST', headers, body })
        .then(async (reply) => {
          const text = Buffer.from(await reply.arrayBuffer());
          res.writeHead(reply.status, {
            'Content-Type': reply.headers.get('content-type') ?? 'application/x-amz-json-1.1',
          });
          res.end(text);
        })
        .catch(() => res.destroy());
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no address');
  forwarder.endpoint = `http://127.0.0.1:${address.port}`;
  forwarder.close = async () => {
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const socket of sockets) socket.destroy();
    await closed;
  };
  return forwarder;
};

describe.skipIf(skipWithoutMoto('credential faults'))('credential faults', () => {
  const fixture = useFixture({ moto: true });
  let admin: SecretsManagerClient;
  let forwarder: Forwarder;
  let functions: LoadedFunctions;
  let unreachable: LoadedFunctions;
  let unreachableEndpoint = '';
  const unhandled = watchUnhandled();
  let secretId = '';
  let sequence = 0;

  const env = (endpoint: string) => ({
    ...MOTO_AWS_ENV,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: endpoint,
    IMAGE_CREDENTIALS_SECRET_ID: 'set-per-test',
    MODELARTS_ENDPOINT: fixture.url,
    BCC_ENDPOINT: fixture.url,
    HUAWEICLOUD_SDK_AK: undefined,
    HUAWEICLOUD_SDK_SK: undefined,
    HUAWEICLOUD_SDK_SECURITY_TOKEN: undefined,
    HUAWEICLOUD_SDK_PROJECT_ID: undefined,
    HUAWEICLOUD_REGION: undefined,
    BCE_ACCESS_KEY_ID: undefined,
    BCE_SECRET_ACCESS_KEY: undefined,
    BCE_SESSION_TOKEN: undefined,
    BCE_REGION: undefined,
    LOG_LEVEL: 'debug',
    UPSTREAM_RETRY_BASE_MS: '1',
    UPSTREAM_THROTTLE_BASE_MS: '1',
  });

  beforeAll(async () => {
    admin = new SecretsManagerClient(motoClientConfig(fixture.moto.endpoint));
    forwarder = await startForwarder(fixture.moto.endpoint);
    unreachableEndpoint = `http://127.0.0.1:${await closedPort()}`;
    unreachable = await loadFunctions(fixture, env(unreachableEndpoint));
    functions = await loadFunctions(fixture, env(forwarder.endpoint));
  });

  afterAll(async () => {
    unhandled.stop();
    admin?.destroy();
    await forwarder?.close();
    await functions?.agent().close();
    await unreachable?.agent().close();
  });

  beforeEach(async () => {
    forwarder.mode = 'forward';
    forwarder.gets = 0;
  });

  /** A fresh secret for this test, named in the functions' environment. */
  const useSecret = async (value: string): Promise<string> => {
    sequence += 1;
    secretId = `cloud-image-functions/reliability-${sequence}`;
    await admin.send(new CreateSecretCommand({ Name: secretId, SecretString: value }));
    fixture.setEnv({ IMAGE_CREDENTIALS_SECRET_ID: secretId });
    return secretId;
  };
  const rotate = (value: string) =>
    admin.send(new PutSecretValueCommand({ SecretId: secretId, SecretString: value }));

  const IMAGE: Record<Provider, string> = {
    modelarts: SEEDED.modelarts.custom,
    bcc: SEEDED.bcc.custom,
  };

  interface Outcome {
    status: number;
    code: string | undefined;
    message: string;
    retryAfter: string | undefined;
    raw: string;
  }

  const show = async (
    provider: Provider,
    loaded: LoadedFunctions = functions,
    remainingMs = 10_000,
  ): Promise<Outcome> => {
    const result = await loaded.http.show(
      httpEvent('GET', provider, IMAGE[provider]),
      lambdaContext(remainingMs),
    );
    const body = JSON.parse(result.body ?? '{}') as { error?: { code?: string; message?: string } };
    return {
      status: result.statusCode ?? 0,
      code: body.error?.code,
      message: body.error?.message ?? '',
      retryAfter: result.headers?.['retry-after'] as string | undefined,
      raw: JSON.stringify(result),
    };
  };

  const expectNoSecretAnywhere = (outcomes: readonly Outcome[]): void => {
    const texts = [...outcomes.map((o) => o.raw), ...fixture.log.raw];
    for (const value of SECRET_VALUES) {
      for (const text of texts) expect(text).not.toContain(value);
    }
  };

  /** The caller's message never names the secret (an ARN would show the account); the log does. */
  const expectSecretIdOnlyInLog = (outcome: Outcome, id: string): void => {
    expect(outcome.message).not.toContain(id);
    expect(outcome.raw).not.toContain(id);
    expect(fixture.log.raw.some((line) => line.includes(id))).toBe(true);
  };

  const expectConfigurationError = (outcome: Outcome, id: string): void => {
    expect(outcome.status).toBe(500);
    expect(outcome.code).toBe('CONFIGURATION_ERROR');
    expectSecretIdOnlyInLog(outcome, id);
  };

  const expectCredentialsUnavailable = (outcome: Outcome, id: string): void => {
    expect(outcome.status).toBe(503);
    expect(outcome.code).toBe('CREDENTIALS_UNAVAILABLE');
    expect(Number(outcome.retryAfter)).toBeGreaterThan(0);
    expectSecretIdOnlyInLog(outcome, id);
  };

  it('Secrets Manager unreachable (refused): 503 CREDENTIALS_UNAVAILABLE with Retry-After, every time, nothing sent upstream', async () => {
    const id = await useSecret(secretValue(RIGHT));
    const outcomes: Outcome[] = [];
    // The SDK reads its endpoint variable when the store first creates its client (until the
    // end of this test).
    fixture.setEnv({ AWS_ENDPOINT_URL_SECRETS_MANAGER: unreachableEndpoint });
    for (let call = 0; call < 3; call += 1) {
      for (const provider of ['modelarts', 'bcc'] as const) {
        const outcome = await show(provider, unreachable, 5_000);
        expectCredentialsUnavailable(outcome, id);
        outcomes.push(outcome);
      }
    }
    expect(fixture.emulator.requests).toEqual([]);
    expectNoSecretAnywhere(outcomes);
    expect(unhandled.seen).toEqual([]);
  });

  it('Secrets Manager throttling (ThrottlingException): 503 CREDENTIALS_UNAVAILABLE after the retries; recovers once it stops', async () => {
    const id = await useSecret(secretValue(RIGHT));
    forwarder.mode = 'throttle';
    const outcome = await show('bcc', functions, 10_000);
    expectCredentialsUnavailable(outcome, id);
    expect(outcome.message).toContain('ThrottlingException');
    // The SDK's own retries (3 attempts in standard mode), and no more.
    expect(forwarder.gets).toBeGreaterThanOrEqual(1);
    expect(forwarder.gets).toBeLessThanOrEqual(3);
    expect(fixture.emulator.requests).toEqual([]);

    // Failures are not cached: the next call reads the secret again and succeeds.
    forwarder.mode = 'forward';
    forwarder.gets = 0;
    const next = await show('bcc');
    expect(next.status).toBe(200);
    expect(forwarder.gets).toBe(1);
    expectNoSecretAnywhere([outcome, next]);
  });

  it('Secrets Manager not answering: the handler still answers, within its deadline', async () => {
    const id = await useSecret(secretValue(RIGHT));
    forwarder.mode = 'stall';
    // The stalled read never answers: only the invocation's deadline can end it (a handler that
    // ignored it would hang until the test's timeout), so the answer itself is the evidence.
    const outcome = await show('modelarts', functions, 2_000);
    expectCredentialsUnavailable(outcome, id);
    expect(fixture.emulator.requests).toEqual([]);
    expectNoSecretAnywhere([outcome]);
    forwarder.mode = 'forward';
  });

  it.each([
    ['not JSON', `{"modelarts": {"secretAccessKey": "${WRONG_MA_SK}", ${TOKEN_CANARY}`],
    ['not an object', JSON.stringify([WRONG_MA_SK, TOKEN_CANARY])],
    [
      'fields of the wrong type',
      JSON.stringify({
        modelarts: { accessKeyId: 7, secretAccessKey: WRONG_MA_SK, projects: TOKEN_CANARY },
        bcc: { accessKeyId: DEMO_BCC.accessKeyId, secretAccessKey: [WRONG_BCC_SK] },
      }),
    ],
  ])(
    'secret malformed (%s): 500 CONFIGURATION_ERROR, naming neither the secret nor its value; no crash loop',
    async (_what, value) => {
      const id = await useSecret(value);
      const outcomes: Outcome[] = [];
      for (let call = 0; call < 4; call += 1) {
        const provider = call % 2 === 0 ? 'modelarts' : 'bcc';
        const outcome = await show(provider);
        expectConfigurationError(outcome, id);
        outcomes.push(outcome);
      }
      // Each call reads the secret once more (failures are not cached), and nothing goes upstream.
      expect(forwarder.gets).toBe(4);
      expect(fixture.emulator.requests).toEqual([]);
      expectNoSecretAnywhere(outcomes);
    },
  );

  it('a provider missing from the secret fails that provider only', async () => {
    const id = await useSecret(JSON.stringify({ bcc: JSON.parse(secretValue(RIGHT)).bcc }));
    const modelarts = await show('modelarts');
    expectConfigurationError(modelarts, id);
    expect(modelarts.message).toContain('modelarts');
    expect((await show('bcc')).status).toBe(200);
  });

  it.each(['modelarts', 'bcc'] as const)(
    '%s: secret rotated between calls — one re-signed retry with the re-read secret, never more',
    async (provider) => {
      await useSecret(secretValue(WRONG));
      // Rejected keys: the first attempt fails, the secret is read again (still the old value),
      // the one re-signed retry fails too, and that is the end of it.
      const rejected = await show(provider);
      expect(rejected.status).toBe(502);
      expect(rejected.code).toBe('UPSTREAM_AUTH_FAILED');
      expect(fixture.emulator.requests).toHaveLength(2);
      expect(forwarder.gets).toBe(2);

      // The operator rotates the secret; the next call's first attempt (still with the cached old
      // keys) is rejected, the secret is read again at once, and the re-signed retry succeeds.
      await rotate(secretValue(RIGHT));
      fixture.emulator.reset();
      forwarder.gets = 0;
      const recovered = await show(provider);
      expect(recovered.status).toBe(200);
      expect(fixture.emulator.requests.map((r) => r.status)).toEqual([
        provider === 'bcc' ? 400 : 401,
        200,
      ]);
      expect(forwarder.gets).toBe(1);

      // From then on the cached new keys are used: one request, no read.
      fixture.emulator.reset();
      forwarder.gets = 0;
      expect((await show(provider)).status).toBe(200);
      expect(fixture.emulator.requests).toHaveLength(1);
      expect(forwarder.gets).toBe(0);
      expectNoSecretAnywhere([rejected, recovered]);
    },
  );

  it('tasks and the queue: the same clear ConfigurationError, and every record of the batch reported failed', async () => {
    const id = await useSecret('{"broken": ');
    const { task, queue } = functions;
    const thrown = await task
      .show({ provider: 'bcc', imageId: IMAGE.bcc }, lambdaContext(5_000))
      .then(
        () => undefined,
        (error: unknown) => error as Error,
      );
    expect(thrown?.name).toBe('ConfigurationError');
    expect(thrown?.message).not.toContain(id);
    const records = [
      sqsRecord(randomUUID(), JSON.stringify({ provider: 'bcc', imageId: IMAGE.bcc })),
      sqsRecord(randomUUID(), JSON.stringify({ provider: 'modelarts', imageId: IMAGE.modelarts })),
    ];
    const response = await queue.delete(sqsEvent(records), lambdaContext(5_000));
    expect(response.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual(
      records.map((r) => r.messageId).sort(),
    );
    expect(fixture.emulator.requests).toEqual([]);
    for (const value of SECRET_VALUES) {
      for (const line of fixture.log.raw) expect(line).not.toContain(value);
    }
  });
});
