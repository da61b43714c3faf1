// Direct invocation / Step Functions task: {provider, imageId, region?, cursor?} →
// {inUse, references, complete, nextCursor?}. Failures are thrown with the spec's error name.
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { imageUsage } from '../../lib/images/image-usage.js';
import type { UsageResult } from '../../lib/images/usage.js';
import { invocationOf, pipeline } from '../../lib/triggers/pipeline.js';
import { TASK_TRIGGER } from '../../lib/triggers/task.js';
import { parseInput, usageInputSchema } from '../../lib/validation/inputs.js';

export const handler = middy<unknown, UsageResult, Error, Context>()
  .use(pipeline(TASK_TRIGGER, 'usage'))
  .handler(async (event, context) =>
    imageUsage(parseInput(usageInputSchema(), event), invocationOf(context)),
  );
