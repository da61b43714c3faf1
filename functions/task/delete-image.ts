// Direct invocation / Step Functions task: {provider, imageId, region?, force?, dryRun?} →
// DeleteResult. `already-absent` is a success here (a retried or repeated delete never fails
// because of the first one); failures are thrown with the spec's error name.
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import type { DeleteResult } from '../../lib/images/image.js';
import { deleteImage } from '../../lib/images/operations.js';
import { taskInvocation, taskInvocationOf } from '../../lib/middleware/task.js';
import { deleteInputSchema, parseInput } from '../../lib/validation.js';

export const handler = middy<unknown, DeleteResult, Error, Context>()
  .use(taskInvocation('delete'))
  .handler(async (event, context) => {
    const input = parseInput(deleteInputSchema, event);
    return deleteImage(input, taskInvocationOf(context).deps);
  });
