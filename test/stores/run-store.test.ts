// The run store contract, the same for DynamoDB (moto, through the real SDK client) and the local
// directory: create, claim, finish (once), complete (once, for exactly one caller), read with every
// outcome, runs that are not stored. Then what only DynamoDB has: paging, TransactionConflict
// retries, AWS faults, the lazily made client.

import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DynamoDBClient, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  ConfigurationError,
  InvalidRequest,
  PlanNotFound,
  StoreUnavailable,
} from '../../lib/errors/errors.js';
import { MAX_REASON_LENGTH } from '../../lib/retirement/ports.js';
import { dynamoRunStore } from '../../lib/stores/dynamodb-run-store.js';
import { localRunStore } from '../../lib/stores/local-run-store.js';
import { jsonError, startFaultServer } from '../support/aws-fault-server.js';
import { MOTO_AWS_ENV, motoClientConfig, skipWithoutMoto } from '../support/moto.js';
import { SAMPLE_IMAGE } from '../support/sample-image.js';
import {
  AT,
  aNewRun,
  imageKeyOf,
  newRunId,
  type RunStoreHarness,
  startDynamoHarness,
  startLocalHarness,
  TABLE,
} from './run-store-harness.js';

const IMAGE = SAMPLE_IMAGE;

const contract = (start: () => Promise<RunStoreHarness>) => {
  let harness: RunStoreHarness;

  beforeAll(async () => {
    harness = await start();
  });

  afterAll(async () => {
    await harness?.close();
  });

  const store = () => harness.store();

  it('creates a running run with zero counts and no outcome; creating it again changes nothing', async () => {
    const run = aNewRun(3);

    expect(await store().create(run)).toBe('created');
    expect(await store().create({ ...run, total: 99 })).toBe('exists');

    expect(await store().read(run.runId)).toEqual({
      run: {
        ...run,
        counts: { deleted: 0, 'already-absent': 0, skipped: 0, failed: 0 },
        status: 'running',
      },
      outcomes: [],
    });
  });

  it('a second claim of the same decision is already-claimed, with the first claim as it stands', async () => {
    const run = aNewRun(1);
    await store().create(run);

    const first = await store().claim(run.runId, imageKeyOf(1), '2025-06-01T00:01:00.000Z');
    const second = await store().claim(run.runId, imageKeyOf(1), '2025-06-01T00:02:00.000Z');

    expect(first).toEqual({ kind: 'claimed' });
    expect(second).toEqual({
      kind: 'already-claimed',
      existing: {
        imageKey: imageKeyOf(1),
        state: 'claimed',
        claimedAt: '2025-06-01T00:01:00.000Z',
      },
    });
  });

  it('counts the deliveries that noted sending a decision\u2019s delete, outside the outcome a run document shows', async () => {
    const run = aNewRun(3);
    await store().create(run);
    await store().claim(run.runId, imageKeyOf(1), '2025-06-01T00:01:00.000Z');
    await store().claim(run.runId, imageKeyOf(2), '2025-06-01T00:01:00.000Z');

    await store().markDeleteSent(run.runId, imageKeyOf(1), '2025-06-01T00:01:10.000Z');
    await store().markDeleteSent(run.runId, imageKeyOf(1), '2025-06-01T00:01:20.000Z');
    // Not claimed yet (a delivery whose claim was lost): the note claims it.
    await store().markDeleteSent(run.runId, imageKeyOf(3), '2025-06-01T00:01:30.000Z');

    expect(await store().deleteSends(run.runId, imageKeyOf(1))).toBe(2);
    expect(await store().deleteSends(run.runId, imageKeyOf(2))).toBe(0);
    expect(await store().deleteSends(run.runId, imageKeyOf(3))).toBe(1);
    expect(await store().deleteSends(newRunId(), imageKeyOf(1))).toBe(0);
    expect(await store().claim(run.runId, imageKeyOf(3), '2025-06-01T00:02:00.000Z')).toEqual({
      kind: 'already-claimed',
      existing: {
        imageKey: imageKeyOf(3),
        state: 'claimed',
        claimedAt: '2025-06-01T00:01:30.000Z',
      },
    });
    const finished = await store().finish(run.runId, imageKeyOf(1), {
      outcome: 'deleted',
      at: '2025-06-01T00:01:40.000Z',
    });
    expect(finished).toMatchObject({ kind: 'recorded', run: { counts: { deleted: 1 } } });
    expect((await store().read(run.runId))?.outcomes).toEqual([
      {
        imageKey: imageKeyOf(1),
        state: 'final',
        outcome: 'deleted',
        claimedAt: '2025-06-01T00:01:00.000Z',
        finishedAt: '2025-06-01T00:01:40.000Z',
      },
      { imageKey: imageKeyOf(2), state: 'claimed', claimedAt: '2025-06-01T00:01:00.000Z' },
      { imageKey: imageKeyOf(3), state: 'claimed', claimedAt: '2025-06-01T00:01:30.000Z' },
    ]);
  });

  it('notes no sent delete on a decision whose outcome is recorded: says false, and no delete may follow', async () => {
    // Prepare: a run of two decisions, the first recorded `failed` by one delivery while another
    // still looks at its image.
    const run = aNewRun(2);
    await store().create(run);
    await store().claim(run.runId, imageKeyOf(1), '2025-06-01T00:01:00.000Z');
    await store().finish(run.runId, imageKeyOf(1), {
      outcome: 'failed',
      error: 'UpstreamBadResponse',
      at: '2025-06-01T00:01:10.000Z',
    });

    // Act
    const onFinal = await store().markDeleteSent(run.runId, imageKeyOf(1), AT);
    const onClaimless = await store().markDeleteSent(run.runId, imageKeyOf(2), AT);

    // Assess
    expect(onFinal, 'a delete after the recorded outcome').toBe(false);
    expect(await store().deleteSends(run.runId, imageKeyOf(1))).toBe(0);
    expect(onClaimless).toBe(true);
    expect(await store().deleteSends(run.runId, imageKeyOf(2))).toBe(1);
  });

  it('finishUnlessDeleteSent records nothing where a delivery noted its delete, and records the rest', async () => {
    // Prepare: three decisions: one a delivery is deleting, one only claimed, one recorded.
    const run = aNewRun(3);
    await store().create(run);
    await store().claim(run.runId, imageKeyOf(1), '2025-06-01T00:01:00.000Z');
    await store().markDeleteSent(run.runId, imageKeyOf(1), '2025-06-01T00:01:05.000Z');
    await store().claim(run.runId, imageKeyOf(2), '2025-06-01T00:01:00.000Z');
    await store().finish(run.runId, imageKeyOf(3), { outcome: 'deleted', at: AT });
    const failed = { outcome: 'failed' as const, error: 'StoreUnavailable', at: AT };

    // Act
    const deleting = await store().finishUnlessDeleteSent(run.runId, imageKeyOf(1), failed);
    const claimed = await store().finishUnlessDeleteSent(run.runId, imageKeyOf(2), failed);
    const recorded = await store().finishUnlessDeleteSent(run.runId, imageKeyOf(3), failed);

    // Assess
    expect(deleting, 'a decision whose delete was sent').toBeUndefined();
    expect(claimed).toMatchObject({ kind: 'recorded' });
    expect(recorded).toMatchObject({ kind: 'already-final', existing: { outcome: 'deleted' } });
    const outcomes = (await store().read(run.runId))?.outcomes ?? [];
    expect(outcomes.map((outcome) => [outcome.state, outcome.outcome])).toEqual([
      ['claimed', undefined],
      ['final', 'failed'],
      ['final', 'deleted'],
    ]);
  });

  it('finishManyUnlessDeleteSent records 250 decisions at once as 250 finishUnlessDeleteSent would', async () => {
    // Prepare: a run of 260 decisions; of the 250 to record, 10 have an outcome already (spread
    // over them), one a delivery is deleting (it noted its delete), 20 are only claimed; 10 more
    // decisions of the run are not among them.
    const run = aNewRun(260);
    await store().create(run);
    const keys = Array.from({ length: 250 }, (_, index) => imageKeyOf(index));
    const final = new Set(keys.filter((_, index) => index % 25 === 3));
    const deleting = imageKeyOf(150);
    for (const imageKey of final) {
      await store().finish(run.runId, imageKey, { outcome: 'deleted', at: AT });
    }
    await store().claim(run.runId, deleting, AT);
    await store().markDeleteSent(run.runId, deleting, AT);
    for (const imageKey of keys.slice(200, 220)) await store().claim(run.runId, imageKey, AT);
    const later = '2025-06-01T00:06:00.000Z';

    // Act
    const many = await store().finishManyUnlessDeleteSent(
      run.runId,
      keys.map((imageKey) => ({
        imageKey,
        result: { outcome: 'failed', error: 'DeadlineReached', reason: 'not queued', at: later },
      })),
    );
    const deliveryOfDeleting = await store().finish(run.runId, deleting, {
      outcome: 'deleted',
      at: later,
    });

    // Assess: each decision answered as on its own, in the order given.
    expect(many.each).toHaveLength(250);
    keys.forEach((imageKey, index) => {
      const expected = final.has(imageKey)
        ? { kind: 'already-final', existing: { state: 'final', outcome: 'deleted' } }
        : imageKey === deleting
          ? { kind: 'delete-sent' }
          : { kind: 'recorded' };
      expect(many.each[index], imageKey).toMatchObject(expected);
    });
    // Counted once each; the run waits for the decision being deleted and the 10 others.
    const counts = { deleted: 10, 'already-absent': 0, skipped: 0, failed: 239 };
    expect(many).toMatchObject({ completed: false, run: { status: 'running', counts } });
    expect(deliveryOfDeleting).toMatchObject({ kind: 'recorded', completed: false });
    const document = await store().read(run.runId);
    expect(document?.run.counts).toEqual({ ...counts, deleted: 11 });
    expect(document?.outcomes).toHaveLength(250);
    for (const outcome of document?.outcomes ?? []) {
      const claimedBefore = keys.slice(200, 220).includes(outcome.imageKey);
      expect(outcome, outcome.imageKey).toEqual(
        final.has(outcome.imageKey) || outcome.imageKey === deleting
          ? {
              imageKey: outcome.imageKey,
              state: 'final',
              outcome: 'deleted',
              claimedAt: AT,
              finishedAt: outcome.imageKey === deleting ? later : AT,
            }
          : {
              imageKey: outcome.imageKey,
              state: 'final',
              outcome: 'failed',
              error: 'DeadlineReached',
              reason: 'not queued',
              claimedAt: claimedBefore ? AT : later,
              finishedAt: later,
            },
      );
    }
  });

  it('finishManyUnlessDeleteSent completes the run when its writes give the last outcomes, once, owned by its last decision recorded', async () => {
    // Prepare: a run of 120 decisions (more than one write's worth), 3 recorded by deliveries.
    const run = aNewRun(120);
    await store().create(run);
    const keys = Array.from({ length: 120 }, (_, index) => imageKeyOf(index));
    for (const imageKey of [keys[0], keys[60], keys[119]] as string[]) {
      await store().finish(run.runId, imageKey, { outcome: 'skipped', reason: 'in use', at: AT });
    }
    const decisions = keys.map((imageKey) => ({
      imageKey,
      result: { outcome: 'failed' as const, error: 'StoreUnavailable', at: AT },
    }));

    // Act
    const first = await store().finishManyUnlessDeleteSent(run.runId, decisions);
    const again = await store().finishManyUnlessDeleteSent(run.runId, decisions);

    // Assess
    expect(first).toMatchObject({
      completed: true,
      run: { status: 'completed', completedAt: AT, counts: { skipped: 3, failed: 117 } },
    });
    expect(first.each.filter((each) => each.kind === 'recorded')).toHaveLength(117);
    expect(again.completed).toBe(false);
    expect(again.each.every((each) => each.kind === 'already-final')).toBe(true);
    expect(again.run.counts).toEqual(first.run.counts);
    expect(await store().complete(run.runId, AT)).toBe(false);
    // The completion event is owed by the last decision this call recorded.
    expect(await store().unpublished(run.runId, imageKeyOf(118))).toEqual({
      outcome: true,
      completion: true,
    });
    expect((await store().unpublished(run.runId, imageKeyOf(119))).completion).toBe(false);
  });

  it('finishManyUnlessDeleteSent completes a run found done but not completed (a consumer died in between)', async () => {
    const run = aNewRun(1);
    await store().create(run);
    await harness.recordWithoutCompleting(run.runId, imageKeyOf(1), 'deleted');

    const many = await store().finishManyUnlessDeleteSent(run.runId, [
      { imageKey: imageKeyOf(1), result: { outcome: 'failed', at: AT } },
    ]);

    expect(many).toMatchObject({
      each: [{ kind: 'already-final', existing: { outcome: 'deleted' } }],
      completed: true,
      run: { status: 'completed', counts: { deleted: 1, failed: 0 } },
    });
  });

  it('finishManyUnlessDeleteSent refuses a decision given twice, and a run not stored is PlanNotFound', async () => {
    const run = aNewRun(2);
    await store().create(run);
    const twice = [imageKeyOf(1), imageKeyOf(1)].map((imageKey) => ({
      imageKey,
      result: { outcome: 'failed' as const, at: AT },
    }));

    await expect(store().finishManyUnlessDeleteSent(run.runId, twice)).rejects.toBeInstanceOf(
      InvalidRequest,
    );
    await expect(
      store().finishManyUnlessDeleteSent(newRunId(), twice.slice(1)),
    ).rejects.toBeInstanceOf(PlanNotFound);
    expect((await store().read(run.runId))?.outcomes).toEqual([]);
  });

  it('owes the events of recorded outcomes, and the completion to the decision that completed the run, until noted published', async () => {
    // Prepare: a run of two decisions, the first recorded, the second only claimed.
    const run = aNewRun(2);
    const [first, second, never] = [imageKeyOf(1), imageKeyOf(2), imageKeyOf(3)];
    await store().create(run);
    await store().claim(run.runId, second, '2025-06-01T00:01:00.000Z');
    await store().finish(run.runId, first, { outcome: 'deleted', at: '2025-06-01T00:01:10.000Z' });
    const owedAtFirst = await store().unpublished(run.runId, first);

    // Act: the recorded outcome noted twice; notes for a claimed and a never claimed decision
    // (ignored: an event goes out after its outcome is recorded); then the second outcome
    // completes the run.
    await store().markPublished(run.runId, { imageKey: first }, '2025-06-01T00:01:20.000Z');
    await store().markPublished(run.runId, { imageKey: first }, '2025-06-01T00:01:30.000Z');
    await store().markPublished(run.runId, { imageKey: second }, '2025-06-01T00:01:40.000Z');
    await store().markPublished(run.runId, { imageKey: never }, '2025-06-01T00:01:40.000Z');
    const owedBeforeSecond = await store().unpublished(run.runId, second);
    const finished = await store().finish(run.runId, second, {
      outcome: 'skipped',
      at: '2025-06-01T00:02:00.000Z',
    });
    const document = await store().read(run.runId);
    const owedAtCompletion = await store().unpublished(run.runId, second);
    await store().markPublished(run.runId, { imageKey: second }, '2025-06-01T00:02:10.000Z');
    const owedWithCompletionOnly = await store().unpublished(run.runId, second);
    await store().markPublished(run.runId, 'completion', '2025-06-01T00:02:20.000Z');

    // Assess
    expect(owedAtFirst).toEqual({ outcome: true, completion: false });
    expect(owedBeforeSecond).toEqual({ outcome: false, completion: false });
    expect(finished).toMatchObject({ kind: 'recorded', completed: true });
    expect(owedAtCompletion).toEqual({ outcome: true, completion: true });
    expect(owedWithCompletionOnly).toEqual({ outcome: false, completion: true });
    expect(await store().unpublished(run.runId, second)).toEqual({
      outcome: false,
      completion: false,
    });
    expect(await store().unpublished(run.runId, first)).toEqual({
      outcome: false,
      completion: false,
    });
    expect(await store().unpublished(run.runId, never)).toEqual({
      outcome: false,
      completion: false,
    });
    expect(await store().unpublished(newRunId(), first)).toEqual({
      outcome: false,
      completion: false,
    });
    // None of it shows in the run document.
    expect(await store().read(run.runId)).toEqual(document);
    expect(Object.keys(document?.run ?? {})).not.toContain('completedBy');
    expect(document?.outcomes.flatMap((outcome) => Object.keys(outcome))).not.toContain(
      'publishedAt',
    );
  });

  it('finish records and counts an outcome once; a second finish is already-final and counts nothing', async () => {
    const run = aNewRun(2);
    await store().create(run);
    await store().claim(run.runId, imageKeyOf(1), '2025-06-01T00:01:00.000Z');

    const first = await store().finish(run.runId, imageKeyOf(1), {
      outcome: 'deleted',
      image: IMAGE,
      at: '2025-06-01T00:01:30.000Z',
    });
    const second = await store().finish(run.runId, imageKeyOf(1), {
      outcome: 'failed',
      error: 'UpstreamUnavailable',
      at: '2025-06-01T00:01:40.000Z',
    });

    const recordedOutcome = {
      imageKey: imageKeyOf(1),
      state: 'final',
      outcome: 'deleted',
      image: IMAGE,
      claimedAt: '2025-06-01T00:01:00.000Z',
      finishedAt: '2025-06-01T00:01:30.000Z',
    };
    expect(first).toMatchObject({ kind: 'recorded', completed: false });
    expect(first.run.counts).toEqual({ deleted: 1, 'already-absent': 0, skipped: 0, failed: 0 });
    expect(second).toMatchObject({ kind: 'already-final', completed: false });
    expect(second.kind === 'already-final' && second.existing).toEqual(recordedOutcome);
    expect(await store().read(run.runId)).toMatchObject({
      run: { counts: { deleted: 1, failed: 0 }, status: 'running' },
      outcomes: [recordedOutcome],
    });
  });

  it('a claim after the outcome is final reports it (a redelivery of a finished record)', async () => {
    const run = aNewRun(1);
    await store().create(run);
    await store().claim(run.runId, imageKeyOf(1), AT);
    await store().finish(run.runId, imageKeyOf(1), {
      outcome: 'skipped',
      reason: 'changed since the plan: status',
      at: AT,
    });

    const again = await store().claim(run.runId, imageKeyOf(1), AT);

    expect(again).toMatchObject({
      kind: 'already-claimed',
      existing: { state: 'final', outcome: 'skipped', reason: 'changed since the plan: status' },
    });
  });

  it('finish without a claim records too (claimedAt is then the finish time)', async () => {
    const run = aNewRun(2);
    await store().create(run);

    const result = await store().finish(run.runId, imageKeyOf(7), {
      outcome: 'failed',
      error: 'InvalidRequest',
      reason: 'the message does not describe a decision',
      at: AT,
    });

    expect(result.kind).toBe('recorded');
    expect((await store().read(run.runId))?.outcomes).toEqual([
      {
        imageKey: imageKeyOf(7),
        state: 'final',
        outcome: 'failed',
        error: 'InvalidRequest',
        reason: 'the message does not describe a decision',
        claimedAt: AT,
        finishedAt: AT,
      },
    ]);
  });

  it('the last outcome completes the run, for that caller only; complete() then says false', async () => {
    const run = aNewRun(2);
    await store().create(run);

    const first = await store().finish(run.runId, imageKeyOf(1), { outcome: 'deleted', at: AT });
    const last = await store().finish(run.runId, imageKeyOf(2), {
      outcome: 'already-absent',
      at: '2025-06-01T00:09:00.000Z',
    });

    expect(first.completed).toBe(false);
    expect(last.completed).toBe(true);
    expect(last.run).toMatchObject({
      status: 'completed',
      completedAt: '2025-06-01T00:09:00.000Z',
    });
    expect(await store().complete(run.runId, AT)).toBe(false);
    expect((await store().read(run.runId))?.run).toMatchObject({
      status: 'completed',
      completedAt: '2025-06-01T00:09:00.000Z',
      counts: { deleted: 1, 'already-absent': 1 },
    });
  });

  it('complete() refuses while outcomes are missing', async () => {
    const run = aNewRun(2);
    await store().create(run);
    await store().finish(run.runId, imageKeyOf(1), { outcome: 'deleted', at: AT });

    expect(await store().complete(run.runId, AT)).toBe(false);
    expect((await store().read(run.runId))?.run.status).toBe('running');
  });

  it('a run of no decision is completed by the first complete() and only by it', async () => {
    const run = aNewRun(0);
    await store().create(run);

    const results = [await store().complete(run.runId, AT), await store().complete(run.runId, AT)];

    expect(results).toEqual([true, false]);
    expect((await store().read(run.runId))?.run).toMatchObject({
      status: 'completed',
      completedAt: AT,
    });
  });

  it('a redelivery completes a run whose last consumer died between finishing and completing', async () => {
    const run = aNewRun(1);
    await store().create(run);
    await harness.recordWithoutCompleting(run.runId, imageKeyOf(1), 'deleted');
    expect((await store().read(run.runId))?.run.status).toBe('running');

    const redelivered = await store().finish(run.runId, imageKeyOf(1), {
      outcome: 'already-absent',
      at: AT,
    });

    expect(redelivered).toMatchObject({
      kind: 'already-final',
      completed: true,
      existing: { outcome: 'deleted' },
      run: { status: 'completed', counts: { deleted: 1, 'already-absent': 0 } },
    });
  });

  it('read gives every outcome in image-key order, with reasons cut to MAX_REASON_LENGTH', async () => {
    const run = aNewRun(5);
    await store().create(run);
    for (const index of [4, 1, 3]) {
      await store().finish(run.runId, imageKeyOf(index), {
        outcome: 'skipped',
        reason: 'r'.repeat(MAX_REASON_LENGTH + 50),
        at: AT,
      });
    }
    await store().claim(run.runId, imageKeyOf(2), AT);

    const document = await store().read(run.runId);

    expect(document?.outcomes.map((outcome) => outcome.imageKey)).toEqual(
      [1, 2, 3, 4].map(imageKeyOf),
    );
    expect(document?.outcomes[0]?.reason).toHaveLength(MAX_REASON_LENGTH);
    expect(document?.outcomes[1]).toEqual({
      imageKey: imageKeyOf(2),
      state: 'claimed',
      claimedAt: AT,
    });
    expect(document?.run.counts.skipped).toBe(3);
  });

  it('readRun gives the run alone, as read gives it; undefined for a run not stored', async () => {
    // Prepare: a run with an outcome
    const run = aNewRun(2);
    await store().create(run);
    await store().finish(run.runId, imageKeyOf(1), { outcome: 'deleted', at: AT });

    // Act
    const alone = await store().readRun(run.runId);

    // Assess
    expect(alone).toEqual((await store().read(run.runId))?.run);
    expect(alone).toMatchObject({ planId: run.planId, createdBy: run.createdBy, total: 2 });
    expect(await store().readRun(newRunId())).toBeUndefined();
    expect(await store().readRun('run-../../x')).toBeUndefined();
  });

  it('a run that is not stored: read is undefined; claim, finish and complete are PlanNotFound', async () => {
    const missing = newRunId();

    expect(await store().read(missing)).toBeUndefined();
    expect(await store().read('run-../../x')).toBeUndefined();
    await expect(store().claim(missing, imageKeyOf(1), AT)).rejects.toBeInstanceOf(PlanNotFound);
    await expect(
      store().finish(missing, imageKeyOf(1), { outcome: 'deleted', at: AT }),
    ).rejects.toBeInstanceOf(PlanNotFound);
    await expect(store().complete(missing, AT)).rejects.toBeInstanceOf(PlanNotFound);
    await expect(store().complete('not-a-run', AT)).rejects.toBeInstanceOf(PlanNotFound);
    expect(await store().read(missing)).toBeUndefined();
  });

  it('refuses a malformed run id to create and an empty image key', async () => {
    const run = aNewRun(1);
    await store().create(run);

    await expect(store().create({ ...run, runId: 'run-1' })).rejects.toBeInstanceOf(InvalidRequest);
    await expect(store().claim(run.runId, '', AT)).rejects.toBeInstanceOf(InvalidRequest);
  });
};

describe.skipIf(skipWithoutMoto('run store on DynamoDB'))('run store on DynamoDB (moto)', () => {
  describe('the run store contract', () => {
    contract(startDynamoHarness);
  });

  describe('DynamoDB only', () => {
    let harness: Awaited<ReturnType<typeof startDynamoHarness>>;

    beforeAll(async () => {
      harness = await startDynamoHarness();
    });

    afterAll(async () => {
      await harness?.close();
    });

    afterEach(() => {
      vi.unstubAllEnvs();
    });

    it('reads a run over many Query pages', async () => {
      let queries = 0;
      const client = new DynamoDBClient(motoClientConfig(harness.moto.endpoint));
      client.middlewareStack.add(
        (next, context) => (args) => {
          if (context.commandName === 'QueryCommand') queries += 1;
          return next(args);
        },
        { step: 'initialize', name: 'countQueries' },
      );
      const store = dynamoRunStore({ table: TABLE, client, queryPageSize: 3 });
      const run = aNewRun(10);
      await store.create(run);
      for (let index = 0; index < 10; index += 1) {
        await store.finish(run.runId, imageKeyOf(index), { outcome: 'deleted', at: AT });
      }
      queries = 0;

      const document = await store.read(run.runId);

      expect(document?.outcomes).toHaveLength(10);
      expect(document?.run).toMatchObject({ status: 'completed', counts: { deleted: 10 } });
      expect(queries).toBeGreaterThanOrEqual(4);
      client.destroy();
    });

    it('finishes 250 decisions in 3 transactions, each written again once without the decisions its conditions refused', async () => {
      // Prepare: a client counting transactions; a run of 250 decisions, one in each write's
      // worth (99) recorded already.
      let transactions = 0;
      const client = new DynamoDBClient(motoClientConfig(harness.moto.endpoint));
      client.middlewareStack.add(
        (next, context) => (args) => {
          if (context.commandName === 'TransactWriteItemsCommand') transactions += 1;
          return next(args);
        },
        { step: 'initialize', name: 'countTransactions' },
      );
      const store = dynamoRunStore({ table: TABLE, client });
      const run = aNewRun(250);
      await store.create(run);
      for (const index of [5, 150, 240]) {
        await store.finish(run.runId, imageKeyOf(index), { outcome: 'deleted', at: AT });
      }
      transactions = 0;

      // Act
      const many = await store.finishManyUnlessDeleteSent(
        run.runId,
        Array.from({ length: 250 }, (_, index) => ({
          imageKey: imageKeyOf(index),
          result: { outcome: 'failed' as const, at: AT },
        })),
      );

      // Assess
      expect(transactions).toBe(6);
      expect(many).toMatchObject({
        completed: true,
        run: { status: 'completed', counts: { deleted: 3, failed: 247 } },
      });
      client.destroy();
    });

    it('the completing update sent again (its reply lost) still tells its caller it completed the run', async () => {
      // Prepare: a client that sends the run's completing update twice, as the SDK does when
      // the first one went through and its reply was lost.
      const client = new DynamoDBClient(motoClientConfig(harness.moto.endpoint));
      client.middlewareStack.add(
        (next, context) => async (args) => {
          const input = args.input as { UpdateExpression?: string };
          if (
            context.commandName === 'UpdateItemCommand' &&
            input.UpdateExpression?.includes('completedBy') === true
          ) {
            await next(args);
          }
          return next(args);
        },
        { step: 'initialize', name: 'sendCompletionTwice' },
      );
      const store = dynamoRunStore({ table: TABLE, client });
      const run = aNewRun(1);
      await store.create(run);

      // Act
      const finished = await store.finish(run.runId, imageKeyOf(1), {
        outcome: 'deleted',
        at: AT,
      });

      // Assess: it completed the run, so it publishes the completion (which it owes).
      expect(finished).toMatchObject({ kind: 'recorded', completed: true });
      expect((await store.read(run.runId))?.run.status).toBe('completed');
      expect(await store.unpublished(run.runId, imageKeyOf(1))).toEqual({
        outcome: true,
        completion: true,
      });
      client.destroy();
    });

    const conflicting = (conflicts: number) => {
      let transactions = 0;
      const client = new DynamoDBClient(motoClientConfig(harness.moto.endpoint));
      client.middlewareStack.add(
        (next, context) => async (args) => {
          if (context.commandName !== 'TransactWriteItemsCommand') return next(args);
          transactions += 1;
          if (transactions <= conflicts) {
            throw new TransactionCanceledException({
              message:
                'Transaction cancelled, please refer cancellation reasons for specific reasons [None, TransactionConflict]',
              $metadata: { httpStatusCode: 400 },
              CancellationReasons: [{ Code: 'None' }, { Code: 'TransactionConflict' }],
            });
          }
          return next(args);
        },
        { step: 'initialize', name: 'injectConflicts' },
      );
      const sleeps: number[] = [];
      const store = dynamoRunStore({
        table: TABLE,
        client,
        random: () => 0.5,
        sleep: async (ms) => {
          sleeps.push(ms);
        },
      });
      return { store, client, sleeps, transactions: () => transactions };
    };

    it('a transaction that lost a race on the run item (TransactionConflict) is tried again, with backoff', async () => {
      const { store, client, sleeps, transactions } = conflicting(2);
      const run = aNewRun(1);
      await store.create(run);

      const result = await store.finish(run.runId, imageKeyOf(1), { outcome: 'deleted', at: AT });

      expect(result).toMatchObject({ kind: 'recorded', completed: true });
      expect(transactions()).toBe(3);
      expect(sleeps).toEqual([25, 50]);
      client.destroy();
    });

    it('conflicts that do not end are StoreUnavailable (retryable), and nothing is counted', async () => {
      const { store, client, transactions } = conflicting(1_000);
      const run = aNewRun(1);
      await store.create(run);

      const error = await store
        .finish(run.runId, imageKeyOf(1), { outcome: 'deleted', at: AT })
        .catch((caught: unknown) => caught);

      expect(error).toBeInstanceOf(StoreUnavailable);
      expect((error as StoreUnavailable).message).toContain('TransactionConflict');
      expect(transactions()).toBe(6);
      expect((await store.read(run.runId))?.run.counts.deleted).toBe(0);
      client.destroy();
    });

    it('a missing table is a ConfigurationError naming RUNS_TABLE, not the table', async () => {
      const store = dynamoRunStore({ table: 'cif-no-such-table', client: harness.client });

      const error = await store.create(aNewRun(1)).catch((caught: unknown) => caught);

      expect(error).toBeInstanceOf(ConfigurationError);
      expect((error as Error).message).toContain('RUNS_TABLE');
      expect((error as Error).message).not.toContain('cif-no-such-table');
      expect((error as ConfigurationError).logDetail).toContain('cif-no-such-table');
    });

    it('makes its client on first use from AWS_ENDPOINT_URL_DYNAMODB', async () => {
      for (const [name, value] of Object.entries(MOTO_AWS_ENV)) vi.stubEnv(name, value);
      vi.stubEnv('AWS_ENDPOINT_URL_DYNAMODB', harness.moto.endpoint);
      const store = dynamoRunStore({ table: TABLE });
      const run = aNewRun(1);

      await store.create(run);

      expect((await store.read(run.runId))?.run.runId).toBe(run.runId);
    });
  });
});

describe('run store on DynamoDB: faults (loopback fault server)', () => {
  it.each([
    [
      'throttling',
      400,
      jsonError('com.amazonaws.dynamodb.v20120810#ThrottlingException', 'Rate exceeded'),
    ],
    ['a 500', 500, jsonError('com.amazonaws.dynamodb.v20120810#InternalServerError', 'Internal')],
  ])('%s, after the SDK retried, is StoreUnavailable', async (_case, status, body) => {
    const server = await startFaultServer(() => ({
      status,
      body,
      contentType: 'application/x-amz-json-1.0',
    }));
    const client = new DynamoDBClient({ ...motoClientConfig(server.endpoint), maxAttempts: 2 });
    try {
      const error = await dynamoRunStore({ table: TABLE, client })
        .read(newRunId())
        .catch((caught: unknown) => caught);

      expect(error).toBeInstanceOf(StoreUnavailable);
      expect((error as Error).message).toContain('RUNS_TABLE');
      expect(server.requests.length).toBe(2);
    } finally {
      client.destroy();
      await server.close();
    }
  });

  it('access denied is a ConfigurationError that quotes no ARN', async () => {
    const server = await startFaultServer(() => ({
      status: 400,
      contentType: 'application/x-amz-json-1.0',
      body: jsonError(
        'com.amazon.coral.service#AccessDeniedException',
        'User: arn:aws:sts::123456789012:assumed-role/cif/fn is not authorized to perform: dynamodb:Query',
      ),
    }));
    const client = new DynamoDBClient(motoClientConfig(server.endpoint));
    try {
      const error = await dynamoRunStore({ table: TABLE, client })
        .read(newRunId())
        .catch((caught: unknown) => caught);

      expect(error).toBeInstanceOf(ConfigurationError);
      expect((error as Error).message).toContain('access is denied');
      expect((error as Error).message).not.toContain('123456789012');
    } finally {
      client.destroy();
      await server.close();
    }
  });
});

describe('run store in a local directory', () => {
  contract(startLocalHarness);

  it('refuses a journal larger than any run writes as damaged, without reading it into memory', async () => {
    // Prepare: a store that takes journals of 1 KiB at most, and a 2 KiB one (blank lines, which a
    // journal read whole would skip).
    const harness = await startLocalHarness();
    const runId = 'run-00000000000000000b16';
    await mkdir(join(harness.dir, 'run-journals'), { recursive: true });
    await writeFile(join(harness.dir, 'run-journals', `${runId}.jsonl`), '\n'.repeat(2_048));
    const store = localRunStore({ dir: harness.dir, maxJournalBytes: 1_024 });

    // Act
    const read = await store.readRun(runId).catch((caught: unknown) => caught);
    await harness.close();

    // Assess: before, any size was allocated and read whole (a sparse file of some GB failed as
    // a bug, or exhausted the memory).
    expect(read).toBeInstanceOf(ConfigurationError);
    expect((read as Error).message).toBe(
      `The local journal of run ${runId} (RETIREMENT_STORE_DIR) is damaged or from another version`,
    );
  });
});
