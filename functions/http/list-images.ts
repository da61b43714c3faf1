// GET /images/{provider}?region=&kind=&status=&name=&createdBefore=&createdAfter=&limit=&cursor=
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { listImages } from '../../lib/images/list-images.js';
import {
  HTTP_TRIGGER,
  type HttpEvent,
  type HttpResult,
  jsonResponse,
  listRequestFromHttp,
} from '../../lib/triggers/http.js';
import { invocationOf, pipeline } from '../../lib/triggers/pipeline.js';
import { listInputSchema, parseInput } from '../../lib/validation/inputs.js';

export const handler = middy<HttpEvent, HttpResult, Error, Context>()
  .use(pipeline(HTTP_TRIGGER, 'list'))
  .handler(async (event, context) => {
    const input = parseInput(listInputSchema(), listRequestFromHttp(event));
    return jsonResponse(200, await listImages(input, invocationOf(context)));
  });
