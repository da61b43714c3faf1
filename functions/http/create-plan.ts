// POST /retirements/plans (body: a policy) → 201 the plan, with its Location (gzipped when large
// and the caller accepts it).
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { MAX_POLICY_TEXT_LENGTH, parsePolicy } from '../../lib/retirement/policy.js';
import { planReported } from '../../lib/runtime/reported-retirement.js';
import {
  callerOf,
  compressedFor,
  HTTP_TRIGGER,
  type HttpEvent,
  type HttpResult,
  jsonBodyOf,
  jsonResponse,
  refuseQuery,
} from '../../lib/triggers/http.js';
import { invocationOf, pipeline } from '../../lib/triggers/pipeline.js';

export const handler = middy<HttpEvent, HttpResult, Error, Context>()
  .use(pipeline(HTTP_TRIGGER, 'plan'))
  .handler(async (event, context) => {
    refuseQuery(event);
    const policy = parsePolicy(jsonBodyOf(event, MAX_POLICY_TEXT_LENGTH));
    const plan = await planReported(policy, invocationOf(context), 'http', {
      createdBy: callerOf(event),
    });
    return compressedFor(
      event,
      jsonResponse(201, plan, { location: `/retirements/plans/${plan.planId}` }),
      `plan ${plan.planId} is stored`,
    );
  });
