// Direct invocation / Step Functions task: {provider, imageId, region?} → {"image": Image}.
// Failures are thrown with the spec's error name (Retry/Catch match on it).
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import type { ShowResult } from '../../lib/images/image.js';
import { showImage } from '../../lib/images/show-image.js';
import { invocationOf, pipeline } from '../../lib/triggers/pipeline.js';
import { TASK_TRIGGER } from '../../lib/triggers/task.js';
import { parseInput, showInputSchema } from '../../lib/validation/inputs.js';

export const handler = middy<unknown, ShowResult, Error, Context>()
  .use(pipeline(TASK_TRIGGER, 'show'))
  .handler(async (event, context) => {
    const input = parseInput(showInputSchema(), event);
    return { image: await showImage(input, invocationOf(context)) };
  });
