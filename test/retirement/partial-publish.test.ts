// A run's events when the bus takes some of a publish and not the rest: each event is noted
// published on its own, so the redelivery publishes only what did not go out; when the bus takes
// nothing and never answers: the batch still answers in time, and its decisions come back to
// publish; and what SQS's
// at-least-once delivery does to a decision or a request delivered twice (at once, or in one
// batch): one delete at most, one outcome, its event not lost. Through the real handlers on the
// local stores and queue, against the emulator, with EventBridge played by a loopback server that
// fails the entries this test says (PutEvents' own FailedEntryCount), or answers nothing at all.

import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { SEEDED } from '../../emulator/demo.js';
import type { Plan } from '../../lib/retirement/plan.js';
import type { RunMessage } from '../../lib/retirement/ports.js';
import { type LocalQueueEntry, localQueueDir } from '../../lib/stores/local-delete-queue.js';
import { lambdaContext, parseResult, routeEvent } from '../../scripts/lambda-events.js';
import type { drainLocalQueue } from '../../scripts/local-queue.js';
import { type FaultServer, startFaultServer } from '../support/aws-fault-server.js';
import { sqsEvent, sqsRecord } from '../support/events.js';
import { useFixture } from '../support/fixture.js';
import { retiringUnsharedBcc } from './fixtures.js';

const RETIRE = 3;
const COMPLETED = 'Retirement Run Completed';

const fixture = useFixture({
  emulator: { seed: { bcc: { images: 60, instances: 5 }, random: 11 } },
});

interface Entry {
  DetailType: string;
  Detail: string;
}

/** What the bus accepted, in order; entries of `failing` detail-types are failed, every attempt. */
const accepted: Entry[] = [];
let failing = new Set<string>();
/** False: the bus takes each call and never replies. */
let answering = true;
let bus: FaultServer;
let store: string;

beforeAll(async () => {
  store = await mkdtemp(join(tmpdir(), 'cif-partial-publish-'));
  bus = await startFaultServer((request) => {
    if (!answering) return new Promise<never>(() => {});
    const { Entries } = JSON.parse(request.body) as { Entries: Entry[] };
    const results = Entries.map((entry, index) => {
      if (failing.has(entry.DetailType)) {
        return { ErrorCode: 'InternalFailure', ErrorMessage: 'try again later' };
      }
      accepted.push(entry);
      return { EventId: `event-${accepted.length}-${index}` };
    });
    const failed = results.filter((result) => 'ErrorCode' in result).length;
    return { status: 200, body: JSON.stringify({ FailedEntryCount: failed, Entries: results }) };
  });
});

afterAll(async () => {
  await bus?.close();
  await rm(store, { recursive: true, force: true });
});

type RouteHandler = (event: unknown, context: Context) => Promise<unknown>;

/** The plan and apply functions and the local queue worker, as a sandbox with a bus loads them. */
const loadService = () =>
  fixture.fresh(
    {
      RETIREMENT_STORE_DIR: store,
      EVENT_BUS_NAME: 'cloud-image-functions-test',
      AWS_ENDPOINT_URL_EVENTBRIDGE: bus.endpoint,
      AWS_REGION: 'eu-central-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      UPSTREAM_RETRY_BASE_MS: '5',
    },
    async () => ({
      create: (await import('../../functions/http/create-plan.js')).handler as RouteHandler,
      apply: (await import('../../functions/http/apply-plan.js')).handler as RouteHandler,
      drain: (await import('../../scripts/local-queue.js'))
        .drainLocalQueue as typeof drainLocalQueue,
      consume: (await import('../../functions/sqs/delete-image.js')).handler as (
        event: SQSEvent,
        context: Context,
      ) => Promise<SQSBatchResponse>,
      runs: (await import('../../lib/runtime/retirement-services.js')).retirementServices().runs,
    }),
  );

type Service = Awaited<ReturnType<typeof loadService>>;

/** A plan retiring `count` unshared BCC images, applied: its run's ID. */
const planAndApply = async (service: Service, name: string, count: number): Promise<string> => {
  const created = parseResult(
    (await service.create(
      routeEvent({
        method: 'POST',
        route: '/retirements/plans',
        body: retiringUnsharedBcc(name, count, fixture.emulator.state.bcc),
      }),
      lambdaContext(),
    )) as never,
  );
  expect(created.status).toBe(201);
  const { planId, totals } = created.body as unknown as Plan;
  expect(totals.retire).toBe(count);
  const applied = parseResult(
    (await service.apply(
      routeEvent({
        method: 'POST',
        route: '/retirements/plans/{planId}/apply',
        pathParameters: { planId },
      }),
      lambdaContext(),
    )) as never,
  );
  return (applied.body as { runId: string }).runId;
};

const detailsOf = (runId: string, detailType: string) =>
  accepted
    .filter((entry) => entry.DetailType === detailType)
    .map((entry) => JSON.parse(entry.Detail) as { runId?: string; imageId?: string })
    .filter((detail) => detail.runId === runId);

/** The queued messages of a run (its decisions), as records of their first delivery. */
const queuedRecords = async (runId: string): Promise<SQSRecord[]> => {
  const pending = localQueueDir(store);
  const records: SQSRecord[] = [];
  for (const file of await readdir(pending)) {
    const entry = JSON.parse(await readFile(`${pending}/${file}`, 'utf8')) as LocalQueueEntry;
    if ((JSON.parse(entry.body) as RunMessage).runId === runId) {
      records.push(sqsRecord(entry.messageId, entry.body));
    }
  }
  return records;
};

/** The one queued message of a run (its decision), and what it asks. */
const queuedDecision = async (runId: string) => {
  const [record] = await queuedRecords(runId);
  if (record === undefined) throw new Error(`no queued message of run ${runId}`);
  return {
    message: JSON.parse(record.body) as RunMessage,
    delivery: () => sqsEvent([sqsRecord(record.messageId, record.body)]),
  };
};

const requestsFor = (imageId: string, operation: string) =>
  fixture.emulator.requests.filter(
    (request) => request.operation === operation && request.imageId === imageId,
  );

describe('a run whose completion event the bus fails while it takes the outcomes', () => {
  it('publishes each outcome once and the completion once, on the completing decision redelivered', async () => {
    // Prepare: a plan retiring RETIRE unshared images, applied; the bus fails every completion.
    const service = await loadService();
    const runId = await planAndApply(service, 'partial-publish', RETIRE);
    failing = new Set([COMPLETED]);

    // Act: one round of deliveries while the completion fails; then the bus takes everything.
    const first = await service.drain({ dir: store, rounds: 1 });
    const outcomesAfterFirst = detailsOf(runId, 'Image Deleted').length;
    failing = new Set();
    const second = await service.drain({ dir: store });

    // Assess: only the completing decision came back, and its redelivery sent only the
    // completion: each outcome went out once.
    expect(first).toMatchObject({ processed: RETIRE, failed: 1, dead: 0 });
    expect(outcomesAfterFirst).toBe(RETIRE);
    expect(second).toMatchObject({ processed: 1, failed: 0, dead: 0 });
    expect(detailsOf(runId, 'Image Deleted')).toHaveLength(RETIRE);
    expect(new Set(detailsOf(runId, 'Image Deleted').map((detail) => detail.imageId)).size).toBe(
      RETIRE,
    );
    expect(detailsOf(runId, COMPLETED)).toHaveLength(1);
  });
});

describe('a bus that never answers', () => {
  it('the batch answers within the function\u2019s time; its run decisions come back to publish, a plain request\u2019s event is lost', async () => {
    // Prepare: a run of two decisions and a plain request in one batch; the bus takes each
    // PutEvents and never replies; 2.5 s left, less than the SDK's own 3 s request timeout.
    const service = await loadService();
    const runId = await planAndApply(service, 'silent-bus', 2);
    const decisions = await queuedRecords(runId);
    const imageId = 'm-silentbus';
    fixture.emulator.state.bcc.set({
      ...fixture.emulator.state.bcc.get(SEEDED.bcc.custom),
      id: imageId,
      name: 'silent-bus',
    });
    const plain = sqsRecord(
      'plain-silent',
      JSON.stringify({ provider: 'bcc', imageId, region: 'bj' }),
    );
    const budgetMs = 2_500;
    answering = false;

    // Act: the batch while the bus is silent; then its decisions' redelivery, the bus answering.
    const started = performance.now();
    const response = await service
      .consume(sqsEvent([...decisions, plain]), lambdaContext(budgetMs))
      .finally(() => {
        answering = true;
      });
    const tookMs = performance.now() - started;
    const redelivered = await service.consume(
      sqsEvent(decisions.map((record) => sqsRecord(record.messageId, record.body, 2))),
      lambdaContext(30_000),
    );

    // Assess: in time; every delete done; the decisions reported failed to come back for their
    // events, the plain request done with a line saying its event was not published; the
    // redelivery published each decision's outcome and the completion once.
    expect(tookMs).toBeLessThan(budgetMs);
    expect(fixture.emulator.state.bcc.has(imageId)).toBe(false);
    expect(response.batchItemFailures.map((item) => item.itemIdentifier).sort()).toEqual(
      decisions.map((record) => record.messageId).sort(),
    );
    expect(
      fixture.log.linesWhere({
        message:
          'message processed but its events were not published; it will be redelivered to publish them',
      }),
    ).toHaveLength(2);
    expect(
      fixture.log.linesWhere(
        (line) =>
          line.message === 'event not published' &&
          (line.event as { requestId?: string } | undefined)?.requestId === 'plain-silent',
      ),
    ).toEqual([expect.objectContaining({ reason: 'PutEvents failed: DeadlineReached' })]);
    expect(redelivered.batchItemFailures).toEqual([]);
    expect(detailsOf(runId, 'Image Deleted')).toHaveLength(2);
    expect(detailsOf(runId, COMPLETED)).toHaveLength(1);
  });
});

describe('one decision delivered twice at once (SQS at least once), the first losing its event', () => {
  it('the second delivery, finding the outcome recorded meanwhile, publishes it: the queue is not told all is well with the event owed', async () => {
    // Prepare: a run of one decision; its message as two deliveries of one SQS message. The
    // second delivery starts first and its look at the image is held back by the emulator.
    const service = await loadService();
    const runId = await planAndApply(service, 'delivered-twice', 1);
    const { message, delivery } = await queuedDecision(runId);
    const { imageId } = message;
    fixture.emulator.faults.inject({
      match: { provider: 'bcc', operation: 'show', imageId },
      times: 1,
      // Long enough for the whole first delivery, its publish retries included (checked below).
      action: { kind: 'latency', ms: 4_000 },
    });

    // Act: the second delivery waits on its look; the first deletes the image and records its
    // outcome, and the bus fails its outcome event; then the second goes on, the bus healthy.
    let secondSettled = false;
    const second = service.consume(delivery(), lambdaContext(30_000)).finally(() => {
      secondSettled = true;
    });
    await vi.waitFor(() =>
      expect(fixture.emulator.requests.some((request) => request.operation === 'show')).toBe(true),
    );
    failing = new Set(['Image Deleted']);
    const first = await service.consume(delivery(), lambdaContext(30_000));
    expect(secondSettled, 'the second delivery still held back when the first had finished').toBe(
      false,
    );
    failing = new Set();
    const secondResponse = await second;

    // Assess: the image deleted once; the first delivery comes back for its event; the second,
    // the one SQS may take as the message's end, published the recorded outcome itself.
    expect(fixture.emulator.state.bcc.has(imageId)).toBe(false);
    const deletes = fixture.emulator.requests.filter((request) => request.operation === 'delete');
    expect(deletes, 'one DELETE for the image').toHaveLength(1);
    expect(first.batchItemFailures).toEqual(
      delivery().Records.map((record) => ({ itemIdentifier: record.messageId })),
    );
    expect(secondResponse.batchItemFailures).toEqual([]);
    expect(detailsOf(runId, 'Image Deleted'), 'the outcome event, once').toEqual([
      expect.objectContaining({ imageId, outcome: 'deleted' }),
    ]);
    expect(detailsOf(runId, COMPLETED)).toHaveLength(1);
  });
});

describe('one decision delivered twice at once, the deliveries racing', () => {
  it('a delivery sends no delete once the other recorded the outcome: the image is kept as recorded', async () => {
    // Prepare: the first delivery's look at the image is held back; the second's gets a reply the
    // cloud does not document, which it records `failed` (not retryable).
    const service = await loadService();
    const runId = await planAndApply(service, 'no-delete-after-final', 1);
    const { message, delivery } = await queuedDecision(runId);
    const show = { provider: 'bcc', operation: 'show', imageId: message.imageId } as const;
    fixture.emulator.faults.inject({ match: show, action: { kind: 'latency', ms: 2_000 } });
    fixture.emulator.faults.inject({
      match: show,
      action: { kind: 'malformed', body: 'not json' },
    });

    // Act
    const first = service.consume(delivery(), lambdaContext(30_000));
    await vi.waitFor(() => expect(requestsFor(message.imageId, 'show')).toHaveLength(1));
    await service.consume(delivery(), lambdaContext(30_000));
    const recordedBySecond = (await service.runs.read(runId))?.outcomes[0];
    const response = await first;

    // Assess: recorded `failed` by the second; the first, passing its checks later, sent no
    // DELETE and hands on that outcome, so the run and the image agree.
    expect(recordedBySecond).toMatchObject({ state: 'final', outcome: 'failed' });
    expect(requestsFor(message.imageId, 'delete'), 'no DELETE after the outcome').toHaveLength(0);
    expect(fixture.emulator.state.bcc.has(message.imageId)).toBe(true);
    expect(response.batchItemFailures).toEqual([]);
    expect((await service.runs.read(runId))?.outcomes[0]).toMatchObject({ outcome: 'failed' });
  });

  it('a delivery records no failure over the other’s delete under way: the run says what the delete did', async () => {
    // Prepare: the first delivery's DELETE is held back by the cloud; the second delivery's look
    // at the image, while it waits, gets a reply the cloud does not document (not retryable).
    const service = await loadService();
    const runId = await planAndApply(service, 'failure-over-a-delete', 1);
    const { message, delivery } = await queuedDecision(runId);
    const { imageId } = message;
    fixture.emulator.faults.inject({
      match: { provider: 'bcc', operation: 'delete', imageId },
      action: { kind: 'latency', ms: 2_500 },
    });

    // Act
    const first = service.consume(delivery(), lambdaContext(30_000));
    await vi.waitFor(() => expect(requestsFor(imageId, 'delete')).toHaveLength(1));
    fixture.emulator.faults.inject({
      match: { provider: 'bcc', operation: 'show', imageId },
      action: { kind: 'malformed', body: 'not json' },
    });
    const secondResponse = await service.consume(delivery(), lambdaContext(30_000));
    const firstResponse = await first;

    // Assess: the image deleted and the run says so, with one outcome event; the second delivery,
    // which recorded nothing, comes back (so the message is not taken as done without an outcome).
    expect(fixture.emulator.state.bcc.has(imageId)).toBe(false);
    expect((await service.runs.read(runId))?.outcomes[0]).toMatchObject({ outcome: 'deleted' });
    expect(firstResponse.batchItemFailures).toEqual([]);
    expect(secondResponse.batchItemFailures).toHaveLength(1);
    expect(detailsOf(runId, 'Image Deleted')).toEqual([
      expect.objectContaining({ imageId, outcome: 'deleted' }),
    ]);
    expect(detailsOf(runId, 'Image Delete Failed')).toEqual([]);
  });

  it('the delivery that finds the image gone because the other deleted it records `deleted`', async () => {
    // Prepare: the first delivery claims and its look is held back; the second deletes the image,
    // but the DELETE's reply is lost and its retry answers late.
    const service = await loadService();
    const runId = await planAndApply(service, 'deleted-by-the-other', 1);
    const { message, delivery } = await queuedDecision(runId);
    const { imageId } = message;
    fixture.emulator.faults.inject({
      match: { provider: 'bcc', operation: 'show', imageId },
      action: { kind: 'latency', ms: 1_500 },
    });
    fixture.emulator.faults.inject({
      match: { provider: 'bcc', operation: 'delete', imageId },
      action: { kind: 'reset', afterHandling: true },
    });
    fixture.emulator.faults.inject({
      match: { provider: 'bcc', operation: 'delete', imageId },
      action: { kind: 'latency', ms: 3_000 },
    });

    // Act
    const first = service.consume(delivery(), lambdaContext(30_000));
    await vi.waitFor(() => expect(requestsFor(imageId, 'show')).toHaveLength(1));
    const second = service.consume(delivery(), lambdaContext(30_000));
    await Promise.all([first, second]);

    // Assess: this run deleted the image, whichever delivery recorded it, and says so.
    expect(fixture.emulator.state.bcc.has(imageId)).toBe(false);
    expect((await service.runs.read(runId))?.outcomes[0]).toMatchObject({ outcome: 'deleted' });
    expect(detailsOf(runId, 'Image Deleted')).toEqual([
      expect.objectContaining({ imageId, outcome: 'deleted' }),
    ]);
  });
});

describe('one decision delivered twice at once, both sending the delete', () => {
  it('the delivery whose own delete finds the image gone, the other\u2019s done, records `deleted`', async () => {
    // Prepare: the first DELETE to arrive is carried out and its reply never comes; the second
    // finds the image gone.
    const service = await loadService();
    const runId = await planAndApply(service, 'both-sent-the-delete', 1);
    const { message, delivery } = await queuedDecision(runId);
    fixture.emulator.faults.inject({
      match: { provider: 'bcc', operation: 'delete', imageId: message.imageId },
      action: { kind: 'stall', afterHandling: true },
    });

    // Act
    await Promise.all([
      service.consume(delivery(), lambdaContext(6_000)),
      service.consume(delivery(), lambdaContext(6_000)),
    ]);

    // Assess: this run deleted the image, and says so.
    expect(fixture.emulator.state.bcc.has(message.imageId)).toBe(false);
    expect((await service.runs.read(runId))?.outcomes[0]).toMatchObject({ outcome: 'deleted' });
    expect(detailsOf(runId, 'Image Deleted')).toEqual([
      expect.objectContaining({ imageId: message.imageId, outcome: 'deleted' }),
    ]);
  });
});

describe('a message SQS put in one batch twice', () => {
  it('a run decision is worked on once: one look, one outcome event', async () => {
    // Prepare
    const service = await loadService();
    const runId = await planAndApply(service, 'decision-twice-in-a-batch', 1);
    const { message, delivery } = await queuedDecision(runId);
    const [record] = delivery().Records;

    // Act
    const response = await service.consume(
      sqsEvent([record, record] as SQSRecord[]),
      lambdaContext(30_000),
    );

    // Assess
    expect(response.batchItemFailures).toEqual([]);
    expect(requestsFor(message.imageId, 'show')).toHaveLength(1);
    expect(detailsOf(runId, 'Image Deleted')).toHaveLength(1);
  });

  it('two messages of one run decision (its run applied again) in one batch: one outcome event, one completion', async () => {
    // Prepare: a run of one decision, queued twice (a retried schedule firing queues again what
    // has no outcome yet); both messages in one batch.
    const service = await loadService();
    const runId = await planAndApply(service, 'decision-queued-twice', 1);
    const { message, delivery } = await queuedDecision(runId);
    const [record] = delivery().Records as SQSRecord[];
    const again = sqsRecord(`${record?.messageId}-again`, record?.body ?? '');

    // Act
    const response = await service.consume(
      sqsEvent([record, again] as SQSRecord[]),
      lambdaContext(30_000),
    );

    // Assess: the image deleted once; the run's events each published once.
    expect(response.batchItemFailures).toEqual([]);
    expect(fixture.emulator.state.deleteCount('bcc', message.imageId)).toBe(1);
    expect(detailsOf(runId, 'Image Deleted')).toHaveLength(1);
    expect(detailsOf(runId, COMPLETED)).toHaveLength(1);
  });

  it('a plain request has one outcome event, not `deleted` and then `already-absent`', async () => {
    // Prepare: a custom image no plan retires, asked to be deleted by one message in the batch twice.
    const service = await loadService();
    const imageId = 'm-twiceinabatch';
    fixture.emulator.state.bcc.set({
      ...fixture.emulator.state.bcc.get(SEEDED.bcc.custom),
      id: imageId,
      name: 'twice-in-a-batch',
    });
    const body = JSON.stringify({ provider: 'bcc', imageId, region: 'bj' });
    const before = accepted.length;

    // Act
    const response = await service.consume(
      sqsEvent([sqsRecord('plain-twice', body), sqsRecord('plain-twice', body)]),
      lambdaContext(30_000),
    );

    // Assess
    expect(response.batchItemFailures).toEqual([]);
    const outcomes = accepted
      .slice(before)
      .map((entry) => JSON.parse(entry.Detail) as { requestId?: string; outcome?: string })
      .filter((detail) => detail.requestId === 'plain-twice')
      .map((detail) => detail.outcome);
    expect(outcomes).toEqual(['deleted']);
  });

  it('its copies from two receives are worked on as the later: a failure on the queue\u2019s last receive is published', async () => {
    // Prepare: a plain request the cloud keeps failing; its copies carry receives 1 and 5 (the
    // queue's last).
    const service = await loadService();
    const imageId = 'm-twicecounts';
    fixture.emulator.state.bcc.set({
      ...fixture.emulator.state.bcc.get(SEEDED.bcc.custom),
      id: imageId,
      name: 'twice-counts',
    });
    fixture.emulator.faults.inject({
      match: { provider: 'bcc', imageId },
      times: 1_000,
      action: { kind: 'status', status: 503 },
    });
    const body = JSON.stringify({ provider: 'bcc', imageId, region: 'bj' });
    const before = accepted.length;

    // Act
    const response = await service.consume(
      sqsEvent([sqsRecord('counts-twice', body, 1), sqsRecord('counts-twice', body, 5)]),
      lambdaContext(30_000),
    );

    // Assess: it goes to the dead-letter queue with its one outcome, the failure, published.
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'counts-twice' }]);
    const outcomes = accepted
      .slice(before)
      .map((entry) => JSON.parse(entry.Detail) as { requestId?: string; outcome?: string })
      .filter((detail) => detail.requestId === 'counts-twice');
    expect(outcomes).toHaveLength(1);
  });

  it('a failing message is named once in the partial batch response', async () => {
    // Prepare
    const service = await loadService();

    // Act
    const response = await service.consume(
      sqsEvent([sqsRecord('bad-twice', '{'), sqsRecord('bad-twice', '{')]),
      lambdaContext(30_000),
    );

    // Assess
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'bad-twice' }]);
  });
});
