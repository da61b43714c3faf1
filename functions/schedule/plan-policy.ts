// EventBridge Scheduler target: {policy, identity} → plans the policy (stored, `Retirement
// Planned` on the bus) and, when the policy says `"apply": "auto"` and the plan is complete,
// applies it within its limits. Failures are thrown with the error's name (the schedule's retry
// policy and dead-letter queue see it).
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { parsePolicy } from '../../lib/retirement/policy.js';
import { applyReported, planReported } from '../../lib/runtime/reported-retirement.js';
import * as z from '../../lib/schema/zod.js';
import { invocationOf, pipeline } from '../../lib/triggers/pipeline.js';
import { SCHEDULE_TRIGGER } from '../../lib/triggers/task.js';
import { parseInput } from '../../lib/validation/inputs.js';

const scheduledSchema = z.strictObject({
  policy: z.unknown(),
  identity: z.optional(z.string().check(z.maxLength(256))),
});

export interface ScheduledResult {
  planId: string;
  complete: boolean;
  retire: number;
  runId?: string;
}

export const handler = middy<unknown, ScheduledResult, Error, Context>()
  .use(pipeline(SCHEDULE_TRIGGER, 'plan'))
  .handler(async (event, context) => {
    const scheduled = parseInput(scheduledSchema, event);
    const policy = parsePolicy(scheduled.policy);
    const invocation = invocationOf(context);
    const identity = scheduled.identity ?? `schedule:${policy.name}`;
    const plan = await planReported(policy, invocation, 'schedule', { createdBy: identity });
    const result: ScheduledResult = {
      planId: plan.planId,
      complete: plan.complete,
      retire: plan.totals.retire,
    };
    if (policy.apply === 'auto' && plan.complete) {
      const applied = await applyReported(plan.planId, invocation, identity);
      result.runId = applied.runId;
    }
    return result;
  });
