// DELETE /images/{provider}/{imageId}?region=&force=&dryRun=
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { ImageNotFound } from '../../lib/errors/errors.js';
import { deleteImage } from '../../lib/images/delete-image.js';
import {
  deleteRequestFromHttp,
  HTTP_TRIGGER,
  type HttpEvent,
  type HttpResult,
  jsonResponse,
} from '../../lib/triggers/http.js';
import { invocationOf, pipeline } from '../../lib/triggers/pipeline.js';
import { deleteInputSchema, parseInput } from '../../lib/validation/inputs.js';

export const handler = middy<HttpEvent, HttpResult, Error, Context>()
  .use(pipeline(HTTP_TRIGGER, 'delete'))
  .handler(async (event, context) => {
    const input = parseInput(deleteInputSchema(), deleteRequestFromHttp(event));
    const result = await deleteImage(input, invocationOf(context));
    // Queues and workflows get `already-absent`; over HTTP a missing image is a 404.
    if (result.outcome === 'already-absent') {
      throw new ImageNotFound(`${input.provider} image ${input.imageId} does not exist`);
    }
    return jsonResponse(200, result);
  });
