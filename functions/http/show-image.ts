// GET /images/{provider}/{imageId}
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { showImage } from '../../lib/images/operations.js';
import { httpApi, invocationOf } from '../../lib/middleware/http-api.js';
import {
  type HttpEvent,
  type HttpResult,
  jsonResponse,
  showRequestFromHttp,
} from '../../lib/triggers/http.js';
import { parseInput, showInputSchema } from '../../lib/validation.js';

export const handler = middy<HttpEvent, HttpResult, Error, Context>()
  .use(httpApi('show'))
  .handler(async (event, context) => {
    const input = parseInput(showInputSchema, showRequestFromHttp(event));
    const image = await showImage(input, invocationOf(context).deps);
    return jsonResponse(200, { image });
  });
