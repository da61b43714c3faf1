// One retire decision of a run, as the delete queue's consumer meets it: claimed (a redelivered
// message whose decision already has its outcome does nothing more upstream, and hands on what an
// earlier delivery recorded and did not see published), looked at again just before
// the delete (changed since the plan, protected, in use or being created: `skipped` with the
// reason), deleted, and its one outcome recorded. A transient failure is left to the queue to
// redeliver until the caller's last working receive (the SQS consumer keeps the queue's last for
// a delivery that stopped without recording), then recorded `failed`: nothing reaches the
// dead-letter queue without an outcome. Two deliveries at once (SQS delivers at least once): the
// first outcome recorded stands, the other delivery hands it on, no delete is sent once it is
// recorded, and no skip or failure is recorded over a delete the other noted sending (this one
// comes back instead), so the run and the image agree.

import { isImageError } from '../errors/errors.js';
import { type DeleteDeps, deleteImage } from '../images/delete-image.js';
import type { Image } from '../images/image.js';
import { withoutDetails } from '../images/image-fields.js';
import type { PlannedImage } from './plan.js';
import type { ImageOutcome, Run, RunMessage, RunOutcome, RunStore } from './ports.js';

export interface RetireDeps extends DeleteDeps {
  runs: RunStore;
  now?: () => Date;
}

export interface RetireOptions {
  /** This delivery's receive count, and the receive on which a failure is recorded as final. */
  receiveCount: number;
  maxReceiveCount: number;
  /**
   * The image as the plan's decision knew it: the outcome's image when this delivery saw none (it
   * found the image gone after an earlier attempt at the decision sent its delete).
   */
  planned?: PlannedImage | undefined;
}

export interface Retired {
  outcome: RunOutcome;
  reason?: string | undefined;
  error?: string | undefined;
  /** The image as it was before the delete (for the outcome and its event), when it was seen. */
  image?: Image | undefined;
  /** False when an earlier delivery had recorded the outcome already: nothing was done now. */
  recorded: boolean;
  /** True for the one delivery whose outcome completed the run. */
  completedRun: boolean;
  /**
   * Events an earlier delivery recorded but did not see published (it stopped, or the bus
   * refused them): this delivery publishes them. Absent when there are none.
   */
  unpublished?: { outcome: boolean; completion: boolean } | undefined;
  /** The run as this delivery left it. */
  run: Run;
}

/** A refusal because the image changed since the plan (not protected, not busy as such). */
export const CHANGED_SINCE_PLAN = 'ImageChanged';

/**
 * Why a decision found its image gone is `deleted`: an earlier attempt at it sent the delete (a
 * queue delivery whose reply was lost, or a command-line apply cut short and resumed).
 */
const DELETED_EARLIER =
  'deleted by an earlier attempt at this decision (its reply lost, or its apply cut short)';

/** Refusals are the image's state, not a failure: the decision is skipped, with the reason. */
const SKIPPED_BY = new Set(['ImageProtected', 'ImageBusy']);

/**
 * Why a delivery recorded nothing: another delivery of the decision noted sending its delete, and
 * that delete's result is the outcome (this one would have recorded `skipped` or `failed` over it).
 * The delivery comes back: by then that one has recorded it, or stopped (and the next records).
 */
export class DeleteUnderWay extends Error {
  override readonly name = 'DeleteUnderWay';
  constructor() {
    super(
      'another delivery of this decision is sending its delete: it records the outcome; this one recorded nothing and comes back',
    );
  }
}

/** Why a delivery sent no delete: the decision's outcome was recorded while it looked. */
class RecordedMeanwhile extends Error {
  override readonly name = 'RecordedMeanwhile';
  constructor() {
    super('another delivery of this decision recorded its outcome first; no delete was sent');
  }
}

export const retireOne = async (
  message: RunMessage,
  deps: RetireDeps,
  options: RetireOptions,
): Promise<Retired> => {
  const now = () => (deps.now ?? (() => new Date()))().toISOString();
  const claim = await deps.runs.claim(message.runId, message.imageKey, now());
  if (claim.kind === 'already-claimed' && claim.existing.state === 'final') {
    return takeRecorded(deps.runs, message, claim.existing, now);
  }
  let result: Omit<Retired, 'recorded' | 'completedRun' | 'run'>;
  // The image as it was before the delete: what the outcome and its event keep.
  let seen: Image | undefined;
  // Noted before the delete is sent, so that a redelivery can tell a lost reply from an image
  // that was gone before (a second apply of the same plan).
  let removing = false;
  try {
    const deleted = await deleteImage(
      {
        provider: message.provider,
        imageId: message.imageId,
        region: message.region,
        force: message.force,
        expected: message.expected,
      },
      deps,
      {
        seen: (image) => {
          seen = image;
        },
        beforeRemove: async () => {
          if (!(await deps.runs.markDeleteSent(message.runId, message.imageKey, now()))) {
            throw new RecordedMeanwhile();
          }
          removing = true;
        },
      },
    );
    // Found gone: another delivery of this decision (an earlier one whose reply was lost, or one
    // at the same time) may have deleted it, if one sent a delete besides this one.
    const deletedByAnother =
      deleted.outcome === 'already-absent' &&
      (await deps.runs.deleteSends(message.runId, message.imageKey)) > (removing ? 1 : 0);
    const image = seen ?? deleted.image;
    result = deletedByAnother
      ? {
          outcome: 'deleted',
          image: image ?? keptImage(options.planned),
          reason: DELETED_EARLIER,
        }
      : { outcome: deleted.outcome === 'dry-run' ? 'skipped' : deleted.outcome, image };
  } catch (error) {
    const name = isImageError(error) ? error.name : 'InternalError';
    const reason = error instanceof Error ? error.message : String(error);
    if (error instanceof RecordedMeanwhile) {
      // No delete was sent: the finish below finds the outcome recorded and hands it on.
      result = { outcome: 'failed', error: name, reason };
    } else if (isImageError(error) && SKIPPED_BY.has(error.name)) {
      const changed = error.name === 'ImageBusy' && error.field === 'expected';
      result = {
        outcome: 'skipped',
        error: changed ? CHANGED_SINCE_PLAN : name,
        reason,
        ...(seen === undefined ? {} : { image: seen }),
      };
    } else if (
      isImageError(error) &&
      error.retryable &&
      options.receiveCount < options.maxReceiveCount
    ) {
      // The queue redelivers it; the claim stays, so the next delivery knows it started.
      throw error;
    } else {
      result = {
        outcome: 'failed',
        error: name,
        reason,
        ...(seen === undefined ? {} : { image: seen }),
      };
    }
  }

  // A delete another delivery noted sending may be under way (SQS delivered the message twice at
  // once): its result is the outcome, not this delivery's skip or failure, which is then recorded
  // only where no delete was noted. Up to the last working receive: a delivery that noted its
  // delete and stopped before sending it leaves its note, and the decision must end all the same.
  const unlessDeleteSent =
    !removing &&
    (result.outcome === 'skipped' || result.outcome === 'failed') &&
    options.receiveCount < options.maxReceiveCount;
  return finishOrTakeRecorded(deps, message, result, now, unlessDeleteSent);
};

/** Records this delivery's outcome, or hands on the one another delivery recorded first. */
const finishOrTakeRecorded = async (
  deps: RetireDeps,
  message: RunMessage,
  result: Omit<Retired, 'recorded' | 'completedRun' | 'run'>,
  now: () => string,
  unlessDeleteSent: boolean,
): Promise<Retired> => {
  const input = {
    outcome: result.outcome,
    ...(result.reason === undefined ? {} : { reason: result.reason }),
    ...(result.error === undefined ? {} : { error: result.error }),
    ...(result.image === undefined ? {} : { image: withoutDetails(result.image) }),
    at: now(),
  };
  const finished = unlessDeleteSent
    ? await deps.runs.finishUnlessDeleteSent(message.runId, message.imageKey, input)
    : await deps.runs.finish(message.runId, message.imageKey, input);
  if (finished === undefined) throw new DeleteUnderWay();
  if (finished.kind === 'already-final') {
    // Another delivery of this message recorded the outcome while this one worked (SQS delivered
    // it twice at once): that outcome stands, and so do its events if that delivery lost them
    // (this one may be the only one the queue sees succeed).
    return recordedEarlier(deps.runs, message, finished.existing, finished);
  }
  return { ...result, recorded: true, completedRun: finished.completed, run: finished.run };
};

/**
 * An image kept without the provider's details (as an outcome records it, or as the plan's
 * decision knew it) as an Image, for an outcome and its event.
 */
const keptImage = (image: PlannedImage | undefined): Image | undefined =>
  image === undefined ? undefined : { ...image, details: {} };

/**
 * A decision whose outcome another delivery recorded: that outcome, and what it did not see
 * published (this delivery publishes it). `finished`: this delivery's finish, which counted nothing.
 */
const recordedEarlier = async (
  runs: RunStore,
  message: RunMessage,
  existing: ImageOutcome,
  finished: { completed: boolean; run: Run },
): Promise<Retired> => ({
  outcome: existing.outcome ?? 'failed',
  reason: existing.reason,
  error: existing.error,
  image: keptImage(existing.image),
  recorded: false,
  completedRun: finished.completed,
  run: finished.run,
  unpublished: await unpublishedEvents(runs, message, finished),
});

/**
 * A claim that found the outcome recorded: the run may still wait for completion (a consumer died
 * between finishing and completing), which this finish does; the outcome is handed on.
 */
const takeRecorded = async (
  runs: RunStore,
  message: RunMessage,
  existing: ImageOutcome,
  now: () => string,
): Promise<Retired> => {
  const finished = await runs.finish(message.runId, message.imageKey, {
    outcome: existing.outcome ?? 'failed',
    at: now(),
  });
  return recordedEarlier(runs, message, existing, finished);
};

/** What an earlier delivery recorded for this decision (and its run) without publishing it. */
const unpublishedEvents = async (
  runs: RunStore,
  message: RunMessage,
  finished: { completed: boolean },
): Promise<Retired['unpublished']> => {
  const owed = await runs.unpublished(message.runId, message.imageKey);
  // Completed by this delivery: it publishes the completion as its own (completedRun).
  const completion = owed.completion && !finished.completed;
  return owed.outcome || completion ? { outcome: owed.outcome, completion } : undefined;
};

/** Said of a decision recorded `failed` after an earlier delivery noted sending its delete. */
export const DELETE_MAY_HAVE_GONE =
  'an earlier delivery sent its delete and stopped before recording what came of it: the image may be gone';

/**
 * A decision this delivery does not work on, recorded `failed` now rather than reaching the
 * dead-letter queue with no outcome: its last delivery came with no time left, or its plan can no
 * longer be verified (no delivery would carry it out). No delete is sent. An outcome recorded
 * already stays as it was. `options`: before the last working receive, nothing is recorded over a
 * delete another delivery noted sending (DeleteUnderWay: this one comes back for that outcome, as
 * retireOne does); without them, or on it, the failure is recorded all the same.
 */
export const abandonOne = async (
  message: RunMessage,
  deps: Pick<RetireDeps, 'runs' | 'now'>,
  failure: { error: string; reason: string },
  options?: RetireOptions,
): Promise<Retired> => {
  const now = () => (deps.now ?? (() => new Date()))().toISOString();
  const claim = await deps.runs.claim(message.runId, message.imageKey, now());
  if (claim.kind === 'already-claimed' && claim.existing.state === 'final') {
    return takeRecorded(deps.runs, message, claim.existing, now);
  }
  const unlessDeleteSent = options !== undefined && options.receiveCount < options.maxReceiveCount;
  // An earlier delivery that stopped may have sent its delete: `failed` must not read as "kept".
  const mayHaveGone =
    !unlessDeleteSent &&
    claim.kind === 'already-claimed' &&
    (await deps.runs.deleteSends(message.runId, message.imageKey)) > 0;
  const recorded = mayHaveGone
    ? { ...failure, reason: `${failure.reason}; ${DELETE_MAY_HAVE_GONE}` }
    : failure;
  const input = { outcome: 'failed' as const, ...recorded, at: now() };
  const finished = unlessDeleteSent
    ? await deps.runs.finishUnlessDeleteSent(message.runId, message.imageKey, input)
    : await deps.runs.finish(message.runId, message.imageKey, input);
  if (finished === undefined) throw new DeleteUnderWay();
  if (finished.kind === 'already-final') {
    // Recorded by another delivery of this message since the claim: its outcome stands.
    return recordedEarlier(deps.runs, message, finished.existing, finished);
  }
  return {
    outcome: 'failed',
    ...recorded,
    recorded: true,
    completedRun: finished.completed,
    run: finished.run,
  };
};
