// EventBridge Scheduler target: {policy, identity} → plans the policy (stored, `Retirement
// Planned` on the bus) and, when the policy says `"apply": "auto"`, applies it within its limits.
// Failures are thrown with the error's name (the schedule's retry policy and dead-letter queue see
// it), an incomplete plan as UpstreamTimeout; a firing delivered or retried again whose run had started
// does not plan or apply again (lib/runtime/reported-retirement.ts, scheduledReported).
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { parsePolicy, policySchema } from '../../lib/retirement/policy.js';
import { type ScheduledResult, scheduledReported } from '../../lib/runtime/reported-retirement.js';
import * as z from '../../lib/schema/zod.js';
import { invocationOf, pipeline } from '../../lib/triggers/pipeline.js';
import { SCHEDULE_TRIGGER } from '../../lib/triggers/task.js';
import { parseInput } from '../../lib/validation/inputs.js';

const scheduledSchema = z.strictObject({
  // Checked here, within the input, so that a refusal names the field as the input has it
  // (`policy.limits`); parsePolicy then puts its lists in order.
  policy: policySchema,
  identity: z.optional(z.string().check(z.maxLength(256))),
  /** The firing's scheduled time, which Scheduler writes into the input (one key per firing). */
  scheduledTime: z.optional(z.string().check(z.minLength(1), z.maxLength(64))),
});

export type { ScheduledResult };

export const handler = middy<unknown, ScheduledResult, Error, Context>()
  .use(pipeline(SCHEDULE_TRIGGER, 'plan'))
  .handler(async (event, context) => {
    const scheduled = parseInput(scheduledSchema, event);
    const policy = parsePolicy(scheduled.policy);
    const identity = scheduled.identity ?? `schedule:${policy.name}`;
    // One firing, however often it arrives: its scheduled time (a duplicate delivery has the same
    // input), else the request ID Lambda keeps across its retries.
    const firing =
      scheduled.scheduledTime === undefined
        ? context.awsRequestId
        : `${policy.name}@${scheduled.scheduledTime}`;
    return scheduledReported(policy, invocationOf(context), identity, firing);
  });
