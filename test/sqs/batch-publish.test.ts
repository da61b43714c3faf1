// A queue batch's events go out together at its end, within the batch's deadline: the consumer
// keeps time back for that publish, so a record that runs as long as it is let does not leave the
// publish without time. Through the real consumer against the emulator, with moto's EventBridge
// (a bus whose events a rule sends to a queue, read back: support/bus-capture).

import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SEEDED } from '../../emulator/demo.js';
import { lambdaContext } from '../../scripts/lambda-events.js';
import { type BusCapture, captureBus } from '../support/bus-capture.js';
import { sqsEvent, sqsRecord } from '../support/events.js';
import { useFixture } from '../support/fixture.js';
import { MOTO_AWS_ENV, skipWithoutMoto } from '../support/moto.js';

const BUS = 'cloud-image-functions-batch';

type Consumer = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

describe.skipIf(skipWithoutMoto('batch publish'))("a queue batch's held events (moto)", () => {
  const fixture = useFixture({ env: { UPSTREAM_RETRY_BASE_MS: '5' }, moto: true });
  let bus: BusCapture | undefined;

  beforeAll(async () => {
    bus = await captureBus(fixture.moto.endpoint, BUS);
  });

  afterAll(() => {
    bus?.close();
  });

  /** The consumer as a sandbox of the stack loads it: its events go to the bus. */
  const loadConsumer = (): Promise<Consumer> =>
    fixture.fresh(
      { ...MOTO_AWS_ENV, EVENT_BUS_NAME: BUS, AWS_ENDPOINT_URL_EVENTBRIDGE: fixture.moto.endpoint },
      async () =>
        (await import('../../functions/sqs/delete-image.js')).handler as unknown as Consumer,
    );

  /** A custom BCC image of its own, and the plain request that deletes it. */
  const requestToDelete = (imageId: string) => {
    fixture.emulator.state.bcc.set({
      ...fixture.emulator.state.bcc.get(SEEDED.bcc.custom),
      id: imageId,
      name: imageId,
    });
    return sqsRecord(imageId, JSON.stringify({ provider: 'bcc', imageId, region: 'bj' }));
  };

  it('a record that runs to the deadline still leaves its batch the time to publish the other\u2019s event', async () => {
    // Prepare: two requests worked on at once; the look at one of them is slowed past the
    // function's whole time, so the batch would run to its deadline. (One event to publish: moto
    // takes about 0.4 s for each, delivering it to the rule's queue.)
    const consume = await loadConsumer();
    const records = ['m-heldquick', 'm-heldslow'].map(requestToDelete);
    fixture.emulator.faults.inject({
      match: { provider: 'bcc', operation: 'show', imageId: 'm-heldslow' },
      action: { kind: 'latency', ms: 60_000 },
      // Every attempt (a fault answers once by default, and a retry after the attempt's timeout
      // would then find the image at once).
      times: 100,
    });
    const budgetMs = 4_000;

    // Act
    const started = performance.now();
    const response = await consume(sqsEvent(records), lambdaContext(budgetMs));
    const tookMs = performance.now() - started;

    // Assess: answered in time; the slowed record comes back; the other's event is on the bus,
    // and no line says an event was not published.
    expect(tookMs).toBeLessThan(budgetMs);
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'm-heldslow' }]);
    const events = await bus?.received(1);
    expect(events?.map((event) => event.detail)).toEqual([
      expect.objectContaining({ requestId: 'm-heldquick', outcome: 'deleted' }),
    ]);
    expect(fixture.log.linesWhere({ message: 'events not published' })).toEqual([]);
  });
});
