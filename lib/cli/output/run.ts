// A retirement run for people: its counts by outcome, and its outcomes as a table (what `apply`
// sums up at its end and `cloud-images run` shows of any run kept in the folder).

import type { Plan, PlannedImage } from '../../retirement/plan.js';
import { imageKey } from '../../retirement/planner.js';
import {
  countsTotal,
  type ImageOutcome,
  type RunCounts,
  type RunDocument,
} from '../../retirement/ports.js';
import type { Paint } from './colour.js';
import { printable } from './printable.js';
import { columns } from './table.js';

/**
 * The image each decision of a plan saw, by the key its outcome carries (the cloud's canonical ID:
 * a UUID in lower case): what apply hands each delivery, and the name a run's table shows.
 */
export const plannedImages = (plan: Plan): ReadonlyMap<string, PlannedImage> =>
  new Map(plan.decisions.map((decision) => [imageKey(decision.image), decision.image]));

/** A run's outcomes so far, by outcome. */
export const countsText = (counts: RunCounts, paint: Paint): string =>
  `${paint.green(`${counts.deleted} deleted`)}, ${counts['already-absent']} already absent, ${paint.yellow(`${counts.skipped} skipped`)}, ${counts.failed > 0 ? paint.red(`${counts.failed} failed`) : '0 failed'}`;

/** The region and the image ID of an outcome's key (`region/canonicalId`). */
const placeOf = (outcome: ImageOutcome): { region: string; id: string } => {
  const at = outcome.imageKey.indexOf('/');
  return {
    region: outcome.imageKey.slice(0, at),
    // The ID as the cloud showed it when the image was seen; else the key's (canonical) one.
    id: outcome.image?.id ?? outcome.imageKey.slice(at + 1),
  };
};

/** One row per outcome: image, region, name (`nameOf`), outcome and why; '' when there are none. */
export const outcomesTable = (
  outcomes: readonly ImageOutcome[],
  paint: Paint,
  nameOf: (outcome: ImageOutcome) => string | undefined,
): string =>
  outcomes.length === 0
    ? ''
    : columns(
        ['IMAGE', 'REGION', 'NAME', 'OUTCOME', 'WHY'].map((title) => paint.bold(title)),
        outcomes.map((outcome) => {
          const { region, id } = placeOf(outcome);
          return [
            printable(id),
            printable(region),
            printable(nameOf(outcome) ?? ''),
            // `claimed`: a delivery started on it and recorded nothing (an apply cut short).
            outcome.outcome ?? 'none',
            printable(
              outcome.reason ??
                outcome.error ??
                (outcome.state === 'claimed' ? 'started, and no outcome recorded yet' : ''),
            ),
          ];
        }),
      );

/**
 * The whole run: its plan and policy, status, counts, who applied it and when, how to resume it
 * while it runs (`resume`: the command), and every outcome. An outcome recorded before its image
 * was seen (a decision that failed first) is named as its plan's decision saw it, where the plan
 * is at hand (`planned`).
 */
export const runText = (
  document: RunDocument,
  paint: Paint,
  resume: string,
  planned?: ReadonlyMap<string, PlannedImage>,
): string => {
  const { run, outcomes } = document;
  const done = countsTotal(run.counts);
  const lines = [
    `${paint.bold(`run ${run.runId}`)} of plan ${run.planId} (policy ${printable(run.policyName)}, ${run.provider}): ${run.status === 'completed' ? paint.green('completed') : paint.yellow('running')}`,
    `  ${done} of ${run.total} decisions have an outcome: ${countsText(run.counts, paint)}${done < run.total ? '; the others have none yet' : ''}`,
    `  applied${run.createdBy === undefined ? '' : ` by ${printable(run.createdBy)}`} at ${run.createdAt}${run.completedAt === undefined ? '' : `, completed at ${run.completedAt}`}`,
  ];
  if (run.status === 'running') {
    lines.push(`  if its apply was cut short, to resume it: ${resume}`);
  }
  return `${lines.join('\n')}\n${outcomesTable(
    outcomes,
    paint,
    (outcome) => outcome.image?.name ?? planned?.get(outcome.imageKey)?.name,
  )}`;
};
