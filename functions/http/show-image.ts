// GET /images/{provider}/{imageId}?region=
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { showImage } from '../../lib/images/show-image.js';
import {
  HTTP_TRIGGER,
  type HttpEvent,
  type HttpResult,
  jsonResponse,
  showRequestFromHttp,
} from '../../lib/triggers/http.js';
import { invocationOf, pipeline } from '../../lib/triggers/pipeline.js';
import { parseInput, showInputSchema } from '../../lib/validation/inputs.js';

export const handler = middy<HttpEvent, HttpResult, Error, Context>()
  .use(pipeline(HTTP_TRIGGER, 'show'))
  .handler(async (event, context) => {
    const input = parseInput(showInputSchema(), showRequestFromHttp(event));
    const image = await showImage(input, invocationOf(context));
    return jsonResponse(200, { image });
  });
