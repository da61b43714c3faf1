// GET /retirements/runs/{runId} → the run (counts, status) and every outcome so far.
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { readRun } from '../../lib/retirement/read-run.js';
import { retirementServices } from '../../lib/runtime/retirement-services.js';
import {
  HTTP_TRIGGER,
  type HttpEvent,
  type HttpResult,
  jsonResponse,
  refuseQueryAndBody,
} from '../../lib/triggers/http.js';
import { pipeline } from '../../lib/triggers/pipeline.js';
import { parseInput, runRefSchema } from '../../lib/validation/inputs.js';

export const handler = middy<HttpEvent, HttpResult, Error, Context>()
  .use(pipeline(HTTP_TRIGGER, 'read-run'))
  .handler(async (event) => {
    refuseQueryAndBody(event);
    const { runId } = parseInput(runRefSchema, { runId: event.pathParameters?.runId });
    return jsonResponse(200, await readRun(runId, retirementServices().runs));
  });
