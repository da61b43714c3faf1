// apply and a decision whose send seemed to fail, or that it refused to send: on the local stores,
// with the delete queue played by a stand-in (an SQS send whose reply is lost after the message
// went in cannot be staged against moto), which hands the message to a consumer while reporting
// it unsent; and a run store that fails once between apply's two writes.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyPlan } from '../../lib/retirement/apply-plan.js';
import type { Plan } from '../../lib/retirement/plan.js';
import { imageKey, planRetirement } from '../../lib/retirement/planner.js';
import type { RunMessage, RunStore } from '../../lib/retirement/ports.js';
import { localRunStore } from '../../lib/stores/local-run-store.js';
import { localPlanStore } from '../../lib/stores/plan-store.js';
import { modelartsImage, NOW, policyOf } from './fixtures.js';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cif-apply-unqueued-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A plan of one retire decision, stored. */
const storedPlanOfOne = async (plans: ReturnType<typeof localPlanStore>): Promise<Plan> => {
  const plan = planRetirement({
    policy: policyOf(),
    inventory: [modelartsImage()],
    usage: new Map(),
    protection: () => undefined,
    now: NOW,
  });
  await plans.put(plan);
  return plan;
};

describe('a decision whose send seemed to fail', () => {
  it('is left to the consumer that has it: apply records no `failed` over its delete under way', async () => {
    // Prepare: a plan of one retire decision; a queue whose reply is lost after the message went
    // in, and a consumer that claimed it and noted its delete before apply looks.
    const plans = localPlanStore({ dir });
    const runs = localRunStore({ dir });
    const plan = await storedPlanOfOne(plans);
    let delivered: RunMessage | undefined;
    const at = NOW.toISOString();

    // Act
    const applied = await applyPlan(plan.planId, {
      plans,
      runs,
      queue: {
        send: async (messages) => {
          delivered = messages[0];
          if (delivered !== undefined) {
            await runs.claim(delivered.runId, delivered.imageKey, at);
            await runs.markDeleteSent(delivered.runId, delivered.imageKey, at);
          }
          return [...messages];
        },
      },
    });
    if (delivered === undefined) throw new Error('apply queued nothing');
    const consumer = await runs.finish(applied.runId, delivered.imageKey, {
      outcome: 'deleted',
      at,
    });

    // Assess: the consumer's outcome is the decision's; apply reported nothing unqueued.
    expect(applied.unqueued).toEqual([]);
    expect(consumer.kind).toBe('recorded');
    expect((await runs.read(applied.runId))?.outcomes[0]).toMatchObject({ outcome: 'deleted' });
  });
});

describe('a decision apply could not queue, its run applied again', () => {
  it('is recorded by the second apply when the first stopped before recording it, a claim left on it', async () => {
    // Prepare: a decision the queue would refuse (so never sent); the run store fails once as the
    // first apply records it; a claim is left on the decision with no delete sent (a delivery
    // that stopped while looking, or an apply of an earlier version, which claimed first); the
    // same run (a retried schedule firing) is applied again.
    const plans = localPlanStore({ dir });
    const runs = localRunStore({ dir });
    const plan = await storedPlanOfOne(plans);
    let failOnce = true;
    const failingOnce: RunStore = {
      ...runs,
      finishManyUnlessDeleteSent: async (...args) => {
        if (failOnce) {
          failOnce = false;
          throw new Error('the run store failed');
        }
        return runs.finishManyUnlessDeleteSent(...args);
      },
    };
    const queue = { send: async (): Promise<RunMessage[]> => [] };
    const refusal = () => 'imageId: too long for the queue';
    const runId = 'run-0123456789abcdef0123';
    await expect(
      applyPlan(plan.planId, { plans, runs: failingOnce, queue, refusal }, { runId }),
    ).rejects.toThrow('the run store failed');
    const [decision] = plan.decisions;
    if (decision === undefined) throw new Error('the plan has no decision');
    await runs.claim(runId, imageKey(decision.image), NOW.toISOString());

    // Act
    const again = await applyPlan(plan.planId, { plans, runs, queue, refusal }, { runId });

    // Assess: its outcome recorded, the run completed.
    const view = await runs.read(again.runId);
    expect(view?.outcomes.map((outcome) => outcome.state)).toEqual(['final']);
    expect(view?.run.status).toBe('completed');
  });
});
