// A delete whose outcome is also an event on the service's bus: the caller gets the same result
// (or error) as from the operation itself, and the event is published first (publishing never
// turns an outcome into a failure). A failure is an outcome only when nobody tries again: a queue
// record that will come back reports its failure on its last receive, once.

import { type DeleteRequest, deleteImage } from '../images/delete-image.js';
import type { DeleteResult, Image } from '../images/image.js';
import type { Invocation } from './invocation.js';
import { deleteOutcomeEvents, type NamedFailure, type Provenance } from './outcome-events.js';

const now = () => new Date().toISOString();

export interface ReportOptions {
  /** False when this failure is not the request's outcome (the queue delivers it again). */
  failureIsFinal?: (error: unknown) => boolean;
}

/**
 * delete, and its outcome event with the image as it was before the delete (the audit trail's
 * record). A dry run publishes nothing, refused or not: it changes nothing; nor does a failure
 * that is not final.
 */
export const deleteReported = async (
  input: DeleteRequest,
  invocation: Invocation,
  provenance: Provenance,
  options: ReportOptions = {},
): Promise<DeleteResult> => {
  const asked = () => ({
    provider: input.provider,
    imageId: input.imageId,
    region: invocation.context.region ?? input.region,
  });
  if (input.dryRun === true) return deleteImage(input, invocation);
  invocation.preparePublish();
  let seen: Image | undefined;
  let result: DeleteResult;
  try {
    result = await deleteImage(input, invocation, {
      seen: (image) => {
        seen = image;
      },
    });
  } catch (error) {
    if (options.failureIsFinal?.(error) !== false) {
      await invocation.publish(deleteOutcomeEvents(asked(), { error }, provenance, now(), seen));
    }
    throw error;
  }
  await invocation.publish(deleteOutcomeEvents(asked(), { result }, provenance, now(), seen));
  return result;
};

/**
 * A queued request given up on its last delivery without being worked on (no time left): its one
 * outcome event, a failure, since the queue moves it to the dead-letter queue next.
 */
export const deleteAbandonedReported = async (
  input: DeleteRequest,
  invocation: Invocation,
  provenance: Provenance,
  failure: NamedFailure,
): Promise<void> => {
  await invocation.publish(
    deleteOutcomeEvents(
      { provider: input.provider, imageId: input.imageId, region: input.region },
      { failure },
      provenance,
      now(),
    ),
  );
};
