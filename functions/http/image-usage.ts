// GET /images/{provider}/{imageId}/usage?region=&cursor=
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { imageUsage } from '../../lib/images/image-usage.js';
import {
  HTTP_TRIGGER,
  type HttpEvent,
  type HttpResult,
  jsonResponse,
  usageRequestFromHttp,
} from '../../lib/triggers/http.js';
import { invocationOf, pipeline } from '../../lib/triggers/pipeline.js';
import { parseInput, usageInputSchema } from '../../lib/validation/inputs.js';

export const handler = middy<HttpEvent, HttpResult, Error, Context>()
  .use(pipeline(HTTP_TRIGGER, 'usage'))
  .handler(async (event, context) => {
    const input = parseInput(usageInputSchema(), usageRequestFromHttp(event));
    return jsonResponse(200, await imageUsage(input, invocationOf(context)));
  });
