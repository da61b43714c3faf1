// Properties of the partial batch response, for any batch: every record is settled exactly once;
// succeeded ∪ batchItemFailures = all messageIds, disjoint; every failure id is one of the batch's;
// the handler never throws. First for the record pool with arbitrary worker behaviour (resolve,
// reject, throw synchronously, throw non-Errors), then for the real SQS delete handler with
// arbitrary bodies against the emulator with random upstream faults.

import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SEEDED } from '../../emulator/demo.js';
import { handler } from '../../functions/sqs/delete-image.js';
import { batchResponse, processRecords } from '../../lib/triggers/record-pool.js';
import { lambdaContext } from '../../scripts/lambda-events.js';
import { sqsRecord } from '../support/events.js';
import { useFixture } from '../support/fixture.js';

const checkPartition = (
  ids: readonly string[],
  response: SQSBatchResponse,
  succeeded: string[],
) => {
  const failures = response.batchItemFailures.map((failure) => failure.itemIdentifier);
  const all = new Set(ids);
  // Every failure id is a real one, reported once.
  for (const id of failures) expect(all.has(id)).toBe(true);
  expect(new Set(failures).size).toBe(failures.length);
  // Disjoint, and together they are the whole batch.
  const failed = new Set(failures);
  for (const id of succeeded) expect(failed.has(id)).toBe(false);
  expect(new Set([...succeeded, ...failures])).toEqual(all);
};

type Behaviour = 'resolve' | 'reject' | 'throw-sync' | 'throw-string' | 'reject-undefined';

describe('processRecords + batchResponse (any worker)', () => {
  it('settles every record once and partitions the batch; bounded concurrency; same key never overlaps', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.string({ minLength: 1, maxLength: 12 }), { minLength: 0, maxLength: 25 }),
        fc.infiniteStream(
          fc.record({
            behaviour: fc.constantFrom<Behaviour>(
              'resolve',
              'reject',
              'throw-sync',
              'throw-string',
              'reject-undefined',
            ),
            delayMs: fc.integer({ min: 0, max: 3 }),
            key: fc.option(fc.constantFrom('a', 'b', 'c'), { nil: undefined }),
          }),
        ),
        fc.integer({ min: 1, max: 10 }),
        async (ids, plans, concurrency) => {
          const plan = new Map(ids.map((id) => [id, plans.next().value]));
          const records = ids.map((id) => sqsRecord(id, `body-${id}`));
          let inFlight = 0;
          let maxInFlight = 0;
          const keyBusy = new Set<string>();
          const started: string[] = [];

          const results = await processRecords(
            records,
            (record) => {
              const step = plan.get(record.messageId);
              if (step === undefined) throw new Error('unknown record');
              if (step.behaviour === 'throw-sync') throw new Error('sync');
              return (async () => {
                if (step.key !== undefined) {
                  expect(keyBusy.has(step.key)).toBe(false);
                  keyBusy.add(step.key);
                }
                started.push(record.messageId);
                inFlight += 1;
                maxInFlight = Math.max(maxInFlight, inFlight);
                await new Promise((resolve) => setTimeout(resolve, step.delayMs));
                inFlight -= 1;
                if (step.key !== undefined) keyBusy.delete(step.key);
                if (step.behaviour === 'reject') throw new Error('no');
                if (step.behaviour === 'throw-string') throw 'a string';
                if (step.behaviour === 'reject-undefined') return Promise.reject(undefined);
                return 'ok';
              })();
            },
            { concurrency, keyOf: (record) => plan.get(record.messageId)?.key },
          );

          expect(results.map((result) => result.messageId)).toEqual(ids);
          expect(maxInFlight).toBeLessThanOrEqual(concurrency);
          // Records with the same key run in batch order.
          for (const key of ['a', 'b', 'c']) {
            const inBatch = ids.filter((id) => plan.get(id)?.key === key);
            const inStart = started.filter((id) => plan.get(id)?.key === key);
            expect(inStart).toEqual(inBatch.filter((id) => inStart.includes(id)));
          }
          const response = batchResponse(results);
          const succeeded = results.filter((result) => result.ok).map((r) => r.messageId);
          checkPartition(ids, response, succeeded);
          for (const id of ids) {
            const ok = plan.get(id)?.behaviour === 'resolve';
            expect(succeeded.includes(id)).toBe(ok);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('never rejects when keyOf throws', async () => {
    const records = [sqsRecord('1', 'x'), sqsRecord('2', 'y')];
    const results = await processRecords(records, async () => 'ok', {
      concurrency: 2,
      keyOf: () => {
        throw new Error('bad key');
      },
    });
    expect(batchResponse(results)).toEqual({ batchItemFailures: [] });
  });
});

describe('the SQS delete handler (any batch, real upstream calls)', () => {
  const fixture = useFixture({
    env: { UPSTREAM_RETRY_BASE_MS: '1', UPSTREAM_THROTTLE_BASE_MS: '1' },
    logs: 'count',
  });

  const validBody = fc
    .record({
      provider: fc.constantFrom('modelarts', 'bcc'),
      pick: fc.constantFrom('custom', 'creating', 'system', 'missing'),
      dryRun: fc.option(fc.boolean(), { nil: undefined }),
    })
    .map(({ provider, pick, dryRun }) => {
      const ids =
        provider === 'modelarts'
          ? {
              custom: SEEDED.modelarts.custom,
              creating: SEEDED.modelarts.creating,
              system: SEEDED.modelarts.builtIn,
              missing: '00000000-0000-4000-8000-0000000000aa',
            }
          : {
              custom: SEEDED.bcc.custom,
              creating: SEEDED.bcc.creating,
              system: SEEDED.bcc.system,
              missing: 'm-missing',
            };
      return JSON.stringify({
        provider,
        imageId: ids[pick],
        ...(dryRun === undefined ? {} : { dryRun }),
      });
    });
  const anyBody = fc.oneof(
    validBody,
    fc.string(),
    fc.json(),
    fc.constant('{"provider":"modelarts","imageId":"x","extra":1}'),
  );

  it('reports failures only for ids of the batch, each once, and never throws', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.uuid(), { minLength: 0, maxLength: 10 }),
        fc.array(anyBody, { minLength: 10, maxLength: 10 }),
        fc.option(fc.integer({ min: 1, max: 1000 }), { nil: undefined }),
        async (ids, bodies, faultSeed) => {
          fixture.emulator.reset();
          if (faultSeed !== undefined) {
            fixture.emulator.faults.inject({
              probability: 0.3,
              seed: faultSeed,
              action: { kind: 'status', status: faultSeed % 2 === 0 ? 503 : 429 },
            });
          }
          const event: SQSEvent = {
            Records: ids.map((id, index) => sqsRecord(id, bodies[index] ?? '')),
          };
          const response = (await (
            handler as (e: SQSEvent, c: Context) => Promise<SQSBatchResponse>
          )(event, lambdaContext(5_000))) as SQSBatchResponse;
          const failed = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
          const succeeded = ids.filter((id) => !failed.has(id));
          checkPartition(ids, response, succeeded);
          // Whatever succeeded was a well-formed body (never a malformed one).
          for (const record of event.Records as SQSRecord[]) {
            if (failed.has(record.messageId)) continue;
            expect(() => JSON.parse(record.body)).not.toThrow();
          }
          // No image was deleted twice.
          for (const [provider, id] of [
            ['modelarts', SEEDED.modelarts.custom],
            ['bcc', SEEDED.bcc.custom],
          ] as const) {
            expect(fixture.emulator.state.deleteCount(provider, id)).toBeLessThanOrEqual(1);
          }
        },
      ),
      { numRuns: 40 },
    );
  }, 60_000);
});
