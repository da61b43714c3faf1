// A retire decision whose first delivery failed comes back; what its redelivery reports when the
// image is gone depends on whether the earlier delivery sent the delete: `deleted` when it did (its
// reply was lost, the image is gone because of this run), `already-absent` when it did not (the
// image was gone before, as on a second apply of the same plan). Through the real handlers on the
// local stores and the local queue, against the emulator.

import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { handler as applyHandler } from '../../functions/http/apply-plan.js';
import { handler as createHandler } from '../../functions/http/create-plan.js';
import { handler as getRunHandler } from '../../functions/http/get-run.js';
import type { Plan } from '../../lib/retirement/plan.js';
import type { RunDocument } from '../../lib/retirement/ports.js';
import { DELETE_MAY_HAVE_GONE } from '../../lib/retirement/retire-one.js';
import { retirementServices } from '../../lib/runtime/retirement-services.js';
import { type LocalQueueEntry, localQueueDir } from '../../lib/stores/local-delete-queue.js';
import { lastWorkingReceive } from '../../lib/triggers/sqs.js';
import {
  lambdaContext,
  parseResult,
  routeEvent as sharedRouteEvent,
} from '../../scripts/lambda-events.js';
import { drainLocalQueue } from '../../scripts/local-queue.js';
import { eventsPublishedLocally } from '../support/events.js';
import { useFixture } from '../support/fixture.js';
import { retiringUnsharedBcc } from './fixtures.js';

const store = await mkdtemp(join(tmpdir(), 'cif-redelivery-'));
const RETIRE = 4;

const fixture = useFixture({
  emulator: { seed: { bcc: { images: 200, instances: 20 }, random: 5 } },
  env: { RETIREMENT_STORE_DIR: store, UPSTREAM_RETRY_BASE_MS: '5' },
});

afterAll(async () => {
  await rm(store, { recursive: true, force: true });
});

const routeEvent = (
  method: 'GET' | 'POST',
  route: string,
  pathParameters: Record<string, string>,
  body?: unknown,
) => sharedRouteEvent({ method, route, pathParameters, body });

/** A plan retiring RETIRE images nobody shares (the cloud would refuse those). */
const planned = async (): Promise<{ plan: Plan; ids: string[] }> => {
  const response = parseResult(
    await createHandler(
      routeEvent(
        'POST',
        '/retirements/plans',
        {},
        retiringUnsharedBcc('redelivery', RETIRE, fixture.emulator.state.bcc),
      ),
      lambdaContext(),
    ),
  );
  expect(response.status).toBe(201);
  const plan = response.body as unknown as Plan;
  const ids = plan.decisions
    .filter((decision) => decision.decision === 'retire')
    .map((decision) => decision.image.id);
  expect(ids).toHaveLength(RETIRE);
  return { plan, ids };
};

/** Applies the plan: its decisions wait in the local queue; the run's id. */
const applyOnly = async (planId: string): Promise<string> => {
  const accepted = parseResult(
    await applyHandler(
      routeEvent('POST', '/retirements/plans/{planId}/apply', { planId }),
      lambdaContext(),
    ),
  );
  expect(accepted.status).toBe(202);
  return (accepted.body as { runId: string }).runId;
};

const runOf = async (runId: string): Promise<RunDocument> =>
  parseResult(
    await getRunHandler(routeEvent('GET', '/retirements/runs/{runId}', { runId }), lambdaContext()),
  ).body as unknown as RunDocument;

/** Applies the plan and works the local queue off; the run as it ends. */
const applied = async (planId: string, remainingMs?: number): Promise<RunDocument> => {
  const runId = await applyOnly(planId);
  await drainLocalQueue({ dir: store, ...(remainingMs === undefined ? {} : { remainingMs }) });
  return runOf(runId);
};

/** Every waiting message as if the queue had delivered it `receives` times already. */
const receivedBefore = async (receives: number): Promise<void> => {
  const pending = localQueueDir(store);
  for (const file of await readdir(pending)) {
    const entry = JSON.parse(await readFile(join(pending, file), 'utf8')) as LocalQueueEntry;
    await writeFile(join(pending, file), JSON.stringify({ ...entry, receiveCount: receives }));
  }
};

/** The messages waiting in the queue now, as files' names and contents. */
const queuedMessages = async (): Promise<Map<string, string>> => {
  const pending = localQueueDir(store);
  const files = await readdir(pending);
  return new Map(
    await Promise.all(
      files.map(async (file) => [file, await readFile(join(pending, file), 'utf8')] as const),
    ),
  );
};

/**
 * Moves every dead-lettered message back to the queue as an SQS redrive does: each is a new
 * message (a new message ID, received anew), so nothing may rely on the ID it had.
 */
const redrive = async (): Promise<void> => {
  const dead = join(store, 'queue', 'dead');
  for (const file of await readdir(dead)) {
    const entry = JSON.parse(await readFile(join(dead, file), 'utf8')) as LocalQueueEntry;
    const messageId = `redriven-${randomUUID()}`;
    await writeFile(
      join(localQueueDir(store), `${messageId}.json`),
      JSON.stringify({ ...entry, messageId, receiveCount: 0 }),
    );
    await rm(join(dead, file));
  }
};

/** Puts messages back in the queue as if delivered `receives` times already. */
const requeue = async (messages: Map<string, string>, receives: number): Promise<void> => {
  for (const [file, text] of messages) {
    const entry = JSON.parse(text) as LocalQueueEntry;
    await writeFile(
      join(localQueueDir(store), file),
      JSON.stringify({ ...entry, receiveCount: receives }),
    );
  }
};

const eventsOf = async (runId: string, detailType: string) =>
  (await eventsPublishedLocally(store))
    .filter((event) => event.detailType === detailType && event.detail.runId === runId)
    .map((event) => event.detail);

describe('a retire decision redelivered after a failed delivery', () => {
  it('is `deleted` when the earlier delivery sent the delete and only its reply was lost', async () => {
    const { plan, ids } = await planned();
    const [lost] = ids;
    // Every attempt of the first delivery's delete fails; the last one after deleting the image.
    for (const action of [
      { kind: 'status', status: 503 },
      { kind: 'status', status: 503 },
      { kind: 'reset', afterHandling: true },
    ] as const) {
      fixture.emulator.faults.inject({ match: { operation: 'delete', imageId: lost }, action });
    }

    const run = await applied(plan.planId);

    expect(fixture.emulator.state.deleteCount('bcc', String(lost))).toBe(1);
    expect(run.run.counts).toEqual({ deleted: RETIRE, 'already-absent': 0, skipped: 0, failed: 0 });
    // The redelivery saw the image gone: its outcome and event carry it as the plan's decision did.
    const asPlanned = plan.decisions.find((decision) => decision.image.id === lost)?.image;
    expect(asPlanned).toBeDefined();
    expect(run.outcomes.find((outcome) => outcome.imageKey === `bj/${lost}`)).toMatchObject({
      outcome: 'deleted',
      reason:
        'deleted by an earlier attempt at this decision (its reply lost, or its apply cut short)',
      image: asPlanned,
    });
    const events = await eventsOf(run.run.runId, 'Image Deleted');
    expect(events.find((event) => event.imageId === lost)?.image).toEqual(asPlanned);
  });

  it('is `already-absent` when the image was gone before and the earlier delivery sent no delete', async () => {
    const { plan, ids } = await planned();
    const first = await applied(plan.planId);
    expect(first.run.counts.deleted).toBe(RETIRE);
    const [unlucky] = ids;
    // The second apply's first delivery cannot even look at the image (3 attempts, all 503).
    fixture.emulator.faults.inject({
      match: { operation: 'show', imageId: unlucky },
      times: 3,
      action: { kind: 'status', status: 503 },
    });
    const deletesBefore = fixture.emulator.requests.filter(
      (request) => request.operation === 'delete',
    ).length;

    const second = await applied(plan.planId);

    expect(second.run.counts).toEqual({
      deleted: 0,
      'already-absent': RETIRE,
      skipped: 0,
      failed: 0,
    });
    expect(
      fixture.emulator.requests.filter((request) => request.operation === 'delete'),
    ).toHaveLength(deletesBefore);
    const events = await eventsOf(second.run.runId, 'Image Deleted');
    expect(events.map((event) => event.outcome)).toEqual(Array(RETIRE).fill('already-absent'));
  });
});

describe('a retire decision whose earlier delivery noted its delete and stopped before sending it', () => {
  it('is recorded `skipped` on the last working receive when the image changed: no skip over a delete that may be under way before', async () => {
    // Prepare: a delivery noted sending one decision's delete and stopped there (its note stays);
    // the image is renamed since the plan.
    const { plan, ids } = await planned();
    const [stopped] = ids;
    const runId = await applyOnly(plan.planId);
    await retirementServices().runs.markDeleteSent(
      runId,
      `bj/${stopped}`,
      new Date().toISOString(),
    );
    const record = fixture.emulator.state.bcc.get(String(stopped));
    if (record === undefined) throw new Error(`no image ${stopped}`);
    fixture.emulator.state.bcc.set({ ...record, name: `${String(record.name)}-renamed` });

    // Act
    const drained = await drainLocalQueue({ dir: store });

    // Assess: it came back until the receive before the queue's last, which recorded the skip;
    // nothing dead-lettered, the image kept, the run completed.
    expect(drained).toMatchObject({ failed: lastWorkingReceive(5) - 1, dead: 0 });
    const run = await runOf(runId);
    expect(run.run).toMatchObject({
      status: 'completed',
      counts: { deleted: RETIRE - 1, 'already-absent': 0, skipped: 1, failed: 0 },
    });
    expect(run.outcomes.find((outcome) => outcome.imageKey === `bj/${stopped}`)).toMatchObject({
      outcome: 'skipped',
      error: 'ImageChanged',
    });
    expect(fixture.emulator.state.deleteCount('bcc', String(stopped))).toBe(0);
    expect(await eventsOf(runId, 'Image Delete Refused')).toHaveLength(1);
  });
});

describe('a retire decision whose events did not go out', () => {
  it('comes back and publishes them once, as its outcome was recorded; the image is deleted once', async () => {
    // Prepare: a run whose decisions wait in the queue; the events file cannot be written.
    const { plan, ids } = await planned();
    const runId = await applyOnly(plan.planId);
    const eventsFile = join(store, 'events.jsonl');
    await rename(eventsFile, `${eventsFile}.aside`).catch(() => undefined);
    await mkdir(eventsFile);

    // Act: one delivery each while nothing can be published, then the queue as it goes on.
    const blocked = await drainLocalQueue({ dir: store, rounds: 1 });
    const runAfterFirst = await runOf(runId);
    await rm(eventsFile, { recursive: true });
    await rename(`${eventsFile}.aside`, eventsFile).catch(() => undefined);
    const published = await drainLocalQueue({ dir: store });

    // Assess: the first deliveries deleted and recorded, and came back for their events; the
    // redeliveries published each outcome once (deleted, not already-absent) and the completion.
    expect(blocked).toMatchObject({ processed: RETIRE, failed: RETIRE, dead: 0 });
    expect(runAfterFirst.run).toMatchObject({ status: 'completed', counts: { deleted: RETIRE } });
    expect(
      fixture.log.linesWhere({
        message:
          'message processed but its events were not published; it will be redelivered to publish them',
      }),
    ).toHaveLength(RETIRE);
    expect(published).toMatchObject({ processed: RETIRE, failed: 0, dead: 0 });
    for (const id of ids) expect(fixture.emulator.state.deleteCount('bcc', String(id))).toBe(1);
    const deleted = await eventsOf(runId, 'Image Deleted');
    expect(deleted.map((event) => event.imageId).sort()).toEqual([...ids].sort());
    expect(deleted.every((event) => event.outcome === 'deleted' && event.image !== undefined)).toBe(
      true,
    );
    expect(await eventsOf(runId, 'Retirement Run Completed')).toHaveLength(1);
  });

  it('on its last receives goes to the dead-letter queue with its events owed; a redrive publishes them', async () => {
    // Prepare: a run's decisions on the receive before the queue's last; nothing can be published.
    const { plan, ids } = await planned();
    const runId = await applyOnly(plan.planId);
    await receivedBefore(3);
    const eventsFile = join(store, 'events.jsonl');
    await rename(eventsFile, `${eventsFile}.aside`).catch(() => undefined);
    await mkdir(eventsFile);

    // Act: their last two receives while the bus is down; then the dead-letter queue redriven.
    const blocked = await drainLocalQueue({ dir: store, rounds: 2 });
    await rm(eventsFile, { recursive: true });
    await rename(`${eventsFile}.aside`, eventsFile).catch(() => undefined);
    const eventsBeforeRedrive = (await eventsOf(runId, 'Image Deleted')).length;
    await redrive();
    const redriven = await drainLocalQueue({ dir: store });

    // Assess: dead-lettered with a line that says so; after the redrive each event once.
    expect(blocked).toMatchObject({ dead: RETIRE });
    expect(
      fixture.log.linesWhere({
        message:
          'message processed but its events were not published on its last receive; the queue moves it to the dead-letter queue, and a redrive publishes them',
      }),
    ).toHaveLength(RETIRE);
    expect(eventsBeforeRedrive).toBe(0);
    expect(redriven).toMatchObject({ processed: RETIRE, failed: 0, dead: 0 });
    const deleted = await eventsOf(runId, 'Image Deleted');
    expect(deleted.map((event) => event.imageId).sort()).toEqual([...ids].sort());
    expect(await eventsOf(runId, 'Retirement Run Completed')).toHaveLength(1);
    for (const id of ids) expect(fixture.emulator.state.deleteCount('bcc', String(id))).toBe(1);
  });

  it('publishes nothing again when it comes back after its events went out', async () => {
    // Prepare: a run worked off with every event out; its messages as they were queued.
    const { plan } = await planned();
    const runId = await applyOnly(plan.planId);
    const queued = await queuedMessages();
    await drainLocalQueue({ dir: store });
    const eventsBefore = (await eventsOf(runId, 'Image Deleted')).length;

    // Act: every message delivered again (a duplicate delivery, or an acknowledgement lost).
    await requeue(queued, 2);
    const again = await drainLocalQueue({ dir: store });

    // Assess: acknowledged, nothing published twice, and counted as duplicates: Requests by
    // outcome `deleted` counts each image once, not once per delivery.
    expect(again).toMatchObject({ processed: RETIRE, failed: 0 });
    const lines = fixture.log.linesWhere({ runId, message: 'message processed' });
    expect(lines.filter((line) => line.outcome === 'deleted')).toHaveLength(RETIRE);
    expect(lines.filter((line) => line.outcome === 'duplicate')).toHaveLength(RETIRE);
    expect(
      lines
        .filter((line) => line.duplicate === true)
        .every((line) => line.outcome === 'duplicate' && line.runOutcome === 'deleted'),
    ).toBe(true);
    expect(eventsBefore).toBe(RETIRE);
    expect(await eventsOf(runId, 'Image Deleted')).toHaveLength(RETIRE);
    expect(await eventsOf(runId, 'Retirement Run Completed')).toHaveLength(1);
  });
});

describe('a retire decision whose last delivery comes with no time left', () => {
  it('is recorded `failed` (DeadlineReached) instead of reaching the dead-letter queue with no outcome', async () => {
    // Prepare: a plan; every delivery of its decisions comes with 0.6 s left (0.1 s to work with
    // after the response margin: too little to start), so each is deferred until its last receive.
    const { plan } = await planned();
    const deletesBefore = fixture.emulator.requests.filter(
      (request) => request.operation === 'delete',
    ).length;

    // Act
    const run = await applied(plan.planId, 600);

    // Assess: one failed outcome per decision, the run completed, nothing dead-lettered or deleted.
    expect(run.run).toMatchObject({
      status: 'completed',
      counts: { deleted: 0, 'already-absent': 0, skipped: 0, failed: RETIRE },
    });
    expect(run.outcomes.map((outcome) => outcome.error)).toEqual(
      Array(RETIRE).fill('DeadlineReached'),
    );
    expect(
      fixture.emulator.requests.filter((request) => request.operation === 'delete'),
    ).toHaveLength(deletesBefore);
    const dead = await readdir(join(store, 'queue', 'dead')).catch(() => []);
    expect(dead).toEqual([]);
    // Not worked on: a later apply of the plan may succeed, as the queue's own requests say.
    expect(await eventsOf(run.run.runId, 'Image Delete Failed')).toEqual(
      Array(RETIRE).fill(expect.objectContaining({ error: 'DeadlineReached', retryable: true })),
    );
  });
});

describe('a retire decision delivered again on its last receive with no time left, its outcome recorded', () => {
  it('is a duplicate: no failure logged or counted, the recorded outcome stands', async () => {
    // Prepare: a run worked off (every decision deleted); its messages as they were queued.
    const { plan } = await planned();
    const runId = await applyOnly(plan.planId);
    const queued = await queuedMessages();
    await drainLocalQueue({ dir: store });

    // Act: each delivered again on the queue's last receive, with too little time to work.
    await requeue(queued, 4);
    await drainLocalQueue({ dir: store, remainingMs: 600 });

    // Assess: before, each was logged and counted failed (DeadlineReached) though nothing failed.
    const again = fixture.log.linesWhere({ runId, duplicate: true });
    expect(again).toHaveLength(RETIRE);
    for (const line of again) {
      expect(line).toMatchObject({ level: 'info', outcome: 'duplicate', runOutcome: 'deleted' });
    }
    expect(fixture.log.linesWhere({ runId, error: 'DeadlineReached' })).toEqual([]);
    expect((await runOf(runId)).run.counts).toMatchObject({ deleted: RETIRE, failed: 0 });
  });
});

describe('a retire decision whose last delivery comes with no time left, after an earlier one noted sending its delete', () => {
  it('is recorded `failed` saying the image may be gone: a failure there must not read as kept', async () => {
    // Prepare: a delivery noted sending one decision's delete and stopped there; every delivery
    // after it comes with too little time to work (each deferred until its last receive).
    const { plan, ids } = await planned();
    const [stopped] = ids;
    const runId = await applyOnly(plan.planId);
    await retirementServices().runs.claim(runId, `bj/${stopped}`, new Date().toISOString());
    await retirementServices().runs.markDeleteSent(
      runId,
      `bj/${stopped}`,
      new Date().toISOString(),
    );

    // Act
    await drainLocalQueue({ dir: store, remainingMs: 600 });

    // Assess: every decision failed (not worked on); only the one with a delete noted says the
    // image may be gone, in the run and in its event.
    const run = await runOf(runId);
    expect(run.run).toMatchObject({ status: 'completed', counts: { failed: RETIRE } });
    const mayBeGone = run.outcomes.filter((outcome) =>
      outcome.reason?.endsWith(DELETE_MAY_HAVE_GONE),
    );
    expect(mayBeGone.map((outcome) => outcome.imageKey)).toEqual([`bj/${stopped}`]);
    const failedEvents = await eventsOf(runId, 'Image Delete Failed');
    expect(
      failedEvents.filter((event) => String(event.message).endsWith(DELETE_MAY_HAVE_GONE)),
    ).toHaveLength(1);
  });
});

describe("a retire decision on the receive before the queue's last", () => {
  /**
   * A run whose decisions have been received 3 times (the queue's limit is 5), and whose 4th
   * receive of one image (`unlucky`) fails every attempt to look at it (or, with `delete`, to
   * delete it): 503s, UpstreamUnavailable.
   */
  const failingOnTheFourthReceive = async (operation: 'show' | 'delete' = 'show') => {
    const { plan, ids } = await planned();
    const [unlucky] = ids;
    const runId = await applyOnly(plan.planId);
    await receivedBefore(3);
    fixture.emulator.faults.inject({
      match: { operation, imageId: unlucky },
      times: 3,
      action: { kind: 'status', status: 503 },
    });
    return { runId, unlucky: String(unlucky) };
  };

  it('records a failure that outlasts its attempts as its outcome: the last receive is kept for a delivery that stops', async () => {
    // Prepare
    const { runId, unlucky } = await failingOnTheFourthReceive();

    // Act: the 4th receive
    const drained = await drainLocalQueue({ dir: store });

    // Assess: nothing comes back; the run is complete with that decision failed, its image kept.
    expect(drained).toMatchObject({ processed: RETIRE, failed: 0, dead: 0 });
    const run = await runOf(runId);
    expect(run.run).toMatchObject({
      status: 'completed',
      counts: { deleted: RETIRE - 1, 'already-absent': 0, skipped: 0, failed: 1 },
    });
    expect(run.outcomes.find((outcome) => outcome.imageKey === `bj/${unlucky}`)).toMatchObject({
      outcome: 'failed',
      error: 'UpstreamUnavailable',
    });
    expect(fixture.emulator.state.deleteCount('bcc', String(unlucky))).toBe(0);
    expect(await eventsOf(runId, 'Image Delete Failed')).toHaveLength(1);
  });

  it("logs the recorded failure as a thrown one is logged: at the error table's level, naming the error, with the error dimension", async () => {
    // Prepare
    const { unlucky } = await failingOnTheFourthReceive();

    // Act
    await drainLocalQueue({ dir: store });

    // Assess: what an operator's query on `error` and an alarm on Requests by error see.
    const [line] = fixture.log.linesWhere({ imageId: unlucky, runOutcome: 'failed' });
    expect(line).toMatchObject({
      level: 'error',
      outcome: 'failed',
      error: 'UpstreamUnavailable',
      Requests: 1,
    });
    const aws = line?._aws as { CloudWatchMetrics: Array<{ Dimensions: string[][] }> } | undefined;
    expect(aws?.CloudWatchMetrics[0]?.Dimensions).toContainEqual([
      'service',
      'provider',
      'operation',
      'error',
    ]);
  });

  it('publishes the failure as worth retrying when the error table says so: the plan can be applied again', async () => {
    // Prepare
    const { runId, unlucky } = await failingOnTheFourthReceive();

    // Act
    await drainLocalQueue({ dir: store });

    // Assess: the event says what the same failure over HTTP, a task or a plain request says.
    expect(await eventsOf(runId, 'Image Delete Failed')).toEqual([
      expect.objectContaining({ imageId: unlucky, error: 'UpstreamUnavailable', retryable: true }),
    ]);
  });

  it('keeps the image as it was in the outcome and its event when the failure came after looking at it', async () => {
    // Prepare
    const { runId, unlucky } = await failingOnTheFourthReceive('delete');

    // Act
    await drainLocalQueue({ dir: store });

    // Assess
    const image = { id: unlucky, name: expect.any(String), status: 'available' };
    const run = await runOf(runId);
    expect(run.outcomes.find((outcome) => outcome.imageKey === `bj/${unlucky}`)).toMatchObject({
      outcome: 'failed',
      image,
    });
    expect(await eventsOf(runId, 'Image Delete Failed')).toEqual([
      expect.objectContaining({ imageId: unlucky, image: expect.objectContaining(image) }),
    ]);
  });

  it('is the one before the limit, and the only one with a limit of 1', () => {
    expect([5, 2, 1].map(lastWorkingReceive)).toEqual([4, 1, 1]);
  });
});
