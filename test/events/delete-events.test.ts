// A delete's outcome event, through the real HTTP handler and the real queue consumer against the
// emulator. The publisher is loaded while the delete's upstream calls are in flight
// (Invocation.preparePublish), and that changes nothing of what is reported: one event per delete,
// none for a dry run that succeeded, and a publisher that cannot be built is reported once, by the
// publish, and never thrown. A queued request has one outcome however often it is delivered: a
// failure that the queue will deliver again is a log line, its failure on the last receive the event.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SEEDED } from '../../emulator/demo.js';
import { httpEvent, lambdaContext, parseResult } from '../../scripts/lambda-events.js';
import { startFaultServer } from '../support/aws-fault-server.js';
import { eventsPublishedLocally, sqsEvent, sqsRecord } from '../support/events.js';
import { type EnvVars, useFixture } from '../support/fixture.js';

type Handler = (event: unknown, context: Context) => Promise<unknown>;

const fixture = useFixture();

let store: string;

beforeEach(async () => {
  store = await mkdtemp(join(tmpdir(), 'cif-delete-events-'));
});

afterEach(async () => {
  await rm(store, { recursive: true, force: true });
});

/** The HTTP delete function as a new sandbox loads it with these variables. */
const loadDelete = (env: EnvVars): Promise<Handler> =>
  fixture.fresh(
    env,
    async () =>
      (await import('../../functions/http/delete-image.js')).handler as unknown as Handler,
  );

type Consumer = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

/** The queue consumer as a new sandbox loads it, the queue's redrive after 3 receives. */
const loadConsumer = (): Promise<Consumer> =>
  fixture.fresh(
    { RETIREMENT_STORE_DIR: store, MAX_RECEIVE_COUNT: '3', UPSTREAM_RETRY_BASE_MS: '5' },
    async () =>
      (await import('../../functions/sqs/delete-image.js')).handler as unknown as Consumer,
  );

/** One delivery of the same message, as the queue makes its `receive`th. */
const deliver = async (
  consumer: Consumer,
  imageId: string,
  receive: number,
  remainingMs?: number,
) => {
  const body = JSON.stringify({ provider: 'modelarts', imageId });
  const response = await consumer(
    sqsEvent([sqsRecord('request-1', body, receive)]),
    lambdaContext(remainingMs),
  );
  return {
    comesBack: response.batchItemFailures.some((item) => item.itemIdentifier === 'request-1'),
    events: (await eventsPublishedLocally(store)).map((event) => event.detailType),
  };
};

const deleteOver = async (handler: Handler, imageId: string, query: Record<string, string> = {}) =>
  parseResult(
    (await handler(httpEvent('DELETE', 'modelarts', imageId, query), lambdaContext())) as never,
  );

describe("a delete's outcome event", () => {
  it('one Image Deleted event for a delete, none for a dry run', async () => {
    // Prepare
    const httpDelete = await loadDelete({ RETIREMENT_STORE_DIR: store });

    // Act
    const dryRun = await deleteOver(httpDelete, SEEDED.modelarts.custom, { dryRun: 'true' });
    const afterDryRun = await eventsPublishedLocally(store);
    const deleted = await deleteOver(httpDelete, SEEDED.modelarts.custom);

    // Assess
    expect(dryRun.status, JSON.stringify(dryRun.body)).toBe(200);
    expect(afterDryRun).toEqual([]);
    expect(deleted.status, JSON.stringify(deleted.body)).toBe(200);
    const events = await eventsPublishedLocally(store);
    expect(events.map((event) => event.detailType)).toEqual(['Image Deleted']);
    expect(events[0]?.detail).toMatchObject({
      provider: 'modelarts',
      imageId: SEEDED.modelarts.custom,
    });
  });

  it('a dry run publishes nothing, refused or not', async () => {
    // Prepare
    const httpDelete = await loadDelete({ RETIREMENT_STORE_DIR: store });

    // Act
    const refused = await deleteOver(httpDelete, SEEDED.modelarts.builtIn, { dryRun: 'true' });
    const allowed = await deleteOver(httpDelete, SEEDED.modelarts.custom, { dryRun: 'true' });

    // Assess
    expect(refused.status, JSON.stringify(refused.body)).toBe(403);
    expect(allowed.status, JSON.stringify(allowed.body)).toBe(200);
    expect(await eventsPublishedLocally(store)).toEqual([]);
  });

  it('a request refused as malformed publishes nothing; one naming a region the deployment cannot serve is a failed delete', async () => {
    // Prepare
    const httpDelete = await loadDelete({ RETIREMENT_STORE_DIR: store });

    // Act
    const malformed = await deleteOver(httpDelete, 'not-a-uuid');
    const badRegion = await deleteOver(httpDelete, SEEDED.modelarts.custom, {
      region: 'Bad_Region',
    });
    const beforeUnserved = await eventsPublishedLocally(store);
    const unserved = await deleteOver(httpDelete, SEEDED.modelarts.custom, { region: 'xx-yy-1' });

    // Assess
    expect([malformed.status, badRegion.status, unserved.status]).toEqual([400, 400, 400]);
    expect(beforeUnserved).toEqual([]);
    const events = await eventsPublishedLocally(store);
    expect(events.map((event) => [event.detailType, event.detail.error])).toEqual([
      ['Image Delete Failed', 'InvalidRequest'],
    ]);
  });

  it('the event keeps the image as it was before the delete; the answer, as the delete left it', async () => {
    // Prepare
    const httpDelete = await loadDelete({ RETIREMENT_STORE_DIR: store });

    // Act
    const deleted = await deleteOver(httpDelete, SEEDED.modelarts.custom);

    // Assess
    expect(deleted.status, JSON.stringify(deleted.body)).toBe(200);
    expect(deleted.body).toMatchObject({ outcome: 'deleted', image: { status: 'deleted' } });
    const [event] = await eventsPublishedLocally(store);
    expect(event?.detail).toMatchObject({
      outcome: 'deleted',
      image: { id: SEEDED.modelarts.custom, status: 'available', providerStatus: 'ACTIVE' },
    });
  });

  it('a delete that fails after looking at the image: its failure event keeps the image as it was', async () => {
    // Prepare: the DELETE itself fails every attempt (a reply lost may mean it went through).
    const httpDelete = await loadDelete({ RETIREMENT_STORE_DIR: store });
    fixture.emulator.faults.inject({
      match: { operation: 'delete' },
      times: 3,
      action: { kind: 'status', status: 503 },
    });

    // Act
    const failed = await deleteOver(httpDelete, SEEDED.modelarts.custom);

    // Assess: the audit trail has the record of what may have been deleted.
    expect(failed.status, JSON.stringify(failed.body)).toBe(502);
    const [event] = await eventsPublishedLocally(store);
    expect(event?.detailType).toBe('Image Delete Failed');
    expect(event?.detail).toMatchObject({
      error: 'UpstreamUnavailable',
      image: { id: SEEDED.modelarts.custom, name: expect.any(String), status: 'available' },
    });
  });

  it('a bus that never answers: the delete answers 200 within the time the function has left, its event counted lost', async () => {
    // Prepare: an EventBridge endpoint that takes the request and never replies; 2 s left, less
    // than the SDK's own 3 s request timeout.
    const silentBus = await startFaultServer(() => new Promise<never>(() => {}));
    try {
      const httpDelete = await loadDelete({
        EVENT_BUS_NAME: 'cloud-image-functions-test',
        AWS_ENDPOINT_URL_EVENTBRIDGE: silentBus.endpoint,
        AWS_REGION: 'eu-central-1',
        AWS_ACCESS_KEY_ID: 'test',
        AWS_SECRET_ACCESS_KEY: 'test',
      });
      const budgetMs = 2_000;
      const started = performance.now();

      // Act
      const deleted = parseResult(
        (await httpDelete(
          httpEvent('DELETE', 'modelarts', SEEDED.modelarts.custom),
          lambdaContext(budgetMs),
        )) as never,
      );
      const tookMs = performance.now() - started;

      // Assess: the delete's own answer (not middy's timeout, UPSTREAM_TIMEOUT), in time; the
      // event is reported lost as a refused publish is: one line, counted in the metric.
      expect(deleted.status, JSON.stringify(deleted.body)).toBe(200);
      expect(deleted.body).toMatchObject({ outcome: 'deleted' });
      expect(tookMs).toBeLessThan(budgetMs);
      expect(silentBus.requests.length).toBeGreaterThan(0);
      const notPublished = fixture.log.linesWhere({ message: 'events not published' });
      expect(notPublished).toEqual([
        expect.objectContaining({ notPublished: 1, EventsNotPublished: 1 }),
      ]);
      expect(fixture.log.linesWhere({ message: 'event not published' })).toEqual([
        expect.objectContaining({
          detailType: 'Image Deleted',
          reason: 'PutEvents failed: DeadlineReached',
        }),
      ]);
      // Unanswered, it may still have been put: a warning explains a duplicate, should one come.
      expect(fixture.log.linesWhere({ message: 'events may arrive twice' })).toEqual([
        expect.objectContaining({ level: 'warn', eventsUncertain: 1 }),
      ]);
    } finally {
      await silentBus.close();
    }
  });

  it('a bus name the configuration refuses: the delete still answers 200, one line says its event was not published', async () => {
    // Prepare
    const httpDelete = await loadDelete({ EVENT_BUS_NAME: 'no spaces in a bus name' });

    // Act
    const deleted = await deleteOver(httpDelete, SEEDED.modelarts.custom);

    // Assess
    expect(deleted.status, JSON.stringify(deleted.body)).toBe(200);
    expect(fixture.emulator.requests.filter((request) => request.method === 'DELETE')).toHaveLength(
      1,
    );
    const notPublished = fixture.log.linesWhere({ message: 'events not published' });
    expect(notPublished).toHaveLength(1);
    expect(notPublished[0]).toMatchObject({ notPublished: 1 });
  });

  it('a queued request refused on every delivery: no event until its last receive, then one Image Delete Refused', async () => {
    // Prepare
    const consumer = await loadConsumer();

    // Act
    const first = await deliver(consumer, SEEDED.modelarts.builtIn, 1);
    const second = await deliver(consumer, SEEDED.modelarts.builtIn, 2);
    const last = await deliver(consumer, SEEDED.modelarts.builtIn, 3);

    // Assess
    expect(first).toEqual({ comesBack: true, events: [] });
    expect(second).toEqual({ comesBack: true, events: [] });
    expect(last).toEqual({ comesBack: true, events: ['Image Delete Refused'] });
    const [refused] = await eventsPublishedLocally(store);
    expect(refused?.detail).toMatchObject({
      imageId: SEEDED.modelarts.builtIn,
      error: 'ImageProtected',
      trigger: 'sqs',
      requestId: 'request-1',
    });
    expect(fixture.log.linesWhere({ messageId: 'request-1' }).map((line) => line.message)).toEqual([
      'message failed with an error a retry does not mend; SQS delivers it again until maxReceiveCount, then moves it to the dead-letter queue',
      'message failed with an error a retry does not mend; SQS delivers it again until maxReceiveCount, then moves it to the dead-letter queue',
      'message failed on its last receive; the queue moves it to the dead-letter queue',
    ]);
  });

  it('a queued request that fails once upstream and then succeeds: one Image Deleted, no failure event', async () => {
    // Prepare: every attempt of the first delivery meets a 503 (3 attempts per delivery)
    const consumer = await loadConsumer();
    fixture.emulator.faults.inject({ times: 3, action: { kind: 'status', status: 503 } });

    // Act
    const first = await deliver(consumer, SEEDED.modelarts.custom, 1);
    const second = await deliver(consumer, SEEDED.modelarts.custom, 2);

    // Assess
    expect(first).toEqual({ comesBack: true, events: [] });
    expect(second).toEqual({ comesBack: false, events: ['Image Deleted'] });
    expect(fixture.emulator.state.deleteCount('modelarts', SEEDED.modelarts.custom)).toBe(1);
  });

  it('a queued request still failing upstream on its last receive: one Image Delete Failed, retryable', async () => {
    // Prepare
    const consumer = await loadConsumer();
    fixture.emulator.faults.inject({ times: 9, action: { kind: 'status', status: 503 } });

    // Act
    const deliveries = [];
    for (const receive of [1, 2, 3]) {
      deliveries.push(await deliver(consumer, SEEDED.modelarts.custom, receive));
    }

    // Assess
    expect(deliveries.map((delivery) => delivery.events)).toEqual([
      [],
      [],
      ['Image Delete Failed'],
    ]);
    expect(deliveries.every((delivery) => delivery.comesBack)).toBe(true);
    const [failure] = await eventsPublishedLocally(store);
    expect(failure?.detail).toMatchObject({ error: 'UpstreamUnavailable', retryable: true });
  });

  it('a queued request whose last delivery comes with no time left: its one event is Image Delete Failed (DeadlineReached)', async () => {
    // Prepare: 0.6 s left per delivery, 0.1 s of it to work with after the response margin.
    const consumer = await loadConsumer();

    // Act
    const first = await deliver(consumer, SEEDED.modelarts.custom, 1, 600);
    const last = await deliver(consumer, SEEDED.modelarts.custom, 3, 600);

    // Assess: not worked on either time, one failure event on the last, nothing sent upstream.
    expect(first).toEqual({ comesBack: true, events: [] });
    expect(last).toEqual({ comesBack: true, events: ['Image Delete Failed'] });
    const [failure] = await eventsPublishedLocally(store);
    expect(failure?.detail).toMatchObject({
      imageId: SEEDED.modelarts.custom,
      error: 'DeadlineReached',
      retryable: true,
      trigger: 'sqs',
      requestId: 'request-1',
    });
    expect(fixture.emulator.requests).toEqual([]);
  });
});
