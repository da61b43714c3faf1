// Who completes a run whose decisions apply queued: the decision whose outcome is recorded last,
// never apply, so that the run's completion event is that decision's to publish (and, if lost,
// its redelivery's). Staged on both run stores: the delete queue is a stand-in whose consumer
// records the decision's outcome and dies before completing the run, all before apply's own last
// step (in the stack a consumer can get there first: apply goes on after its send returns).

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyPlan } from '../../lib/retirement/apply-plan.js';
import { planRetirement } from '../../lib/retirement/planner.js';
import type { RunMessage } from '../../lib/retirement/ports.js';
import { localPlanStore } from '../../lib/stores/plan-store.js';
import {
  AT,
  type RunStoreHarness,
  startDynamoHarness,
  startLocalHarness,
} from '../stores/run-store-harness.js';
import { skipWithoutMoto } from '../support/moto.js';
import { modelartsImage, NOW, policyOf } from './fixtures.js';

const completion = (start: () => Promise<RunStoreHarness>) => {
  let harness: RunStoreHarness;
  let dir: string;

  beforeAll(async () => {
    harness = await start();
    dir = await mkdtemp(join(tmpdir(), 'cif-apply-completion-'));
  });

  afterAll(async () => {
    await harness?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('a run whose last outcome a consumer recorded before apply ended is completed by that decision, not by apply', async () => {
    // Prepare: a stored plan of one retire decision; a queue whose consumer records the
    // decision's outcome and dies before completing the run, before apply's send returns.
    const plans = localPlanStore({ dir });
    const runs = harness.store();
    const plan = planRetirement({
      policy: policyOf(),
      inventory: [modelartsImage()],
      usage: new Map(),
      protection: () => undefined,
      now: NOW,
    });
    await plans.put(plan);
    let delivered: RunMessage | undefined;
    const queue = {
      send: async (messages: readonly RunMessage[]): Promise<RunMessage[]> => {
        delivered = messages[0];
        if (delivered !== undefined) {
          await harness.recordWithoutCompleting(delivered.runId, delivered.imageKey, 'deleted');
        }
        return [];
      },
    };

    // Act: apply, then the message's redelivery (the consumer died) finishing as it does.
    const applied = await applyPlan(plan.planId, { plans, runs, queue });
    if (delivered === undefined) throw new Error('apply queued nothing');
    const redelivery = await runs.finish(applied.runId, delivered.imageKey, {
      outcome: 'deleted',
      at: AT,
    });

    // Assess: apply left the run to its decision; the redelivery completed it and owes its event.
    expect(applied.completed).toBe(false);
    expect(redelivery).toMatchObject({ kind: 'already-final', completed: true });
    expect(await runs.unpublished(applied.runId, delivered.imageKey)).toEqual({
      outcome: true,
      completion: true,
    });
  });
};

describe.skipIf(skipWithoutMoto('apply and run completion on DynamoDB'))(
  'apply and the completion of its run, on DynamoDB (moto)',
  () => {
    completion(startDynamoHarness);
  },
);

describe('apply and the completion of its run, in a local directory', () => {
  completion(startLocalHarness);
});
