// apply(planId) → a run: one delete per retire decision, through the delete queue (so the deletes
// run on Lambda's own scaling and the clouds' pacing), each decision ending in exactly one
// outcome. A decision whose message cannot be sent is recorded `failed` at once, so a run never
// waits for an outcome that cannot come.

import { randomBytes } from 'node:crypto';
import { InvalidRequest, PlanNotFound } from '../errors/errors.js';
import { imageKey } from './planner.js';
import type { DeleteQueue, NewRun, PlanStore, RunMessage, RunStore } from './ports.js';

export interface ApplyDeps {
  plans: PlanStore;
  runs: RunStore;
  queue: DeleteQueue;
  now?: () => Date;
}

export interface ApplyResult {
  runId: string;
  planId: string;
  total: number;
  /** True when the run completed at once (nothing to retire, or nothing could be sent). */
  completed: boolean;
  /** Decisions whose delete could not be queued (recorded `failed`). */
  unsent: RunMessage[];
}

export const newRunId = (): string => `run-${randomBytes(10).toString('hex')}`;

export const applyPlan = async (
  planId: string,
  deps: ApplyDeps,
  options: { createdBy?: string | undefined; runId?: string } = {},
): Promise<ApplyResult> => {
  const now = deps.now ?? (() => new Date());
  const plan = await deps.plans.get(planId);
  if (plan === undefined) throw new PlanNotFound(`no plan ${planId} is stored`);
  if (!plan.complete) {
    throw new InvalidRequest(
      `planId: plan ${planId} is incomplete (${plan.incomplete ?? 'not every image was seen'}) and cannot be applied; make a new plan`,
      { field: 'planId' },
    );
  }
  const retire = plan.decisions.filter((decision) => decision.decision === 'retire');
  const runId = options.runId ?? newRunId();
  const run: NewRun = {
    runId,
    planId,
    provider: plan.policy.provider,
    policyName: plan.policy.name,
    createdAt: now().toISOString(),
    ...(options.createdBy === undefined ? {} : { createdBy: options.createdBy }),
    total: retire.length,
  };
  await deps.runs.create(run);
  const messages: RunMessage[] = retire.map(({ image }) => ({
    provider: image.provider,
    imageId: image.id,
    region: image.region,
    ...(plan.policy.force === true ? { force: true } : {}),
    planId,
    runId,
    imageKey: imageKey(image),
    expected: { status: image.status, name: image.name, updatedAt: image.updatedAt },
    ...(options.createdBy === undefined ? {} : { identity: options.createdBy }),
  }));
  const unsent = await deps.queue.send(messages);
  for (const message of unsent) {
    const at = now().toISOString();
    await deps.runs.claim(runId, message.imageKey, at);
    await deps.runs.finish(runId, message.imageKey, {
      outcome: 'failed',
      error: 'StoreUnavailable',
      reason: 'the delete could not be queued',
      at,
    });
  }
  // Nothing to retire (or nothing could be sent): the run completes now.
  const completed = await deps.runs.complete(runId, now().toISOString());
  return { runId, planId, total: retire.length, completed, unsent };
};
