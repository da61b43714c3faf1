// DELETE /images/{provider}/{imageId}?region=&force=&dryRun=
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { ImageNotFound } from '../../lib/errors/errors.js';
import { deleteReported } from '../../lib/runtime/reported-delete.js';
import {
  callerOf,
  deleteRequestFromHttp,
  HTTP_TRIGGER,
  type HttpEvent,
  type HttpResult,
  jsonResponse,
  requestIdOf,
} from '../../lib/triggers/http.js';
import { invocationOf, pipeline } from '../../lib/triggers/pipeline.js';
import { deleteInputSchema, parseInput } from '../../lib/validation/inputs.js';

export const handler = middy<HttpEvent, HttpResult, Error, Context>()
  .use(pipeline(HTTP_TRIGGER, 'delete'))
  .handler(async (event, context) => {
    const input = parseInput(deleteInputSchema(), deleteRequestFromHttp(event));
    const result = await deleteReported(input, invocationOf(context), {
      trigger: 'http',
      requestId: requestIdOf(event, context.awsRequestId),
      identity: callerOf(event),
    });
    // Queues and workflows get `already-absent`; over HTTP a missing image is a 404.
    if (result.outcome === 'already-absent') {
      throw new ImageNotFound(`${input.provider} image ${input.imageId} does not exist`);
    }
    return jsonResponse(200, result);
  });
