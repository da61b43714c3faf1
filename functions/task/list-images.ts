// Direct invocation / Step Functions task: {provider, region?, kind?, status?, name?,
// createdBefore?, createdAfter?, limit?, cursor?} → {images, nextCursor?}: a workflow pages
// through by passing nextCursor back. Failures are thrown with the spec's error name.
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { type ImageList, listImages } from '../../lib/images/list-images.js';
import { invocationOf, pipeline } from '../../lib/triggers/pipeline.js';
import { TASK_TRIGGER } from '../../lib/triggers/task.js';
import { listInputSchema, parseInput } from '../../lib/validation/inputs.js';

export const handler = middy<unknown, ImageList, Error, Context>()
  .use(pipeline(TASK_TRIGGER, 'list'))
  .handler(async (event, context) =>
    listImages(parseInput(listInputSchema(), event), invocationOf(context)),
  );
