// What each outcome tells the rest of the world, as events of the catalogue (lib/events): every
// delete outcome from every trigger (a dry run deletes nothing and says nothing), every plan and
// every completed run.

import { specNamed } from '../errors/error-table.js';
import { isImageError } from '../errors/errors.js';
import type { CatalogueEvent, REFUSALS } from '../events/catalogue.js';
import type { DeleteResult, Image } from '../images/image.js';
import { withoutDetails } from '../images/image-fields.js';
import type { Plan } from '../retirement/plan.js';
import type { Run } from '../retirement/ports.js';
import type { Retired } from '../retirement/retire-one.js';

export interface Provenance {
  trigger: 'http' | 'task' | 'sqs' | 'run' | 'cli';
  requestId: string;
  planId?: string | undefined;
  runId?: string | undefined;
  identity?: string | undefined;
}

/** A failure as an event names it: an error of the table, or `DeadlineReached` (not worked on). */
export interface NamedFailure {
  name: string;
  message: string;
  retryable: boolean;
}

export interface DeleteAsked {
  provider: string;
  imageId: string;
  /** The region the operation resolved (or the one asked for). */
  region?: string | undefined;
}

type Refusal = (typeof REFUSALS)[number];
const REFUSED: ReadonlySet<string> = new Set<Refusal>([
  'ImageProtected',
  'ImageBusy',
  'ImageChanged',
]);

/**
 * Whether trying again may succeed, for a failure known by its name only (a run's recorded
 * outcome): the error table's word; `DeadlineReached` (not worked on) may.
 */
const retryableByName = (name: string | undefined): boolean =>
  specNamed(name)?.retryable ?? name === 'DeadlineReached';

const provenanceOf = (provenance: Provenance) => ({
  trigger: provenance.trigger,
  requestId: provenance.requestId,
  ...(provenance.planId === undefined ? {} : { planId: provenance.planId }),
  ...(provenance.runId === undefined ? {} : { runId: provenance.runId }),
  ...(provenance.identity === undefined ? {} : { identity: provenance.identity }),
});

const deleted = (
  asked: DeleteAsked,
  outcome: 'deleted' | 'already-absent',
  image: Image | undefined,
  provenance: Provenance,
  at: string,
): CatalogueEvent => ({
  detailType: 'Image Deleted',
  detail: {
    provider: asked.provider,
    region: image?.region ?? asked.region ?? 'unknown',
    imageId: asked.imageId,
    ...(image === undefined ? {} : { image: withoutDetails(image) }),
    outcome,
    ...provenanceOf(provenance),
    at,
  },
});

const refusedOrFailed = (
  asked: DeleteAsked,
  error: NamedFailure,
  image: Image | undefined,
  provenance: Provenance,
  at: string,
): CatalogueEvent =>
  REFUSED.has(error.name)
    ? {
        detailType: 'Image Delete Refused',
        detail: {
          provider: asked.provider,
          ...(asked.region === undefined ? {} : { region: asked.region }),
          imageId: asked.imageId,
          ...(image === undefined ? {} : { image: withoutDetails(image) }),
          error: error.name as Refusal,
          reason: error.message,
          ...provenanceOf(provenance),
          at,
        },
      }
    : {
        detailType: 'Image Delete Failed',
        detail: {
          provider: asked.provider,
          ...(asked.region === undefined ? {} : { region: asked.region }),
          imageId: asked.imageId,
          ...(image === undefined ? {} : { image: withoutDetails(image) }),
          error: error.name,
          message: error.message,
          retryable: error.retryable,
          ...provenanceOf(provenance),
          at,
        },
      };

/**
 * The event of one delete (HTTP, task, queue record): none for a dry run. `seen`: the image as it
 * was before the delete (the result's image is as the delete left it).
 */
export const deleteOutcomeEvents = (
  asked: DeleteAsked,
  outcome: { result: DeleteResult } | { error: unknown } | { failure: NamedFailure },
  provenance: Provenance,
  at: string,
  seen?: Image,
): CatalogueEvent[] => {
  if ('result' in outcome) {
    const { result } = outcome;
    if (result.outcome === 'dry-run') return [];
    return [deleted(asked, result.outcome, seen ?? result.image, provenance, at)];
  }
  if ('failure' in outcome) return [refusedOrFailed(asked, outcome.failure, seen, provenance, at)];
  const { error } = outcome;
  const known = isImageError(error);
  return [
    refusedOrFailed(
      asked,
      {
        name: known ? error.name : 'InternalError',
        message: known ? error.message : 'internal error',
        retryable: known && error.retryable,
      },
      seen,
      provenance,
      at,
    ),
  ];
};

/** The events of one retire decision that this delivery publishes (see publishedBy). */
export const retiredEvents = (
  asked: DeleteAsked,
  retired: Retired,
  provenance: Provenance,
  at: string,
): CatalogueEvent[] => {
  const { outcome, completion } = publishedBy(retired);
  const events: CatalogueEvent[] = [];
  if (outcome) {
    events.push(
      retired.outcome === 'deleted' || retired.outcome === 'already-absent'
        ? deleted(asked, retired.outcome, retired.image, provenance, at)
        : refusedOrFailed(
            asked,
            {
              name:
                retired.error ?? (retired.outcome === 'skipped' ? 'ImageBusy' : 'InternalError'),
              message: retired.reason ?? retired.outcome,
              retryable: retryableByName(retired.error),
            },
            retired.image,
            provenance,
            at,
          ),
    );
  }
  if (completion) events.push(runCompletedEvent(retired.run));
  return events;
};

/**
 * Which of a decision's events this delivery publishes: what it recorded (the outcome, and the
 * run's completion when it completed it), and what an earlier delivery recorded but did not see
 * go out.
 */
export const publishedBy = (retired: Retired): { outcome: boolean; completion: boolean } => ({
  outcome: retired.recorded || retired.unpublished?.outcome === true,
  completion: retired.completedRun || retired.unpublished?.completion === true,
});

export const runCompletedEvent = (run: Run): CatalogueEvent => ({
  detailType: 'Retirement Run Completed',
  detail: {
    runId: run.runId,
    planId: run.planId,
    policyName: run.policyName,
    provider: run.provider,
    counts: run.counts,
    total: run.total,
    ...(run.createdBy === undefined ? {} : { createdBy: run.createdBy }),
    startedAt: run.createdAt,
    completedAt: run.completedAt ?? run.createdAt,
  },
});

export const plannedEvent = (plan: Plan, trigger: 'http' | 'schedule' | 'cli'): CatalogueEvent => ({
  detailType: 'Retirement Planned',
  detail: {
    planId: plan.planId,
    policyName: plan.policy.name,
    provider: plan.policy.provider,
    regions: plan.policy.regions,
    complete: plan.complete,
    totals: plan.totals,
    ...(plan.createdBy === undefined ? {} : { createdBy: plan.createdBy }),
    createdAt: plan.createdAt,
    trigger,
    // Only a schedule's firing applies an `auto` policy's plan: one made on request (HTTP, the
    // command line) waits for a person whatever its policy says, and is announced so.
    apply: trigger === 'schedule' ? plan.policy.apply : 'manual',
  },
});
