// The plan store, one contract for both implementations: S3 as moto serves it (through the real
// SDK client) and a local directory. Then what only one of them has: S3's object metadata, its
// faults (a missing bucket, access denied, 5xx and throttling from a loopback fault server) and
// the client made lazily from AWS_ENDPOINT_URL_S3; local files on disk.

import { execFileSync } from 'node:child_process';
import { constants } from 'node:fs';
import { mkdtemp, open, readFile, rm, symlink, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateBucketCommand,
  GetObjectCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { ConfigurationError, InvalidRequest, StoreUnavailable } from '../../lib/errors/errors.js';
import type { Plan } from '../../lib/retirement/plan.js';
import { planRetirement } from '../../lib/retirement/planner.js';
import type { PlanStore, RunDocument } from '../../lib/retirement/ports.js';
import { MAX_STORED_DOCUMENT_BYTES } from '../../lib/stores/local-files.js';
import { localPlanStore, s3PlanStore } from '../../lib/stores/plan-store.js';
import { daysAgo, modelartsImage, planInput, policyOf } from '../retirement/fixtures.js';
import {
  type FaultServer,
  jsonError,
  s3Error,
  startFaultServer,
} from '../support/aws-fault-server.js';
import {
  MOTO_AWS_ENV,
  type Moto,
  motoClientConfig,
  skipWithoutMoto,
  startMoto,
} from '../support/moto.js';

const aPlan = (name = 'train-resnet'): Plan =>
  planRetirement(
    planInput(
      policyOf(),
      [
        modelartsImage({ name, createdAt: daysAgo(400) }),
        modelartsImage({ name, createdAt: daysAgo(300) }),
        modelartsImage({ kind: 'system' }),
      ],
      { createdBy: 'arn:aws:iam::123456789012:user/alice' },
    ),
  );

const aRunDocument = (plan: Plan): RunDocument => ({
  run: {
    runId: 'run-0123456789abcdef0123',
    planId: plan.planId,
    provider: 'modelarts',
    policyName: plan.policy.name,
    createdAt: '2025-06-01T00:00:00.000Z',
    total: 1,
    counts: { deleted: 1, 'already-absent': 0, skipped: 0, failed: 0 },
    status: 'completed',
    completedAt: '2025-06-01T00:01:00.000Z',
  },
  outcomes: [
    {
      imageKey: 'cn-north-4/00000000-0000-4000-8000-000000000001',
      state: 'final',
      outcome: 'deleted',
      claimedAt: '2025-06-01T00:00:10.000Z',
      finishedAt: '2025-06-01T00:00:20.000Z',
    },
  ],
});

const BUCKET = 'cif-test-plans';

interface Harness {
  store: () => PlanStore;
  /** Writes raw text where the store keeps `key`. */
  writeRaw: (key: string, text: string) => Promise<void>;
  readRaw: (key: string) => Promise<string>;
}

const contract = (name: string, harness: () => Harness) => {
  describe(`the plan store contract: ${name}`, () => {
    it('gives back the plan it was given, equal in every member', async () => {
      const { store } = harness();
      const plan = aPlan();

      await store().put(plan);

      expect(await store().get(plan.planId)).toEqual(plan);
    });

    it('a plan id never stored is undefined, and so is a malformed one (no key is forged)', async () => {
      const { store } = harness();

      expect(await store().get('plan-000000000000000000000000')).toBeUndefined();
      expect(await store().get('../plans/plan-000000000000000000000000')).toBeUndefined();
      expect(await store().get('plan-../../etc')).toBeUndefined();
    });

    it('putting the same plan twice keeps one copy, the same', async () => {
      const { store } = harness();
      const plan = aPlan('twice');

      await store().put(plan);
      await store().put(plan);

      expect(await store().get(plan.planId)).toEqual(plan);
    });

    it('writes the run document to runs/{runId}.json, as JSON', async () => {
      const { store, readRaw } = harness();
      const document = aRunDocument(aPlan());

      await store().putRun(document);

      expect(JSON.parse(await readRaw('runs/run-0123456789abcdef0123.json'))).toEqual(document);
    });

    it('refuses to write under a malformed run id', async () => {
      const { store } = harness();
      const document = aRunDocument(aPlan());
      document.run.runId = '../escape';

      await expect(store().putRun(document)).rejects.toBeInstanceOf(InvalidRequest);
    });

    it('a stored document that is not a plan is a ConfigurationError naming the fields, not a half plan', async () => {
      const { store, writeRaw } = harness();
      const plan = aPlan('corrupt');
      const { totals: _totals, ...withoutTotals } = plan;
      await writeRaw(`plans/${plan.planId}.json`, JSON.stringify(withoutTotals));

      const error = await store()
        .get(plan.planId)
        .catch((caught: unknown) => caught);

      expect(error).toBeInstanceOf(ConfigurationError);
      expect((error as Error).message).toContain('totals');
    });

    it('a stored plan with a field a plan does not have is a ConfigurationError naming it, not a plan read without it', async () => {
      // Prepare
      const { store, writeRaw } = harness();
      const plan = aPlan('extra-field');
      await writeRaw(`plans/${plan.planId}.json`, JSON.stringify({ ...plan, extra: 1 }));

      // Act
      const error = await store()
        .get(plan.planId)
        .catch((caught: unknown) => caught);

      // Assess
      expect(error).toBeInstanceOf(ConfigurationError);
      expect((error as Error).message).toBe(
        `The stored plan plans/${plan.planId}.json does not match the plan schema (written by another version?): extra`,
      );
    });

    it('a stored document that is not JSON is a ConfigurationError', async () => {
      const { store, writeRaw } = harness();
      const plan = aPlan('not-json');
      await writeRaw(`plans/${plan.planId}.json`, '{"planId": ');

      await expect(store().get(plan.planId)).rejects.toBeInstanceOf(ConfigurationError);
    });
  });
};

describe.skipIf(skipWithoutMoto('plan store on S3'))('plan store on S3 (moto)', () => {
  let moto: Moto | undefined;
  let admin: S3Client;
  let client: S3Client;

  beforeAll(async () => {
    moto = await startMoto();
    admin = new S3Client(motoClientConfig(moto.endpoint));
    client = new S3Client(motoClientConfig(moto.endpoint));
    await admin.send(new CreateBucketCommand({ Bucket: BUCKET }));
  });

  afterAll(async () => {
    admin?.destroy();
    client?.destroy();
    await moto?.stop();
  });

  const readRaw = async (key: string) => {
    const output = await admin.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
    return (await output.Body?.transformToString()) ?? '';
  };

  contract('S3', () => ({
    store: () => s3PlanStore({ bucket: BUCKET, client }),
    writeRaw: async (key, text) => {
      await admin.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: text }));
    },
    readRaw,
  }));

  it('stores plans/{planId}.json with ContentType application/json', async () => {
    const plan = aPlan('content-type');

    await s3PlanStore({ bucket: BUCKET, client }).put(plan);

    const output = await admin.send(
      new GetObjectCommand({ Bucket: BUCKET, Key: `plans/${plan.planId}.json` }),
    );
    expect(output.ContentType).toBe('application/json');
    expect(JSON.parse((await output.Body?.transformToString()) ?? '')).toEqual(plan);
  });

  it('a missing bucket is a ConfigurationError naming PLANS_BUCKET; the bucket name is only in logDetail', async () => {
    const store = s3PlanStore({ bucket: 'cif-no-such-bucket', client });

    const error = await store.put(aPlan()).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(ConfigurationError);
    const configError = error as ConfigurationError;
    expect(configError.message).toContain('PLANS_BUCKET');
    expect(configError.message).toContain('NoSuchBucket');
    expect(configError.message).not.toContain('cif-no-such-bucket');
    expect(configError.logDetail).toContain('cif-no-such-bucket');
  });

  describe('with the SDK configured only by its own environment variables', () => {
    afterEach(() => {
      vi.unstubAllEnvs();
    });

    it('makes its client on first use from AWS_ENDPOINT_URL_S3', async () => {
      for (const [name, value] of Object.entries(MOTO_AWS_ENV)) vi.stubEnv(name, value);
      vi.stubEnv('AWS_ENDPOINT_URL_S3', moto?.endpoint ?? '');
      const plan = aPlan('lazy-client');
      const store = s3PlanStore({ bucket: BUCKET });

      await store.put(plan);

      expect(await store.get(plan.planId)).toEqual(plan);
    });
  });
});

describe('plan store on S3: faults (loopback fault server)', () => {
  let server: FaultServer | undefined;

  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  const storeAt = (endpoint: string) =>
    s3PlanStore({
      bucket: BUCKET,
      client: new S3Client({
        ...motoClientConfig(endpoint),
        forcePathStyle: true,
        maxAttempts: 2,
      }),
    });

  it('access denied is a ConfigurationError that quotes no ARN', async () => {
    server = await startFaultServer(() => ({
      status: 403,
      contentType: 'application/xml',
      body: s3Error(
        'AccessDenied',
        'User: arn:aws:sts::123456789012:assumed-role/cif-dev/fn is not authorized to perform: s3:GetObject',
      ),
    }));

    const error = await storeAt(server.endpoint)
      .get(aPlan().planId)
      .catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as Error).message).toContain('access is denied');
    expect((error as Error).message).not.toContain('123456789012');
    expect((error as ConfigurationError).logDetail).toContain('123456789012');
  });

  it.each([
    [
      '503 Slow Down',
      {
        status: 503,
        contentType: 'application/xml',
        body: s3Error('SlowDown', 'Reduce your request rate.'),
      },
    ],
    [
      '500',
      {
        status: 500,
        contentType: 'application/xml',
        body: s3Error('InternalError', 'We encountered an internal error.'),
      },
    ],
    ['a dropped connection', 'destroy' as const],
  ])('%s, after the SDK retried, is StoreUnavailable (retryable)', async (_case, reply) => {
    server = await startFaultServer(() => reply);

    const error = await storeAt(server.endpoint)
      .put(aPlan())
      .catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(StoreUnavailable);
    expect((error as StoreUnavailable).retryable).toBe(true);
    expect((error as Error).message).toContain('PLANS_BUCKET');
    expect(server.requests.length).toBe(2);
  });

  it('a JSON body from a wrong endpoint is still mapped to one of our errors', async () => {
    server = await startFaultServer(() => ({
      status: 400,
      body: jsonError('SomethingElse', 'no'),
    }));

    const error = await storeAt(server.endpoint)
      .get(aPlan().planId)
      .catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(ConfigurationError);
  });
});

describe('plan store in a local directory', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cif-plan-store-'));
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  contract('local directory', () => ({
    store: () => localPlanStore({ dir }),
    writeRaw: async (key, text) => {
      await localPlanStore({ dir }).put(aPlan('placeholder-to-create-dirs'));
      await writeFile(join(dir, key), text);
    },
    readRaw: (key) => readFile(join(dir, key), 'utf8'),
  }));

  it('keeps plans under plans/{planId}.json, readable by a person (indented)', async () => {
    const plan = aPlan('on-disk');

    await localPlanStore({ dir }).put(plan);

    const text = await readFile(join(dir, 'plans', `${plan.planId}.json`), 'utf8');
    expect(text).toContain('\n  "planId"');
    expect(JSON.parse(text)).toEqual(plan);
  });

  it('a stored plan that is not a regular file (a FIFO, a device) or is too large to be one is a ConfigurationError naming it, without waiting on it or reading it', async () => {
    // Prepare: where three plans would be, a FIFO no one writes to, a link to an endless device,
    // and a (sparse) file larger than any plan.
    const store = localPlanStore({ dir });
    await store.put(aPlan('placeholder-to-create-dirs'));
    const fifo = 'plan-000000000000000000000f1f';
    const device = 'plan-000000000000000000000de5';
    const huge = 'plan-0000000000000000000b1663';
    execFileSync('mkfifo', [join(dir, 'plans', `${fifo}.json`)]);
    await symlink('/dev/zero', join(dir, 'plans', `${device}.json`));
    await writeFile(join(dir, 'plans', `${huge}.json`), '');
    await truncate(join(dir, 'plans', `${huge}.json`), MAX_STORED_DOCUMENT_BYTES + 1);

    // Act: each read, given two seconds (a read that waits on the FIFO never ends).
    const outcome = (planId: string) =>
      Promise.race([
        store.get(planId).catch((caught: unknown) => caught),
        new Promise((resolve) => setTimeout(() => resolve('still waiting'), 2_000).unref()),
      ]);
    const [fromFifo, fromDevice, fromHuge] = await Promise.all([
      outcome(fifo),
      outcome(device),
      outcome(huge),
    ]);
    // A read still waiting on the FIFO is let go (a writer opens and closes it: the end of it).
    await open(join(dir, 'plans', `${fifo}.json`), constants.O_WRONLY | constants.O_NONBLOCK)
      .then((handle) => handle.close())
      .catch(() => undefined);

    // Assess: each refused, naming the file and why.
    expect(fromFifo).toBeInstanceOf(ConfigurationError);
    expect((fromFifo as Error).message).toBe(
      `The stored plan plans/${fifo}.json is not a regular file`,
    );
    expect(fromDevice).toBeInstanceOf(ConfigurationError);
    expect((fromDevice as Error).message).toBe(
      `The stored plan plans/${device}.json is not a regular file`,
    );
    expect(fromHuge).toBeInstanceOf(ConfigurationError);
    expect((fromHuge as Error).message).toBe(
      `The stored plan plans/${huge}.json is larger than ${MAX_STORED_DOCUMENT_BYTES} bytes, more than any plan`,
    );
  });

  it('a directory that cannot be written is a ConfigurationError naming RETIREMENT_STORE_DIR', async () => {
    const file = join(dir, 'a-file');
    await writeFile(file, 'not a directory');

    const error = await localPlanStore({ dir: file })
      .put(aPlan())
      .catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as Error).message).toContain('RETIREMENT_STORE_DIR');
  });
});
