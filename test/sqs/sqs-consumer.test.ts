// The SQS delete consumer, in-process, against the provider emulator over real HTTP: what each kind
// of record becomes in the partial batch response, and the log line that says why.

import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { describe, expect, it, vi } from 'vitest';
import { SEEDED } from '../../emulator/demo.js';
import { handler } from '../../functions/sqs/delete-image.js';
import { deleteBatch } from '../../lib/triggers/sqs.js';
import { lambdaContext } from '../../scripts/lambda-events.js';
import { sqsRecord } from '../support/events.js';
import { useFixture } from '../support/fixture.js';

const fixture = useFixture({
  env: { UPSTREAM_RETRY_BASE_MS: '5', UPSTREAM_THROTTLE_BASE_MS: '5' },
});

const consume = (event: SQSEvent, context: Context = lambdaContext(30_000)) =>
  (handler as (e: SQSEvent, c: Context) => Promise<SQSBatchResponse>)(event, context);

const body = (input: Record<string, unknown>) => JSON.stringify(input);
const failedIds = (response: SQSBatchResponse) =>
  response.batchItemFailures.map((failure) => failure.itemIdentifier).sort();
const lineFor = (messageId: string) =>
  fixture.log.lines.filter(
    (line) => line.messageId === messageId && line.message !== 'batch completed',
  );

describe('SQS delete consumer', () => {
  it('reports exactly the records that did not succeed, each with a log line saying why', async () => {
    const event: SQSEvent = {
      Records: [
        sqsRecord('deleted', body({ provider: 'modelarts', imageId: SEEDED.modelarts.custom })),
        sqsRecord('absent', body({ provider: 'bcc', imageId: 'm-gone' })),
        sqsRecord('dry', body({ provider: 'bcc', imageId: SEEDED.bcc.custom, dryRun: true })),
        sqsRecord('not-json', '{"provider": "modelarts",'),
        sqsRecord(
          'bad-shape',
          body({ provider: 'modelarts', imageId: SEEDED.modelarts.custom, x: 1 }),
        ),
        sqsRecord('protected', body({ provider: 'modelarts', imageId: SEEDED.modelarts.builtIn })),
        sqsRecord('busy', body({ provider: 'bcc', imageId: SEEDED.bcc.creating }), 3),
      ],
    };

    const response = await consume(event);

    expect(failedIds(response)).toEqual(['bad-shape', 'busy', 'not-json', 'protected']);
    expect(fixture.emulator.state.deleteCount('modelarts', SEEDED.modelarts.custom)).toBe(1);
    expect(fixture.emulator.state.bcc.has(SEEDED.bcc.custom)).toBe(true);

    expect(lineFor('deleted')).toEqual([
      expect.objectContaining({ level: 'info', message: 'message processed', outcome: 'deleted' }),
    ]);
    expect(lineFor('absent')).toEqual([
      expect.objectContaining({ level: 'info', outcome: 'already-absent' }),
    ]);
    expect(lineFor('dry')).toEqual([expect.objectContaining({ outcome: 'dry-run' })]);
    expect(lineFor('not-json')).toEqual([
      expect.objectContaining({
        level: 'error',
        outcome: 'failed',
        error: 'InvalidRequest',
        errorMessage: 'body: is not valid JSON',
      }),
    ]);
    expect(String(lineFor('not-json')[0]?.message)).toMatch(/dead-letter queue/);
    expect(lineFor('bad-shape')[0]).toMatchObject({ error: 'InvalidRequest' });
    expect(String(lineFor('bad-shape')[0]?.errorMessage)).toMatch(/unknown field/);
    expect(lineFor('protected')).toEqual([
      expect.objectContaining({ level: 'error', error: 'ImageProtected', outcome: 'failed' }),
    ]);
    expect(lineFor('busy')[0]).toMatchObject({ error: 'ImageBusy', receiveCount: 3 });
    expect(fixture.log.lines.at(-1)).toMatchObject({
      message: 'batch completed',
      trigger: 'sqs',
      records: 7,
      failed: 4,
      outcomes: { deleted: 1, 'already-absent': 1, 'dry-run': 1, failed: 4 },
    });
  });

  it("refuses a body with a value out of bounds or of the wrong type in words, not zod's", async () => {
    const decision = {
      provider: 'bcc',
      imageId: SEEDED.bcc.custom,
      region: 'bj',
      planId: `plan-${'0'.repeat(24)}`,
      runId: `run-${'0'.repeat(20)}`,
      imageKey: '',
      expected: { status: 'available', name: 'n'.repeat(1025) },
    };
    const response = await consume({
      Records: [
        sqsRecord('decision', body(decision)),
        sqsRecord('request', body({ provider: 'bcc', imageId: SEEDED.bcc.custom, dryRun: 'true' })),
      ],
    });

    expect(failedIds(response)).toEqual(['decision', 'request']);
    expect(lineFor('decision')[0]?.errorMessage).toBe(
      'imageKey: must not be empty; expected.name: must be at most 1024 characters',
    );
    expect(lineFor('request')[0]?.errorMessage).toBe('dryRun: must be true or false');
    expect(fixture.emulator.requests).toEqual([]);
  });

  it('retries transient faults in the Lambda (3 attempts) before reporting anything', async () => {
    fixture.emulator.faults.inject({ times: 2, action: { kind: 'status', status: 429 } });

    const response = await consume({
      Records: [sqsRecord('m1', body({ provider: 'bcc', imageId: SEEDED.bcc.custom }))],
    });

    expect(response.batchItemFailures).toEqual([]);
    expect(fixture.emulator.state.deleteCount('bcc', SEEDED.bcc.custom)).toBe(1);
  });

  it('reports a transient failure that outlasts the attempts, as a warning: the queue redelivers it', async () => {
    fixture.emulator.faults.inject({ times: 3, action: { kind: 'status', status: 503 } });

    const response = await consume({
      Records: [sqsRecord('m1', body({ provider: 'modelarts', imageId: SEEDED.modelarts.custom }))],
    });

    expect(failedIds(response)).toEqual(['m1']);
    expect(lineFor('m1')).toEqual([
      expect.objectContaining({
        level: 'warn',
        error: 'UpstreamUnavailable',
        upstreamCalls: 1,
        upstreamRetries: 2,
      }),
    ]);
  });

  it('handles two messages for the same image one after the other: one deletes, one finds it gone', async () => {
    const same = body({ provider: 'modelarts', imageId: SEEDED.modelarts.custom });

    const response = await consume({ Records: [sqsRecord('a', same), sqsRecord('b', same)] });

    expect(response.batchItemFailures).toEqual([]);
    expect(lineFor('a')[0]).toMatchObject({ outcome: 'deleted' });
    expect(lineFor('b')[0]).toMatchObject({ outcome: 'already-absent' });
    expect(fixture.emulator.state.deleteCount('modelarts', SEEDED.modelarts.custom)).toBe(1);
  });

  it('shares one deadline: records not started in time are reported failed, none is lost', async () => {
    // Prepare: one record at a time; the first answers at once, the second's request never does,
    // so the batch's one deadline ends it and leaves the rest no time to start.
    fixture.emulator.faults.inject({ times: 1, action: { kind: 'latency', ms: 0 } });
    fixture.emulator.faults.inject({ times: 1, action: { kind: 'stall' } });
    const ids = Array.from({ length: 8 }, (_, index) => `m${index}`);
    const records = ids.map((id) => sqsRecord(id, body({ provider: 'bcc', imageId: `m-x${id}` })));

    // Act
    const response = await deleteBatch(records, lambdaContext(3_000), { concurrency: 1 });

    // Assess: the first done, every other record reported failed (none lost), and those that
    // never started say why, without a request upstream.
    expect(failedIds(response)).toEqual(ids.slice(1));
    expect(lineFor('m0')[0]).toMatchObject({ outcome: 'already-absent' });
    const notStarted = fixture.log.lines.filter((line) => line.error === 'DeadlineReached');
    expect(notStarted.map((line) => line.messageId).sort()).toEqual(ids.slice(2));
    expect(fixture.emulator.requests, 'two requests: m0 and the stalled m1').toHaveLength(2);
  });

  it('runs at most `concurrency` records at once', async () => {
    // Prepare: no request is ever answered, so a record holds its lane until the batch's
    // deadline: with four lanes exactly four requests reach the cloud, with eight all eight.
    fixture.emulator.faults.inject({ times: 8, action: { kind: 'stall' } });
    const records = Array.from({ length: 8 }, (_, index) =>
      sqsRecord(`m${index}`, body({ provider: 'bcc', imageId: `m-absent${index}` })),
    );

    // Act
    const response = await deleteBatch(records, lambdaContext(2_500), { concurrency: 4 });

    // Assess: what was sent, not how long anything took; every record is reported.
    expect(fixture.emulator.requests, 'requests in flight at once').toHaveLength(4);
    expect(failedIds(response)).toHaveLength(8);
  });

  it('an image that comes into use while its batch goes on is refused, not deleted on an older usage scan', async () => {
    // Prepare: two custom images, one record at a time; the first delete's reply is held back
    // until an instance has started on the second image.
    const second = 'm-custom02';
    fixture.emulator.state.bcc.set({
      ...fixture.emulator.state.bcc.get(SEEDED.bcc.custom),
      id: second,
      name: 'second-custom',
    });
    fixture.emulator.faults.inject({
      match: { provider: 'bcc', operation: 'delete', imageId: SEEDED.bcc.custom },
      times: 1,
      action: { kind: 'latency', ms: 300 },
    });
    const records = [SEEDED.bcc.custom, second].map((imageId) =>
      sqsRecord(imageId, body({ provider: 'bcc', imageId })),
    );

    // Act
    const batch = deleteBatch(records, lambdaContext(30_000), { concurrency: 1 });
    await vi.waitFor(() =>
      expect(fixture.emulator.requests.some((request) => request.operation === 'delete')).toBe(
        true,
      ),
    );
    fixture.emulator.state.referenceImage('bcc', second, {
      id: 'i-started-mid-batch',
      name: 'mid-batch',
      status: 'Running',
    });
    const response = await batch;

    // Assess
    expect(fixture.emulator.state.bcc.has(SEEDED.bcc.custom)).toBe(false);
    expect(fixture.emulator.state.bcc.has(second), 'the image in use is kept').toBe(true);
    expect(failedIds(response)).toEqual([second]);
    expect(lineFor(second)).toEqual([expect.objectContaining({ error: 'ImageBusy' })]);
    expect(String(lineFor(second)[0]?.errorMessage)).toContain('i-started-mid-batch');
    const scans = fixture.emulator.requests.filter(
      (request) => request.operation === 'list-instances',
    );
    expect(scans, 'one usage scan per delete that looked at a different time').toHaveLength(2);
  });

  it.each([
    ['null', null],
    ['no Records', {}],
    ['an array', []],
    ['Records not a list', { Records: {} }],
    ['a record that is null', { Records: [null] }],
    ['a record without a messageId', { Records: [{ body: '{}' }] }],
  ])(
    'an event that is not an SQS event (%s) is InvalidRequest with one line, and nothing is sent',
    async (_, event) => {
      const error = await consume(event as unknown as SQSEvent).then(
        () => undefined,
        (thrown: unknown) => thrown as Error,
      );
      expect(error?.name).toBe('InvalidRequest');
      expect(fixture.log.lines).toEqual([
        expect.objectContaining({
          level: 'warn',
          message: 'batch refused: the event is not an SQS event',
          error: 'InvalidRequest',
        }),
      ]);
      expect(fixture.emulator.requests).toEqual([]);
    },
  );

  it('answers an empty batch with no failures', async () => {
    expect(await consume({ Records: [] })).toEqual({ batchItemFailures: [] });
  });

  /** The consumer as a new sandbox loads it, with `env` set. */
  const loadConsumer = (env: Record<string, string>) =>
    fixture.fresh(env, async () => {
      const loaded = (await import('../../functions/sqs/delete-image.js')).handler;
      return loaded as unknown as (e: SQSEvent, c: Context) => Promise<SQSBatchResponse>;
    });

  it('works on SQS_RECORD_CONCURRENCY records of a batch at once', async () => {
    // Prepare: no request is ever answered, so each record holds its lane to the deadline.
    const consumeWithTwo = await loadConsumer({ SQS_RECORD_CONCURRENCY: ' 2 ' });
    fixture.emulator.faults.inject({ times: 8, action: { kind: 'stall' } });
    const records = Array.from({ length: 8 }, (_, index) =>
      sqsRecord(`m${index}`, body({ provider: 'bcc', imageId: `m-absent${index}` })),
    );

    // Act
    const response = await consumeWithTwo({ Records: records }, lambdaContext(2_500));

    // Assess
    expect(fixture.emulator.requests, 'requests in flight at once').toHaveLength(2);
    expect(failedIds(response)).toHaveLength(8);
  });

  it.each([['lots'], ['0'], ['11'], ['0x4']])(
    'a malformed SQS_RECORD_CONCURRENCY (%s) fails every record, saying so; nothing is sent',
    async (value) => {
      // Prepare
      const consumeMisconfigured = await loadConsumer({ SQS_RECORD_CONCURRENCY: value });
      const records = [SEEDED.bcc.custom, SEEDED.modelarts.custom].map((imageId, index) =>
        sqsRecord(`m${index}`, body({ provider: index === 0 ? 'bcc' : 'modelarts', imageId })),
      );

      // Act
      const response = await consumeMisconfigured({ Records: records }, lambdaContext(30_000));

      // Assess: before, the value was dropped for the default of 4 and both images were deleted,
      // with no line naming it.
      expect(failedIds(response)).toEqual(['m0', 'm1']);
      const refusal =
        'invalid configuration: SQS_RECORD_CONCURRENCY: must be a whole number from 1 to 10, in digits';
      expect(fixture.log.linesWhere({ source: 'configuration' })).toEqual([
        expect.objectContaining({
          level: 'error',
          message: 'configuration invalid: requests that read what is wrong fail until it is fixed',
          problems: [refusal],
        }),
      ]);
      expect(
        fixture.log.linesWhere({ message: 'batch not processed: the invocation could not start' }),
      ).toEqual([
        expect.objectContaining({ error: 'ConfigurationError', errorMessage: refusal, records: 2 }),
      ]);
      expect(fixture.emulator.requests).toEqual([]);
    },
  );
});
