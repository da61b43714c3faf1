// Publishing, end to end and under faults. EventBridge as moto serves it: a bus, a rule for our
// source targeting an SQS queue, and the events read back from the queue (support/bus-capture). A
// loopback fault server for what moto cannot do: 5xx, dropped connections, entries failed by
// EventBridge (FailedEntryCount), access denied, a bus that never answers. publish() never throws and counts what it could not publish,
// with one error line per lost event. Then the JSON-lines file and the "off" publisher.

import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { CatalogueEvent } from '../../lib/events/catalogue.js';
import { createEventPublisher } from '../../lib/events/create-publisher.js';
import { eventBridgePublisher, loadEventBridge } from '../../lib/events/eventbridge-publisher.js';
import { filePublisher } from '../../lib/events/file-publisher.js';
import { deadlineIn, RESPONSE_MARGIN_MS } from '../../lib/http/deadline.js';
import { createLogger, type Logger, setLogSink } from '../../lib/log/log.js';
import {
  type FaultReply,
  type FaultServer,
  jsonError,
  type RecordedRequest,
  startFaultServer,
} from '../support/aws-fault-server.js';
import { type BusCapture, captureBus } from '../support/bus-capture.js';
import {
  MOTO_AWS_ENV,
  type Moto,
  motoClientConfig,
  skipWithoutMoto,
  startMoto,
} from '../support/moto.js';
import { imageDeleted, imageDeleteFailed, oneOfEach } from './samples.js';

/** A logger whose lines the test reads. */
const capturingLog = (): { log: Logger; lines: () => Record<string, unknown>[] } => {
  const captured: string[] = [];
  const log = createLogger('debug');
  return {
    log: {
      ...log,
      debug: (message, fields) => capture(() => log.debug(message, fields)),
      info: (message, fields) => capture(() => log.info(message, fields)),
      warn: (message, fields) => capture(() => log.warn(message, fields)),
      error: (message, fields) => capture(() => log.error(message, fields)),
    },
    lines: () => captured.map((line) => JSON.parse(line) as Record<string, unknown>),
  };
  function capture(write: () => void) {
    const previous = setLogSink((line) => captured.push(line));
    try {
      write();
    } finally {
      setLogSink(previous);
    }
  }
};

/** Timers pending in this process (each one keeps it alive). */
const activeTimers = (): number =>
  process.getActiveResourcesInfo().filter((resource) => resource === 'Timeout').length;

/** `count` distinct Image Deleted events. */
const manyEvents = (count: number): CatalogueEvent[] =>
  Array.from({ length: count }, (_, index) => imageDeleted(`req-${index}`));

const BUS = 'cloud-image-functions-test';

describe.skipIf(skipWithoutMoto('EventBridge publisher'))(
  'publishing to EventBridge (moto)',
  () => {
    let moto: Moto | undefined;
    let eventBridge: EventBridgeClient;
    let bus: BusCapture | undefined;
    let putEventsCalls = 0;

    beforeAll(async () => {
      moto = await startMoto();
      bus = await captureBus(moto.endpoint, BUS);
      eventBridge = new EventBridgeClient(motoClientConfig(moto.endpoint));
      eventBridge.middlewareStack.add(
        (next, context) => (args) => {
          if (context.commandName === 'PutEventsCommand') putEventsCalls += 1;
          return next(args);
        },
        { step: 'initialize', name: 'countPutEvents' },
      );
    });

    afterAll(async () => {
      eventBridge?.destroy();
      bus?.close();
      await moto?.stop();
    });

    afterEach(() => {
      vi.unstubAllEnvs();
    });

    /** Every event the rule delivered to the queue, as EventBridge events. */
    const drain = (expected: number) => bus?.received(expected) ?? Promise.resolve([]);

    it('one event of each detail-type reaches the rule target with its source, detail-type and detail', async () => {
      const { log } = capturingLog();
      const events = oneOfEach();

      const result = await eventBridgePublisher({ busName: BUS, client: eventBridge, log }).publish(
        events,
      );

      expect(result).toEqual({ published: 5, notPublished: 0, lost: [], uncertain: 0 });
      const delivered = await drain(5);
      expect(delivered).toHaveLength(5);
      for (const event of events) {
        const match = delivered.find((candidate) => candidate['detail-type'] === event.detailType);
        expect(match).toMatchObject({ source: 'cloud-image-functions', detail: event.detail });
      }
    });

    it('12 events go in PutEvents calls of 10 and 2, and all arrive (moto takes ~0.2 s per event)', async () => {
      const { log } = capturingLog();
      putEventsCalls = 0;

      const result = await eventBridgePublisher({ busName: BUS, client: eventBridge, log }).publish(
        manyEvents(12),
      );

      expect(result).toEqual({ published: 12, notPublished: 0, lost: [], uncertain: 0 });
      expect(putEventsCalls).toBe(2);
      const delivered = await drain(12);
      expect(
        new Set(delivered.map((event) => (event.detail as { requestId: string }).requestId)),
      ).toEqual(new Set(Array.from({ length: 12 }, (_, index) => `req-${index}`)));
    });

    it('an oversized detail arrives cut, marked truncated', async () => {
      const { log } = capturingLog();
      const event = imageDeleteFailed();
      event.detail.message = `${'m'.repeat(270_000)}`;

      const result = await eventBridgePublisher({ busName: BUS, client: eventBridge, log }).publish(
        [event],
      );

      expect(result.published).toBe(1);
      const [delivered] = await drain(1);
      expect(delivered?.detail).toMatchObject({ truncated: true, requestId: 'msg-3' });
    });

    it('a bus that does not exist: nothing published, no throw, not retried (moto refuses the whole call)', async () => {
      const { log, lines } = capturingLog();
      putEventsCalls = 0;

      const events = manyEvents(2);
      const result = await eventBridgePublisher({
        busName: 'no-such-bus',
        client: eventBridge,
        log,
      }).publish(events);

      expect(result).toEqual({ published: 0, notPublished: 2, lost: events, uncertain: 0 });
      expect(putEventsCalls).toBe(1);
      expect(lines().filter((line) => line.message === 'event not published')).toHaveLength(2);
    });

    it('makes its client on first use from AWS_ENDPOINT_URL_EVENTBRIDGE', async () => {
      for (const [name, value] of Object.entries(MOTO_AWS_ENV)) vi.stubEnv(name, value);
      vi.stubEnv('AWS_ENDPOINT_URL_EVENTBRIDGE', moto?.endpoint ?? '');
      const { log } = capturingLog();

      const result = await createEventPublisher(
        { kind: 'eventbridge', busName: BUS },
        { log },
      ).publish([imageDeleted('lazy')]);

      expect(result).toEqual({ published: 1, notPublished: 0, lost: [], uncertain: 0 });
      expect((await drain(1))[0]?.detail).toMatchObject({ requestId: 'lazy' });
    });
  },
);

describe('publishing to EventBridge: faults (loopback fault server)', () => {
  let server: FaultServer | undefined;
  let client: EventBridgeClient | undefined;

  afterEach(async () => {
    vi.unstubAllEnvs();
    client?.destroy();
    await server?.close();
    server = undefined;
  });

  const publisherAt = async (
    reply: (request: RecordedRequest, index: number) => FaultReply | Promise<FaultReply>,
    options: { sleeps?: number[] } = {},
  ) => {
    server = await startFaultServer(reply);
    client = new EventBridgeClient({ ...motoClientConfig(server.endpoint), maxAttempts: 1 });
    const captured = capturingLog();
    const publisher = eventBridgePublisher({
      busName: BUS,
      client,
      log: captured.log,
      random: () => 0.5,
      sleep: async (ms) => {
        options.sleeps?.push(ms);
      },
    });
    return { publisher, lines: captured.lines, requests: () => server?.requests ?? [] };
  };

  const entriesOf = (request: RecordedRequest): { Detail: string; EventBusName: string }[] =>
    (JSON.parse(request.body) as { Entries: { Detail: string; EventBusName: string }[] }).Entries;

  /** EventBridge's answer putting every entry of the call. */
  const everyEntryPut = (request: RecordedRequest): FaultReply => ({
    status: 200,
    body: JSON.stringify({
      FailedEntryCount: 0,
      Entries: entriesOf(request).map((_, index) => ({ EventId: `e-${index}` })),
    }),
  });

  it('an endpoint that always fails: publish resolves, counts every event lost, tried 3 times per batch', async () => {
    const sleeps: number[] = [];
    const { publisher, lines, requests } = await publisherAt(
      () => ({ status: 500, body: jsonError('InternalException', 'boom') }),
      { sleeps },
    );

    const events = manyEvents(12);
    const result = await publisher.publish(events);

    expect(result).toEqual({ published: 0, notPublished: 12, lost: events, uncertain: 36 });
    expect(requests()).toHaveLength(6); // 2 batches x 3 attempts
    expect(sleeps).toEqual([100, 200]);
    const errors = lines().filter((line) => line.message === 'event not published');
    expect(errors).toHaveLength(12);
    expect(errors[0]).toMatchObject({
      level: 'error',
      detailType: 'Image Deleted',
      reason: 'PutEvents failed: InternalException',
      event: { requestId: 'req-0', imageId: imageDeleted().detail.imageId },
    });
    // Ids, never texts: the image name and identity stay out of the log line.
    expect(JSON.stringify(errors)).not.toContain('train-resnet');
    expect(JSON.stringify(errors)).not.toContain('alice');
  });

  it('a dropped connection is a lost attempt, never a throw', async () => {
    const { publisher, requests } = await publisherAt(() => 'destroy');

    const events = manyEvents(1);
    await expect(publisher.publish(events)).resolves.toEqual({
      published: 0,
      notPublished: 1,
      lost: events,
      uncertain: 3,
    });
    expect(requests()).toHaveLength(3);
  });

  it('an attempt that got no answer is sent again and counted uncertain: its entries may have been put, and may arrive twice', async () => {
    // Prepare: the bus reads the first call and cuts the connection; it answers the second.
    const { publisher, requests } = await publisherAt((request, index) =>
      index === 0 ? 'destroy' : everyEntryPut(request),
    );

    // Act
    const result = await publisher.publish(manyEvents(3));

    // Assess
    expect(result).toEqual({ published: 3, notPublished: 0, lost: [], uncertain: 3 });
    expect(requests()).toHaveLength(2);
  });

  it('a call EventBridge refused (400 ThrottlingException) is sent again, and is not uncertain: none of it was put', async () => {
    // Prepare
    const { publisher, requests } = await publisherAt((request, index) =>
      index === 0
        ? { status: 400, body: jsonError('ThrottlingException', 'Rate exceeded') }
        : everyEntryPut(request),
    );

    // Act
    const result = await publisher.publish(manyEvents(2));

    // Assess
    expect(result).toEqual({ published: 2, notPublished: 0, lost: [], uncertain: 0 });
    expect(requests()).toHaveLength(2);
  });

  it('entries EventBridge failed (FailedEntryCount) are sent again, and only they', async () => {
    const { publisher, requests } = await publisherAt((request, index) => {
      const entries = entriesOf(request);
      return {
        status: 200,
        body: JSON.stringify({
          FailedEntryCount: index === 0 ? 2 : 0,
          Entries: entries.map((_, position) =>
            index === 0 && (position === 1 || position === 3)
              ? { ErrorCode: 'ThrottlingException', ErrorMessage: 'slow down' }
              : { EventId: `id-${index}-${position}` },
          ),
        }),
      };
    });

    const result = await publisher.publish(manyEvents(5));

    expect(result).toEqual({ published: 5, notPublished: 0, lost: [], uncertain: 0 });
    expect(requests()).toHaveLength(2);
    const resent = entriesOf(requests()[1] as RecordedRequest).map(
      (entry) => (JSON.parse(entry.Detail) as { requestId: string }).requestId,
    );
    expect(resent).toEqual(['req-1', 'req-3']);
    expect(entriesOf(requests()[0] as RecordedRequest)[0]?.EventBusName).toBe(BUS);
  });

  it('an entry EventBridge keeps failing is lost, and only it: the very event, for whoever must try again', async () => {
    const { publisher, requests } = await publisherAt((request) => ({
      status: 200,
      body: JSON.stringify({
        FailedEntryCount: 1,
        Entries: entriesOf(request).map((entry) =>
          (JSON.parse(entry.Detail) as { requestId: string }).requestId === 'req-1'
            ? { ErrorCode: 'ThrottlingException', ErrorMessage: 'slow down' }
            : { EventId: 'ok' },
        ),
      }),
    }));
    const events = manyEvents(3);

    const result = await publisher.publish(events);

    expect(result).toEqual({ published: 2, notPublished: 1, lost: [events[1]], uncertain: 0 });
    expect(result.lost[0]).toBe(events[1]);
    expect(requests()).toHaveLength(3);
  });

  it('an entry failed for good (MalformedDetail) is not sent again; the others are published', async () => {
    const { publisher, requests, lines } = await publisherAt((request) => ({
      status: 200,
      body: JSON.stringify({
        FailedEntryCount: 1,
        Entries: entriesOf(request).map((_, position) =>
          position === 0 ? { ErrorCode: 'MalformedDetail', ErrorMessage: 'no' } : { EventId: 'ok' },
        ),
      }),
    }));

    const events = manyEvents(3);
    const result = await publisher.publish(events);

    // Refused as malformed: no later try can publish it, so it is not among the lost.
    expect(result).toEqual({ published: 2, notPublished: 1, lost: [], uncertain: 0 });
    expect(requests()).toHaveLength(1);
    expect(lines().filter((line) => line.message === 'event not published')[0]).toMatchObject({
      reason: 'PutEvents entry failed: MalformedDetail',
    });
  });

  it('access denied is not retried, and its text (with the role ARN) is not logged', async () => {
    const { publisher, requests, lines } = await publisherAt(() => ({
      status: 400,
      body: jsonError(
        'AccessDeniedException',
        'User: arn:aws:sts::123456789012:assumed-role/cif/fn is not authorized to perform: events:PutEvents',
      ),
    }));

    const events = manyEvents(1);
    const result = await publisher.publish(events);

    expect(result).toEqual({ published: 0, notPublished: 1, lost: events, uncertain: 0 });
    expect(requests()).toHaveLength(1);
    expect(JSON.stringify(lines())).not.toContain('123456789012');
  });

  it('no retry when the deadline leaves too little time (the first attempt is always made)', async () => {
    const sleeps: number[] = [];
    const { publisher, requests } = await publisherAt(
      () => ({ status: 503, body: jsonError('ServiceUnavailable', 'busy') }),
      { sleeps },
    );

    const events = manyEvents(1);
    const result = await publisher.publish(events, { deadline: { remainingMs: () => 350 } });

    expect(result).toEqual({ published: 0, notPublished: 1, lost: events, uncertain: 1 });
    expect(requests()).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });

  it('an attempt the bus does not answer is given up at the deadline: lost, not tried again', async () => {
    // Prepare: a bus that takes the request and never replies; 400 ms left (the SDK's own request
    // timeout is 3 s).
    const { publisher, requests, lines } = await publisherAt(() => new Promise<never>(() => {}));
    const events = manyEvents(1);
    const started = performance.now();

    // Act
    const result = await publisher.publish(events, { deadline: deadlineIn(400) });

    // Assess
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(result).toEqual({ published: 0, notPublished: 1, lost: events, uncertain: 1 });
    expect(requests()).toHaveLength(1);
    expect(lines().filter((line) => line.message === 'event not published')).toEqual([
      expect.objectContaining({ reason: 'PutEvents failed: DeadlineReached' }),
    ]);
  });

  it('a first attempt with the deadline reached still has half the response margin: a bus that answers takes the event', async () => {
    // Prepare: a delete that used its time up to the deadline; the bus answers in 50 ms.
    const { publisher, requests } = await publisherAt(async (request) => {
      await sleep(50);
      return everyEntryPut(request);
    });
    const events = manyEvents(1);

    // Act
    const result = await publisher.publish(events, { deadline: { remainingMs: () => 0 } });

    // Assess
    expect(result).toEqual({ published: 1, notPublished: 0, lost: [], uncertain: 0 });
    expect(requests()).toHaveLength(1);
  });

  it('a bus that does not answer a first attempt made at the deadline is given up within half the response margin', async () => {
    // Prepare
    const { publisher } = await publisherAt(() => new Promise<never>(() => {}));
    const events = manyEvents(1);
    const started = performance.now();

    // Act
    const result = await publisher.publish(events, { deadline: { remainingMs: () => 0 } });

    // Assess: given up before the margin (500 ms) the function keeps for its answer is used up.
    expect(performance.now() - started).toBeLessThan(RESPONSE_MARGIN_MS);
    expect(result).toEqual({ published: 0, notPublished: 1, lost: events, uncertain: 1 });
  });

  it('a publish done well before its deadline leaves no timer behind', async () => {
    // Prepare
    const { publisher } = await publisherAt(everyEntryPut);
    await publisher.publish(manyEvents(1));
    const timersBefore = activeTimers();

    // Act
    const result = await publisher.publish(manyEvents(12), { deadline: deadlineIn(60_000) });

    // Assess: two PutEvents calls, each with its deadline timer, both cleared (a timer of the
    // process's own may end meanwhile: at most as many as before).
    expect(result).toMatchObject({ published: 12, notPublished: 0 });
    expect(activeTimers()).toBeLessThanOrEqual(timersBefore);
  });

  it('an event whose detail does not match its schema is not sent and is counted', async () => {
    const { publisher, requests } = await publisherAt(everyEntryPut);
    const bad = {
      detailType: 'Image Deleted',
      detail: { provider: 'modelarts' },
    } as unknown as CatalogueEvent;

    const result = await publisher.publish([bad, imageDeleted()]);

    // Refused before sending: another try would be refused too, so it is not among the lost.
    expect(result).toEqual({ published: 1, notPublished: 1, lost: [], uncertain: 0 });
    expect(entriesOf(requests()[0] as RecordedRequest)).toHaveLength(1);
  });

  it('prepare() loads the SDK and its client and sends nothing; the publish after it sends once', async () => {
    // Prepare: no client handed in, so the publisher makes its own from the environment.
    server = await startFaultServer(everyEntryPut);
    for (const [name, value] of Object.entries(MOTO_AWS_ENV)) vi.stubEnv(name, value);
    vi.stubEnv('AWS_ENDPOINT_URL_EVENTBRIDGE', server.endpoint);
    const { log } = capturingLog();
    const publisher = createEventPublisher({ kind: 'eventbridge', busName: BUS }, { log });

    // Act
    publisher.prepare();
    publisher.prepare();
    await loadEventBridge();
    const sentBefore = server.requests.length;
    const result = await publisher.publish([imageDeleted('prepared')]);

    // Assess
    expect(sentBefore).toBe(0);
    expect(result).toEqual({ published: 1, notPublished: 0, lost: [], uncertain: 0 });
    expect(server.requests).toHaveLength(1);
  });

  it('nothing to publish sends nothing', async () => {
    const { publisher, requests } = await publisherAt(() => 'destroy');

    expect(await publisher.publish([])).toEqual({
      published: 0,
      notPublished: 0,
      lost: [],
      uncertain: 0,
    });
    expect(requests()).toHaveLength(0);
  });
});

describe('publishing to a JSON-lines file', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cif-events-'));
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('appends one EventBridge-shaped line per event; concurrent publishes never interleave', async () => {
    const file = join(dir, 'store', 'events.jsonl');
    const { log } = capturingLog();
    const publisher = createEventPublisher({ kind: 'local', file }, { log });

    const results = await Promise.all([
      publisher.publish(oneOfEach()),
      publisher.publish(manyEvents(20)),
    ]);

    expect(results).toEqual([
      { published: 5, notPublished: 0, lost: [], uncertain: 0 },
      { published: 20, notPublished: 0, lost: [], uncertain: 0 },
    ]);
    const lines = (await readFile(file, 'utf8'))
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(lines).toHaveLength(25);
    expect(lines[0]).toMatchObject({
      source: 'cloud-image-functions',
      'detail-type': 'Image Deleted',
      detail: oneOfEach()[0]?.detail,
    });
    expect(lines[0].id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('a file that cannot be written: nothing published, counted and logged, no throw', async () => {
    const blocker = join(dir, 'not-a-dir');
    await writeFile(blocker, 'x');
    const { log, lines } = capturingLog();

    const events = manyEvents(2);
    const result = await filePublisher({ file: join(blocker, 'events.jsonl'), log }).publish(
      events,
    );

    expect(result).toEqual({ published: 0, notPublished: 2, lost: events, uncertain: 0 });
    expect(lines().filter((line) => line.message === 'event not published')).toHaveLength(2);
  });

  it('a file under a folder that cannot hold folders (/proc) is not published, at once: no publish left pending', async () => {
    // Prepare: Node's recursive mkdir retries ENOENT there for ever, burning a CPU.
    const { log } = capturingLog();
    const events = manyEvents(1);
    const publisher = filePublisher({ file: '/proc/cloud-images-test/state/events.jsonl', log });

    // Act
    const result = await Promise.race([
      publisher.publish(events),
      sleep(3_000).then(() => 'still pending after 3 s'),
    ]);

    // Assess
    expect(result).toEqual({ published: 0, notPublished: 1, lost: events, uncertain: 0 });
  }, 10_000);
});

describe('events off', () => {
  it('publishes nothing, says so once in the log, and counts nothing lost', async () => {
    const { log, lines } = capturingLog();
    const publisher = createEventPublisher({ kind: 'off', why: 'no bus' }, { log });

    const results = [
      await publisher.publish(manyEvents(2)),
      await publisher.publish(manyEvents(1)),
    ];

    expect(results).toEqual([
      { published: 0, notPublished: 0, lost: [], uncertain: 0 },
      { published: 0, notPublished: 0, lost: [], uncertain: 0 },
    ]);
    expect(lines().map((line) => line.message)).toEqual(['events are off: no bus']);
  });
});
