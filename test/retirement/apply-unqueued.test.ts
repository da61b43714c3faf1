// apply and a decision whose send seemed to fail: on the local stores, with the delete queue played
// by a stand-in (an SQS send whose reply is lost after the message went in cannot be staged
// against moto), which hands the message to a consumer while reporting it unsent.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyPlan } from '../../lib/retirement/apply-plan.js';
import { planRetirement } from '../../lib/retirement/planner.js';
import type { RunMessage } from '../../lib/retirement/ports.js';
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

describe('a decision whose send seemed to fail', () => {
  it('is left to the consumer that has it: apply records no `failed` over its delete under way', async () => {
    // Prepare: a plan of one retire decision; a queue whose reply is lost after the message went
    // in, and a consumer that claimed it and noted its delete before apply looks.
    const plans = localPlanStore({ dir });
    const runs = localRunStore({ dir });
    const plan = planRetirement({
      policy: policyOf(),
      inventory: [modelartsImage()],
      usage: new Map(),
      protection: () => undefined,
      now: NOW,
    });
    await plans.put(plan);
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
