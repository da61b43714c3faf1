// What both run stores share: the answer for a run that is not stored, the image-key bounds, and
// the order of outcomes in a run document.

import { InvalidRequest, PlanNotFound } from '../errors/errors.js';
import { RUN_ID_PATTERN } from '../retirement/ids.js';
import type { ImageOutcome } from '../retirement/ports.js';

export const runNotStored = (runId: string): PlanNotFound =>
  new PlanNotFound(
    RUN_ID_PATTERN.test(runId)
      ? `No retirement run ${runId} is stored`
      : 'No retirement run with this id is stored',
  );

/** A DynamoDB sort key holds at most 1,024 bytes (with its `image#` prefix); image keys are short. */
export const MAX_IMAGE_KEY_BYTES = 900;

export const checkImageKey = (imageKey: string): void => {
  if (imageKey === '' || Buffer.byteLength(imageKey) > MAX_IMAGE_KEY_BYTES) {
    throw new InvalidRequest(`imageKey: must be 1 to ${MAX_IMAGE_KEY_BYTES} bytes`, {
      field: 'imageKey',
    });
  }
};

/** Each decision of one finishManyUnlessDeleteSent once (a write names an item once). */
export const checkDistinctImageKeys = (imageKeys: readonly string[]): void => {
  const seen = new Set<string>();
  for (const imageKey of imageKeys) {
    checkImageKey(imageKey);
    if (seen.has(imageKey)) {
      throw new InvalidRequest('imageKey: a decision given twice in one call', {
        field: 'imageKey',
      });
    }
    seen.add(imageKey);
  }
};

export const checkNewRunId = (runId: string): void => {
  if (!RUN_ID_PATTERN.test(runId)) {
    throw new InvalidRequest('runId: not a valid id', { field: 'runId' });
  }
};

/** Code-unit order of image keys (DynamoDB returns byte order; the document promises this). */
export const byImageKey = (left: ImageOutcome, right: ImageOutcome): number =>
  left.imageKey < right.imageKey ? -1 : left.imageKey > right.imageKey ? 1 : 0;
