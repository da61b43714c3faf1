// GET /retirements/runs/{runId} → the run (counts, status) and every outcome so far, gzipped when
// large and the caller accepts it (a run's outcomes pass Lambda's 6 MB answer at about 13,000).
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { readRun } from '../../lib/retirement/read-run.js';
import { retirementServices } from '../../lib/runtime/retirement-services.js';
import {
  compressedFor,
  HTTP_TRIGGER,
  type HttpEvent,
  type HttpResult,
  jsonResponse,
  refuseQueryAndBody,
} from '../../lib/triggers/http.js';
import { invocationOf, pipeline } from '../../lib/triggers/pipeline.js';
import { parseInput, runRefSchema } from '../../lib/validation/inputs.js';

export const handler = middy<HttpEvent, HttpResult, Error, Context>()
  .use(pipeline(HTTP_TRIGGER, 'read-run'))
  .handler(async (event, context) => {
    refuseQueryAndBody(event);
    const { runId } = parseInput(runRefSchema, { runId: event.pathParameters?.runId });
    const document = await readRun(runId, retirementServices().runs);
    // Counted by the run's cloud, as plan and apply are (the route names none).
    invocationOf(context).context.provider = document.run.provider;
    return compressedFor(
      event,
      jsonResponse(200, document),
      `run ${runId} (${document.outcomes.length} outcomes)`,
    );
  });
