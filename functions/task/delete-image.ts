// Direct invocation / Step Functions task: {provider, imageId, region?, force?, dryRun?} →
// DeleteResult. `already-absent` is a success here (a retried or repeated delete never fails
// because of the first one); failures are thrown with the spec's error name.
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import type { DeleteResult } from '../../lib/images/image.js';
import { deleteReported } from '../../lib/runtime/reported-delete.js';
import { invocationOf, pipeline } from '../../lib/triggers/pipeline.js';
import { TASK_TRIGGER } from '../../lib/triggers/task.js';
import { deleteInputSchema, parseInput } from '../../lib/validation/inputs.js';

export const handler = middy<unknown, DeleteResult, Error, Context>()
  .use(pipeline(TASK_TRIGGER, 'delete'))
  .handler(async (event, context) => {
    const input = parseInput(deleteInputSchema(), event);
    return deleteReported(input, invocationOf(context), {
      trigger: 'task',
      requestId: context.awsRequestId,
    });
  });
