// Exactly once under concurrency, for both run stores: many concurrent finish() calls for one
// decision record one outcome; concurrent claims give one `claimed`; and a property over random
// runs where every decision is delivered several times at once, each delivery claiming then
// finishing with its own outcome: the counts equal the final outcomes, every decision has exactly
// one, each is the outcome of the one call told `recorded`, and exactly one call completes the run.

import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  countsTotal,
  type FinishResult,
  RUN_OUTCOMES,
  type RunOutcome,
} from '../../lib/retirement/ports.js';
import { skipWithoutMoto } from '../support/moto.js';
import {
  AT,
  aNewRun,
  imageKeyOf,
  type RunStoreHarness,
  startDynamoHarness,
  startLocalHarness,
} from './run-store-harness.js';

const concurrency = (start: () => Promise<RunStoreHarness>, propertyRuns: number) => {
  let harness: RunStoreHarness;

  beforeAll(async () => {
    harness = await start();
  });

  afterAll(async () => {
    await harness?.close();
  });

  it('40 concurrent finish() calls for one decision: one recorded, 39 already-final, counted once', async () => {
    const store = harness.store();
    const run = aNewRun(1);
    await store.create(run);

    const results = await Promise.all(
      Array.from({ length: 40 }, (_, index) =>
        store.finish(run.runId, imageKeyOf(1), {
          outcome: RUN_OUTCOMES[index % RUN_OUTCOMES.length] as RunOutcome,
          at: AT,
        }),
      ),
    );

    const recorded = results.filter((result) => result.kind === 'recorded');
    expect(recorded).toHaveLength(1);
    const winner = RUN_OUTCOMES[results.indexOf(recorded[0] as FinishResult) % 4];
    for (const result of results) {
      if (result.kind === 'already-final') expect(result.existing.outcome).toBe(winner);
    }
    expect(results.filter((result) => result.completed)).toHaveLength(1);
    const document = await store.read(run.runId);
    expect(
      countsTotal(
        document?.run.counts ?? { deleted: 9, 'already-absent': 0, skipped: 0, failed: 0 },
      ),
    ).toBe(1);
    expect(document?.run.counts[winner as RunOutcome]).toBe(1);
    expect(document?.run.status).toBe('completed');
  });

  it('20 concurrent claims of one decision: one claimed, the others see that claim', async () => {
    const store = harness.store();
    const run = aNewRun(1);
    await store.create(run);

    const results = await Promise.all(
      Array.from({ length: 20 }, () => store.claim(run.runId, imageKeyOf(1), AT)),
    );

    expect(results.filter((result) => result.kind === 'claimed')).toHaveLength(1);
    for (const result of results) {
      if (result.kind === 'already-claimed') {
        expect(result.existing).toEqual({
          imageKey: imageKeyOf(1),
          state: 'claimed',
          claimedAt: AT,
        });
      }
    }
  });

  it('property: redelivered, concurrent deliveries leave one outcome per decision, counted once, completed once', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(fc.constantFrom(...RUN_OUTCOMES), { minLength: 1, maxLength: 3 }), {
          minLength: 0,
          maxLength: 6,
        }),
        fc.boolean(),
        async (deliveries, claimFirst) => {
          const store = harness.store();
          const run = aNewRun(deliveries.length);
          await store.create(run);

          // Every delivery of every decision at once; each claims (or not) then finishes.
          const calls = deliveries.flatMap((outcomes, decision) =>
            outcomes.map(async (outcome) => {
              const key = imageKeyOf(decision);
              if (claimFirst) await store.claim(run.runId, key, AT);
              return {
                key,
                outcome,
                result: await store.finish(run.runId, key, { outcome, at: AT }),
              };
            }),
          );
          const finished = await Promise.all(calls);
          const completedByZero =
            deliveries.length === 0 ? await store.complete(run.runId, AT) : false;

          const document = await store.read(run.runId);
          if (document === undefined) throw new Error('the run vanished');
          const finals = document.outcomes.filter((outcome) => outcome.state === 'final');
          expect(finals).toHaveLength(deliveries.length);
          expect(countsTotal(document.run.counts)).toBe(finals.length);
          for (const outcome of RUN_OUTCOMES) {
            expect(document.run.counts[outcome]).toBe(
              finals.filter((final) => final.outcome === outcome).length,
            );
          }
          for (let decision = 0; decision < deliveries.length; decision += 1) {
            const key = imageKeyOf(decision);
            const mine = finished.filter((call) => call.key === key);
            const recorded = mine.filter((call) => call.result.kind === 'recorded');
            expect(recorded).toHaveLength(1);
            expect(finals.find((final) => final.imageKey === key)?.outcome).toBe(
              recorded[0]?.outcome,
            );
          }
          const completions =
            finished.filter((call) => call.result.completed).length + (completedByZero ? 1 : 0);
          expect(completions).toBe(1);
          expect(document.run.status).toBe('completed');
        },
      ),
      { numRuns: propertyRuns },
    );
  });
};

describe.skipIf(skipWithoutMoto('run store concurrency on DynamoDB'))(
  'exactly once on DynamoDB (moto)',
  () => {
    concurrency(startDynamoHarness, 15);
  },
);

describe('exactly once in a local directory', () => {
  concurrency(startLocalHarness, 200);
});
