// Applying a plan at scale, on real AWS APIs: a plan retiring RETIRE BCC images (of a seeded
// inventory of BCC_IMAGES, some in use) is made, read back and applied through the real HTTP
// handlers, with the stores the stack uses (S3 plans, DynamoDB runs, the SQS delete queue,
// EventBridge events) served by moto_server on loopback. Pollers play the Lambda event source
// mapping of the delete queue (receive up to 10, invoke the consumer, delete what it did not
// report failed; redrive to a DLQ after MAX_RECEIVE_COUNT receives), each with a consumer loaded
// as its own Lambda sandbox (own pacer, own clients), SQS_MAX_CONCURRENCY of them, so each paces
// at its share of UPSTREAM_RATE_LIMITS. Upstream, about 10 % of requests fail (seeded 429, 503,
// connection resets, resets after the delete was done) and the emulator limits the access key's
// request rate a little above the configured limit. An EventBridge rule on the bus sends every
// event of the service to a capture queue.
//
// Then every retire decision must have exactly one outcome, every deleted image exactly one delete
// upstream and no other image any, every changed or newly used image a skip, every outcome its
// event and the run its completion event (a repeat only where a decision was delivered again or a
// publish got no answer: PutEvents takes no deduplication key); the DLQ must hold nothing that
// lacks a `failed` outcome; applying the plan again must delete nothing more; and the pacing must
// keep the emulator's throttling to a small fraction. One summary line of figures is printed.
//
// moto is serialized (one request at a time): its DynamoDB is not atomic under concurrent requests.
// It then serves about a hundred requests a second, and each decision costs four or five of them
// (claim, note the delete, finish, read the run) besides its share of SQS and EventBridge calls:
// a thousand decisions take about 70 s alone on two cores (measured), most of it moto. The rate
// limit is set below what the consumers send unpaced at moto's pace, so that the pacing binds (the
// emulator's small burst throttles the clumps of unpaced requests: a sixth of them, measured).
// Time is scaled down: each batch gets LAMBDA_BUDGET_MS and the visibility timeout is 3x that.

import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  CreateEventBusCommand,
  EventBridgeClient,
  PutRuleCommand,
  PutTargetsCommand,
} from '@aws-sdk/client-eventbridge';
import { CreateBucketCommand, GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEventV2, Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handler as applyHandler } from '../../functions/http/apply-plan.js';
import { handler as createHandler } from '../../functions/http/create-plan.js';
import { handler as getPlanHandler } from '../../functions/http/get-plan.js';
import { handler as getRunHandler } from '../../functions/http/get-run.js';
import { EVENT_SOURCE } from '../../lib/events/catalogue.js';
import type { Plan } from '../../lib/retirement/plan.js';
import type { RunDocument, RunMessage } from '../../lib/retirement/ports.js';
import { httpEvent, lambdaContext, parseResult } from '../../scripts/lambda-events.js';
import { createRunsTable } from '../../scripts/runs-table.js';
import { sqsRecordFromMessage } from '../support/events.js';
import { useFixture } from '../support/fixture.js';
import { MOTO_AWS_ENV, motoClientConfig, skipWithoutMoto } from '../support/moto.js';

const BCC_IMAGES = 3_000;
const BCC_INSTANCES = 300;
/** The plan's retire decisions: its limits bind (the rest of the candidates are deferred). */
const RETIRE = 1_000;
/** Retire decisions renamed after the plan, and made used by a new instance after it. */
const RENAMED = 10;
const NOW_IN_USE = 10;
const POLLERS = 5;
/** UPSTREAM_RATE_LIMITS for BCC (the deployment's, per second), and the emulator's (per key). */
const RATE_LIMIT = 40;
const EMULATOR_RATE_LIMIT = 45;
/** A small burst: unpaced requests come in clumps, which the emulator then throttles. */
const EMULATOR_BURST = 8;
const MAX_RECEIVE_COUNT = 5;
const LAMBDA_BUDGET_MS = 6_000;
const VISIBILITY_TIMEOUT_S = 18;
/** The longest the pollers may take to empty the queue in one apply (then the test fails). */
const DRAIN_CAP_MS = 200_000;
const CALLER = 'arn:aws:iam::123456789012:user/approver';
const REGION = 'bj';

type Consumer = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

interface CapturedEvent {
  detailType: string;
  detail: Record<string, unknown>;
}

interface DrainFigures {
  batches: number;
  records: number;
  failuresReported: number;
  redeliveries: number;
  /** Records of a run decision already delivered in this drain (a redelivery, or a second message). */
  deliveredAgain: number;
  /** Invocations that threw (Lambda would retry their whole batch). */
  invocationErrors: string[];
  /** Messages the consumer did not report failed that the queue would not delete. */
  undeletable: number;
  /** Messages still in the queue when the pollers stopped (DRAIN_CAP_MS reached). */
  left: number;
  wallMs: number;
}

/** An API Gateway event for a retirement route, signed by CALLER. */
const routeEvent = (
  method: 'GET' | 'POST',
  path: string,
  pathParameters: Record<string, string>,
  body?: unknown,
): APIGatewayProxyEventV2 => {
  const event = httpEvent(method as 'GET', 'x', 'x');
  event.rawPath = path;
  event.routeKey = `${method} ${path}`;
  event.pathParameters = pathParameters;
  event.headers = { host: 'localhost' };
  if (body !== undefined) event.body = JSON.stringify(body);
  (event.requestContext as unknown as { authorizer: unknown }).authorizer = {
    iam: { userArn: CALLER },
  };
  return event;
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** How many of each value. */
const tally = (values: readonly string[]): Record<string, number> => {
  const counts: Record<string, number> = {};
  for (const value of values) counts[value] = (counts[value] ?? 0) + 1;
  return counts;
};

describe.skipIf(skipWithoutMoto('apply load test'))('applying a plan at scale (moto)', () => {
  const fixture = useFixture({
    emulator: {
      seed: { bcc: { images: BCC_IMAGES, instances: BCC_INSTANCES }, random: 23 },
      rateLimit: { bcc: { perSecond: EMULATOR_RATE_LIMIT, burst: EMULATOR_BURST } },
    },
    env: {
      UPSTREAM_RETRY_BASE_MS: '5',
      UPSTREAM_THROTTLE_BASE_MS: '10',
      UPSTREAM_RATE_LIMITS: `bcc=${RATE_LIMIT}`,
      SQS_MAX_CONCURRENCY: String(POLLERS),
      MAX_RECEIVE_COUNT: String(MAX_RECEIVE_COUNT),
      RETIREMENT_STORE_DIR: undefined,
      LOG_LEVEL: 'info',
    },
    moto: { serialized: true },
  });
  const queues = { delete: '', dlq: '', capture: '' };
  const names = { bucket: '', table: '', bus: '' };
  let sqs: SQSClient;
  let s3: S3Client;
  let consumers: Consumer[] = [];

  beforeAll(async () => {
    const config = motoClientConfig(fixture.moto.endpoint);
    sqs = new SQSClient(config);
    s3 = new S3Client({ ...config, forcePathStyle: true });
    const dynamodb = new DynamoDBClient(config);
    const eventbridge = new EventBridgeClient(config);
    const suffix = randomUUID().slice(0, 8);
    names.bucket = `plans-${suffix}`;
    names.table = `runs-${suffix}`;
    names.bus = `images-${suffix}`;

    await s3.send(new CreateBucketCommand({ Bucket: names.bucket }));
    await createRunsTable(dynamodb, names.table);
    const arnOf = async (url: string | undefined) =>
      (
        await sqs.send(
          new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }),
        )
      ).Attributes?.QueueArn as string;
    queues.dlq = (await sqs.send(new CreateQueueCommand({ QueueName: `delete-dlq-${suffix}` })))
      .QueueUrl as string;
    queues.delete = (
      await sqs.send(
        new CreateQueueCommand({
          QueueName: `delete-${suffix}`,
          Attributes: {
            VisibilityTimeout: String(VISIBILITY_TIMEOUT_S),
            RedrivePolicy: JSON.stringify({
              deadLetterTargetArn: await arnOf(queues.dlq),
              maxReceiveCount: MAX_RECEIVE_COUNT,
            }),
          },
        }),
      )
    ).QueueUrl as string;
    queues.capture = (
      await sqs.send(new CreateQueueCommand({ QueueName: `captured-events-${suffix}` }))
    ).QueueUrl as string;
    await eventbridge.send(new CreateEventBusCommand({ Name: names.bus }));
    await eventbridge.send(
      new PutRuleCommand({
        Name: `capture-${suffix}`,
        EventBusName: names.bus,
        EventPattern: JSON.stringify({ source: [EVENT_SOURCE] }),
      }),
    );
    await eventbridge.send(
      new PutTargetsCommand({
        Rule: `capture-${suffix}`,
        EventBusName: names.bus,
        Targets: [{ Id: 'capture', Arn: await arnOf(queues.capture) }],
      }),
    );
    dynamodb.destroy();
    eventbridge.destroy();

    const endpoint = fixture.moto.endpoint;
    fixture.setEnv({
      ...MOTO_AWS_ENV,
      PLANS_BUCKET: names.bucket,
      RUNS_TABLE: names.table,
      EVENT_BUS_NAME: names.bus,
      DELETE_QUEUE_URL: queues.delete,
      AWS_ENDPOINT_URL_S3: endpoint,
      AWS_ENDPOINT_URL_DYNAMODB: endpoint,
      AWS_ENDPOINT_URL_SQS: endpoint,
      AWS_ENDPOINT_URL_EVENTBRIDGE: endpoint,
    });
    // One Lambda sandbox per poller: its own module graph, so its own pacer (rate / POLLERS).
    consumers = [];
    for (let index = 0; index < POLLERS; index += 1) {
      const { handler } = await fixture.fresh(
        {},
        () => import('../../functions/sqs/delete-image.js'),
      );
      consumers.push(handler as Consumer);
    }
  }, 60_000);

  afterAll(() => {
    sqs?.destroy();
    s3?.destroy();
  });

  const createPlan = async (body: unknown) =>
    parseResult(
      await createHandler(routeEvent('POST', '/retirements/plans', {}, body), lambdaContext()),
    );
  const getPlan = async (planId: string) =>
    parseResult(
      await getPlanHandler(
        routeEvent('GET', `/retirements/plans/${planId}`, { planId }),
        lambdaContext(),
      ),
    );
  const apply = async (planId: string) =>
    parseResult(
      await applyHandler(
        routeEvent('POST', `/retirements/plans/${planId}/apply`, { planId }),
        lambdaContext(),
      ),
    );
  const getRun = async (runId: string) =>
    parseResult(
      await getRunHandler(
        routeEvent('GET', `/retirements/runs/${runId}`, { runId }),
        lambdaContext(),
      ),
    );

  const queueDepth = async (url: string): Promise<number> => {
    const { Attributes: attributes = {} } = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: url,
        AttributeNames: [
          'ApproximateNumberOfMessages',
          'ApproximateNumberOfMessagesNotVisible',
          'ApproximateNumberOfMessagesDelayed',
        ],
      }),
    );
    return (
      Number(attributes.ApproximateNumberOfMessages ?? 0) +
      Number(attributes.ApproximateNumberOfMessagesNotVisible ?? 0) +
      Number(attributes.ApproximateNumberOfMessagesDelayed ?? 0)
    );
  };

  /** Every message of a queue, each received once and deleted. */
  const drainMessages = async (url: string): Promise<Message[]> => {
    const all: Message[] = [];
    for (;;) {
      const { Messages: messages = [] } = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: url,
          MaxNumberOfMessages: 10,
          VisibilityTimeout: 60,
        }),
      );
      if (messages.length === 0) return all;
      all.push(...messages);
      const deleted = await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: url,
          Entries: messages.map((message, index) => ({
            Id: String(index),
            ReceiptHandle: message.ReceiptHandle,
          })),
        }),
      );
      // One left would come back, and be read twice: say so rather than count it again.
      expect(deleted.Failed ?? [], `messages ${url} would not delete`).toEqual([]);
    }
  };

  /** Events taken off the capture queue so far (kept short: moto's sends slow down with depth). */
  let captured: Message[] = [];

  /** Every event captured since the last call. */
  const capturedEvents = async (): Promise<CapturedEvent[]> => {
    const messages = [...captured, ...(await drainMessages(queues.capture))];
    captured = [];
    return messages.map((message) => {
      const event = JSON.parse(message.Body ?? '{}') as {
        'detail-type': string;
        detail: Record<string, unknown>;
      };
      return { detailType: event['detail-type'], detail: event.detail };
    });
  };

  /** How many different events (by detail-type and image): a repeat is counted once. */
  const distinctEvents = (events: readonly CapturedEvent[]): number =>
    new Set(events.map((event) => `${event.detailType} ${String(event.detail.imageId)}`)).size;

  /** Entries of PutEvents attempts that got no answer (each may have been put, and sent again). */
  const uncertainSoFar = (): number =>
    fixture.log
      .linesWhere({ message: 'events may arrive twice' })
      .reduce((sum, line) => sum + Number(line.eventsUncertain), 0);

  /**
   * The event source mapping: POLLERS pollers, each invoking its own consumer, until the delete
   * queue is empty (nothing waiting, nothing in flight) and no invocation is running.
   */
  const drainDeleteQueue = async (): Promise<DrainFigures> => {
    const figures: DrainFigures = {
      batches: 0,
      records: 0,
      failuresReported: 0,
      redeliveries: 0,
      deliveredAgain: 0,
      invocationErrors: [],
      undeletable: 0,
      left: 0,
      wallMs: 0,
    };
    const started = performance.now();
    const cap = Date.now() + DRAIN_CAP_MS;
    let running = 0;
    let done = false;
    // Messages a consumer reported failed that must come back (not yet at the receive limit): the
    // drain is not over while one is owed, whatever the queue's approximate counts say.
    const owed = new Set<string>();
    const delivered = new Set<string>();
    const poller = async (consumer: Consumer): Promise<void> => {
      while (!done && Date.now() < cap) {
        const { Messages: messages = [] } = await sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: queues.delete,
            MaxNumberOfMessages: 10,
            WaitTimeSeconds: 0,
            MessageSystemAttributeNames: ['All'],
          }),
        );
        if (messages.length === 0) {
          if (running === 0 && owed.size === 0 && (await queueDepth(queues.delete)) === 0) {
            done = true;
          } else await sleep(200);
          continue;
        }
        running += 1;
        try {
          const records = messages.map(sqsRecordFromMessage);
          for (const record of records) owed.delete(record.messageId);
          figures.batches += 1;
          figures.records += records.length;
          figures.redeliveries += records.filter(
            (record) => Number(record.attributes.ApproximateReceiveCount) > 1,
          ).length;
          for (const record of records) {
            const { runId, imageKey } = JSON.parse(record.body) as RunMessage;
            const decision = `${runId} ${imageKey}`;
            if (delivered.has(decision)) figures.deliveredAgain += 1;
            delivered.add(decision);
          }
          // An invocation that throws (a timeout) fails its whole batch, as in Lambda.
          const response = await consumer(
            { Records: records },
            lambdaContext(LAMBDA_BUDGET_MS),
          ).catch((error: unknown) => {
            figures.invocationErrors.push(error instanceof Error ? error.name : String(error));
            return {
              batchItemFailures: records.map((record) => ({ itemIdentifier: record.messageId })),
            };
          });
          const failed = new Set(response.batchItemFailures.map((item) => item.itemIdentifier));
          figures.failuresReported += failed.size;
          for (const record of records) {
            const receives = Number(record.attributes.ApproximateReceiveCount);
            if (failed.has(record.messageId) && receives < MAX_RECEIVE_COUNT) {
              owed.add(record.messageId);
            }
          }
          const succeeded = records.filter((record) => !failed.has(record.messageId));
          if (succeeded.length > 0) {
            const deleted = await sqs.send(
              new DeleteMessageBatchCommand({
                QueueUrl: queues.delete,
                Entries: succeeded.map((record, index) => ({
                  Id: String(index),
                  ReceiptHandle: record.receiptHandle,
                })),
              }),
            );
            figures.undeletable += deleted.Failed?.length ?? 0;
          }
        } finally {
          running -= 1;
        }
      }
    };
    const captureEvents = async (): Promise<void> => {
      while (!done && Date.now() < cap) {
        captured.push(...(await drainMessages(queues.capture)));
        await sleep(1_000);
      }
    };
    // Every poller stops (at its next turn) once one fails, and is waited for.
    const stopping = (work: Promise<void>) =>
      work.catch((error: unknown) => {
        done = true;
        throw error;
      });
    const settled = await Promise.allSettled(
      [...consumers.map(poller), captureEvents()].map(stopping),
    );
    for (const result of settled) if (result.status === 'rejected') throw result.reason;
    figures.left = await queueDepth(queues.delete);
    figures.wallMs = Math.round(performance.now() - started);
    return figures;
  };

  it('gives every retire decision exactly one outcome, deletes each once and nothing else, and paces upstream', async () => {
    // Prepare: the plan, read back as it was made.
    const created = await createPlan({
      name: 'stale-bcc-at-scale',
      provider: 'bcc',
      regions: [REGION],
      select: { kind: 'custom', olderThanDays: 30 },
      keep: { newestPerFamily: 1 },
      exclude: { names: ['*-golden'] },
      limits: { maxDeletions: RETIRE, maxPercent: 100 },
    });
    expect(created.status).toBe(201);
    const plan = created.body as unknown as Plan;
    expect(plan.complete).toBe(true);
    expect(plan.totals.retire).toBe(RETIRE);
    expect(plan.limits.bound).toBe(true);
    expect(plan.totals.deferred).toBeGreaterThan(0);
    const read = await getPlan(plan.planId);
    expect(read.status).toBe(200);
    expect(read.body).toEqual(created.body);
    const planned = (await capturedEvents()).filter(
      (event) => event.detailType === 'Retirement Planned',
    );
    expect(planned.map((event) => event.detail.planId)).toEqual([plan.planId]);

    const retireIds = new Set(
      plan.decisions
        .filter((decision) => decision.decision === 'retire')
        .map((decision) => decision.image.id),
    );
    const keyOf = (id: string) => `${REGION}/${id}`;
    // After the plan: some retire decisions renamed, some now used by a new instance.
    const [renamed, nowInUse] = [
      [...retireIds].slice(0, RENAMED),
      [...retireIds].slice(RENAMED, RENAMED + NOW_IN_USE),
    ];
    for (const id of renamed) {
      const record = fixture.emulator.state.bcc.get(id);
      if (record === undefined) throw new Error(`no image ${id}`);
      fixture.emulator.state.bcc.set({ ...record, name: `${String(record.name)}-renamed` });
    }
    for (const id of nowInUse) {
      expect(fixture.emulator.state.referenceImage('bcc', id, { status: 'Running' })).toBeDefined();
    }
    // An image shared to other accounts is planned like any custom image; the cloud refuses it.
    const sharedToOthers = [...retireIds].filter(
      (id) => fixture.emulator.state.bcc.sharedWith(id).length > 0,
    );
    const mustSkip = new Set([...renamed, ...nowInUse, ...sharedToOthers]);
    const imagesBefore = fixture.emulator.state.bcc.list().map((record) => record.id);
    // ~10 % of upstream requests fail from now on: four faults of ~2.6 % each, seeded.
    const faults = [
      { kind: 'status', status: 429 },
      { kind: 'status', status: 503 },
      { kind: 'reset' },
      { kind: 'reset', afterHandling: true },
    ] as const;
    for (const [index, action] of faults.entries()) {
      fixture.emulator.faults.inject({ probability: 0.026, seed: 500 + index, action });
    }
    fixture.emulator.requests.length = 0;
    fixture.emulator.rateLimit.clearCounters();
    fixture.log.clear();

    // Act: apply, and let the pollers work the queue off; then apply the same plan again.
    const applyStarted = performance.now();
    const accepted = await apply(plan.planId);
    const { runId } = accepted.body as { runId: string };
    const running = (await getRun(runId)).body as unknown as RunDocument;
    const drained = await drainDeleteQueue();
    const runWallMs = Math.round(performance.now() - applyStarted);
    const fetched = await getRun(runId);
    const document = fetched.body as unknown as RunDocument;
    const requests = [...fixture.emulator.requests];
    const throttled = fixture.emulator.rateLimit
      .counters()
      .reduce((sum, counter) => sum + counter.throttled, 0);
    const peakAdmittedPerSecond = Math.max(
      ...fixture.emulator.rateLimit.counters().map((counter) => counter.peakAdmittedPerSecond),
    );
    const retries = fixture.log.lines
      .filter((line) => line.runId === runId)
      .reduce(
        (sum, line) => sum + (typeof line.upstreamRetries === 'number' ? line.upstreamRetries : 0),
        0,
      );
    const eventsUncertain = uncertainSoFar();
    const events = await capturedEvents();
    const inDlq = await drainMessages(queues.dlq);
    // The audit copy beside the plan (none when the run did not complete).
    const auditCopy: unknown = await s3
      .send(new GetObjectCommand({ Bucket: names.bucket, Key: `runs/${runId}.json` }))
      .then(async (object) => JSON.parse((await object.Body?.transformToString()) ?? '{}'))
      .catch(() => undefined);
    const deleteCountsAfterFirst = new Map(
      imagesBefore.map((id) => [id, fixture.emulator.state.deleteCount('bcc', id)]),
    );

    const again = await apply(plan.planId);
    const secondId = (again.body as { runId: string }).runId;
    const secondDrain = await drainDeleteQueue();
    const second = (await getRun(secondId)).body as unknown as RunDocument;
    const secondUncertain = uncertainSoFar() - eventsUncertain;
    const secondEvents = await capturedEvents();
    const secondDlq = await drainMessages(queues.dlq);

    const faultHits = requests.filter((request) => request.fault !== undefined).length;
    const first = requests.at(0)?.time;
    const last = requests.at(-1)?.time;
    const achieved =
      first === undefined || last === undefined
        ? Number.NaN
        : requests.length / ((Date.parse(last) - Date.parse(first)) / 1000);
    const ofRun = events.filter((event) => event.detail.runId === runId);
    const repeatedEvents = ofRun.length - distinctEvents(ofRun);
    const summary = {
      decisions: RETIRE,
      counts: document.run?.counts,
      runWallMs,
      batches: drained.batches,
      redeliveries: drained.redeliveries,
      deliveredAgain: drained.deliveredAgain,
      failuresReported: drained.failuresReported,
      invocationErrors: drained.invocationErrors.length,
      upstreamRequests: requests.length,
      upstreamFaults: faultHits,
      achievedPerSecond: Number(achieved.toFixed(1)),
      limitPerSecond: RATE_LIMIT,
      rateRatio: Number((achieved / RATE_LIMIT).toFixed(2)),
      peakAdmittedPerSecond,
      emulatorLimitPerSecond: EMULATOR_RATE_LIMIT,
      throttled,
      retries,
      eventsPublished: ofRun.length,
      eventsRepeated: repeatedEvents,
      eventsUncertain,
      dlq: inDlq.length,
      left: drained.left,
      secondApply: { counts: second.run?.counts, wallMs: secondDrain.wallMs },
    };
    console.log(`Apply load test figures: ${JSON.stringify(summary)}`);
    // On a failure, what happened to each decision without a final outcome (its log lines).
    const finalKeys = new Set(
      (document.outcomes ?? [])
        .filter((outcome) => outcome.state === 'final')
        .map((outcome) => outcome.imageKey),
    );
    const unfinished = [...retireIds].filter((id) => !finalKeys.has(keyOf(id)));
    for (const id of unfinished.slice(0, 3)) {
      const lines = fixture.log.lines.filter((line) => JSON.stringify(line).includes(id));
      console.log(`Unfinished decision ${id}: ${JSON.stringify(lines.slice(0, 12))}`);
    }

    // Assess: accepted, then exactly one final outcome per retire decision; counts add up.
    expect(accepted.status).toBe(202);
    expect(accepted.body).toMatchObject({ planId: plan.planId, total: RETIRE, status: 'running' });
    expect(running.run).toMatchObject({ status: 'running', total: RETIRE, createdBy: CALLER });
    expect(fetched.status).toBe(200);
    const { run, outcomes } = document;
    expect(run).toMatchObject({ status: 'completed', total: RETIRE, planId: plan.planId });
    expect(outcomes.map((outcome) => outcome.imageKey)).toEqual(
      [...retireIds].map(keyOf).sort((left, right) => (left < right ? -1 : 1)),
    );
    expect(outcomes.filter((outcome) => outcome.state !== 'final')).toEqual([]);
    const outcomeOf = new Map(outcomes.map((outcome) => [outcome.imageKey, outcome]));
    const byOutcome = tally(outcomes.map((outcome) => String(outcome.outcome)));
    expect(run.counts).toEqual({
      deleted: byOutcome.deleted ?? 0,
      'already-absent': byOutcome['already-absent'] ?? 0,
      skipped: byOutcome.skipped ?? 0,
      failed: byOutcome.failed ?? 0,
    });
    expect(Object.values(run.counts).reduce((sum, count) => sum + count, 0)).toBe(RETIRE);
    for (const outcome of outcomes) {
      if (outcome.outcome === 'skipped') expect(outcome.reason, outcome.imageKey).toBeTruthy();
      if (outcome.outcome === 'failed') expect(outcome.error, outcome.imageKey).toBeTruthy();
    }
    expect(drained).toMatchObject({ undeletable: 0, left: 0 });
    // Nothing lost: the DLQ holds only decisions recorded failed.
    for (const message of inDlq) {
      const body = JSON.parse(message.Body ?? '{}') as RunMessage;
      expect(outcomeOf.get(body.imageKey)?.outcome, body.imageKey).toBe('failed');
    }
    // The audit copy beside the plan is the run as completed.
    expect(auditCopy).toEqual(document);

    // Changed or newly used images are skipped with the reason, never deleted; the rest deleted.
    for (const id of renamed) {
      expect(outcomeOf.get(keyOf(id))).toMatchObject({ outcome: 'skipped', error: 'ImageChanged' });
    }
    for (const id of nowInUse) {
      expect(outcomeOf.get(keyOf(id))).toMatchObject({ outcome: 'skipped', error: 'ImageBusy' });
      expect(outcomeOf.get(keyOf(id))?.reason).toContain('in use');
    }
    for (const id of sharedToOthers) {
      expect(outcomeOf.get(keyOf(id))).toMatchObject({ outcome: 'skipped' });
    }
    const notDeleted = [...retireIds].filter(
      (id) => !mustSkip.has(id) && outcomeOf.get(keyOf(id))?.outcome !== 'deleted',
    );
    expect(notDeleted.map((id) => outcomeOf.get(keyOf(id)))).toEqual([]);

    // Upstream: deletes == outcomes `deleted`, each once; no other image touched.
    for (const id of imagesBefore) {
      const deleted = outcomeOf.get(keyOf(id))?.outcome === 'deleted';
      expect(deleteCountsAfterFirst.get(id), id).toBe(deleted ? 1 : 0);
    }
    const deleteRequests = requests.filter((request) => request.operation === 'delete');
    expect(deleteRequests.filter((request) => !retireIds.has(String(request.imageId)))).toEqual([]);

    // One event per outcome, and one completion carrying the run's counts. An event can arrive
    // twice (PutEvents takes no deduplication key; the contract says to key on runId and imageId),
    // so each is counted once here, and the repeats are bounded below.
    const eventKeys = (detailType: string) =>
      [
        ...new Set(
          ofRun
            .filter((event) => event.detailType === detailType)
            .map((event) => keyOf(String(event.detail.imageId))),
        ),
      ].sort();
    const outcomeKeys = (...kinds: string[]) =>
      outcomes
        .filter((outcome) => kinds.includes(String(outcome.outcome)))
        .map((outcome) => outcome.imageKey)
        .sort();
    expect(eventKeys('Image Deleted')).toEqual(outcomeKeys('deleted', 'already-absent'));
    expect(eventKeys('Image Delete Refused')).toEqual(outcomeKeys('skipped'));
    expect(eventKeys('Image Delete Failed')).toEqual(outcomeKeys('failed'));
    const completions = ofRun.filter((event) => event.detailType === 'Retirement Run Completed');
    expect(completions.length).toBeGreaterThanOrEqual(1);
    for (const completion of completions) {
      expect(completion.detail).toMatchObject({ counts: run.counts, total: RETIRE });
    }
    // A repeat needs a decision delivered again or a publish attempt that got no answer: with
    // neither, a repeated event is a publish too many.
    expect(repeatedEvents).toBeLessThanOrEqual(drained.deliveredAgain + eventsUncertain);
    expect(events.filter((event) => event.detail.runId !== runId)).toEqual([]);

    // Pacing: the emulator throttled at most a small fraction of what was sent.
    expect(requests.length).toBeGreaterThan(RETIRE);
    expect(throttled / requests.length).toBeLessThan(0.02);
    expect(faultHits / requests.length).toBeGreaterThan(0.05);

    // A second apply of the same plan deletes nothing more, and says so.
    expect(again.status).toBe(202);
    expect(secondId).not.toBe(runId);
    expect(second.run).toMatchObject({ status: 'completed', total: RETIRE });
    expect(second.run.counts).toEqual({
      deleted: 0,
      'already-absent': run.counts.deleted,
      skipped: run.counts.skipped,
      failed: 0,
    });
    for (const id of imagesBefore) {
      expect(fixture.emulator.state.deleteCount('bcc', id), id).toBe(
        deleteCountsAfterFirst.get(id),
      );
    }
    const ofSecond = secondEvents.filter((event) => event.detail.runId === secondId);
    expect(distinctEvents(ofSecond)).toBe(RETIRE + 1);
    expect(ofSecond.length - distinctEvents(ofSecond)).toBeLessThanOrEqual(
      secondDrain.deliveredAgain + secondUncertain,
    );
    expect(secondDrain).toMatchObject({ undeletable: 0, left: 0 });
    expect(secondDlq).toEqual([]);
  }, 540_000);
});
