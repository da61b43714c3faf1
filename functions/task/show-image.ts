// Direct invocation / Step Functions task: {provider, imageId, region?} → {"image": Image}.
// Failures are thrown with the spec's error name (Retry/Catch match on it).
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import type { Image } from '../../lib/images/image.js';
import { showImage } from '../../lib/images/operations.js';
import { taskInvocation, taskInvocationOf } from '../../lib/middleware/task.js';
import { parseInput, showInputSchema } from '../../lib/validation.js';

export const handler = middy<unknown, { image: Image }, Error, Context>()
  .use(taskInvocation('show'))
  .handler(async (event, context) => {
    const input = parseInput(showInputSchema, event);
    const image = await showImage(input, taskInvocationOf(context).deps);
    return { image };
  });
