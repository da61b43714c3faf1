// POST /retirements/plans/{planId}/apply → 202 {runId, planId, total}: one queued delete per
// retire decision; GET /retirements/runs/{runId} follows the run.
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import type { ApplyAccepted } from '../../lib/retirement/ports.js';
import { applyReported } from '../../lib/runtime/reported-retirement.js';
import {
  callerOf,
  HTTP_TRIGGER,
  type HttpEvent,
  type HttpResult,
  jsonResponse,
  refuseQueryAndBody,
} from '../../lib/triggers/http.js';
import { invocationOf, pipeline } from '../../lib/triggers/pipeline.js';
import { parseInput, planRefSchema } from '../../lib/validation/inputs.js';

export const handler = middy<HttpEvent, HttpResult, Error, Context>()
  .use(pipeline(HTTP_TRIGGER, 'apply'))
  .handler(async (event, context) => {
    refuseQueryAndBody(event);
    const { planId } = parseInput(planRefSchema, { planId: event.pathParameters?.planId });
    const { runId, total, completed } = await applyReported(
      planId,
      invocationOf(context),
      callerOf(event),
    );
    const accepted: ApplyAccepted = {
      runId,
      planId,
      total,
      status: completed ? 'completed' : 'running',
    };
    return jsonResponse(202, accepted, { location: `/retirements/runs/${runId}` });
  });
