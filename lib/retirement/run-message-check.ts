// Whether a run message is a retire decision its plan really made. The delete queue takes messages
// from more than apply (the detail of an `Image Delete Requested` event, anyone allowed to send to
// the queue), so a run message is worked on only when its run is stored and is of its plan, and
// that plan, as it was made, retires the image the message names, as the plan saw it (status,
// name, update time), with the policy's `force` and the run's applier. Anything else is refused
// (InvalidRequest, naming what differs) before any claim or upstream call; a store that cannot be
// read now fails as it does (StoreUnavailable: retried, not refused).
//
// A plan can stop passing its check after its run was applied: an upgrade changed how the planner
// decides (its decisions are no longer those its policy gives), or its totals were edited. Its
// messages still queued are then no decision that can be carried out, but refusing them would
// leave their decisions with no outcome and the run `running` for good. So a message that passes
// every other check (exactly the message apply queued for a retire decision of the plan as
// stored) while the plan's decisions are still those its ID was made from is answered with
// UnverifiablePlan: its delivery records the decision `failed` with it (no delete, nothing
// upstream), as any other outcome is recorded.
//
// Why that is safe although anyone allowed to send to the queue can send such a message:
// - It names a real decision of the run: its plan's policy and decisions are those its ID is a
//   digest of (checked), and so the very decisions apply made the run's messages from (apply takes
//   no plan that is not as it was made, and the run names the plan's ID). An outcome for it counts
//   toward the run's total like the genuine delivery's would.
// - It is field for field the message apply queued for that decision: indistinguishable from a
//   genuine delivery, or a copy of one, which SQS may deliver anyway. It can do no more than the
//   genuine message would do now.
// - What the genuine message would do now is the same: the plan failing its check is a property of
//   the stored plan and this process's planner, not of the message, so the genuine delivery is
//   refused the delete too and records this same failure. A copy recorded first takes no delete
//   away from it (the first recorded outcome stands either way).
// - Everything else stays refused with nothing recorded: no run, a run of another plan, an image
//   the stored plan does not retire, any field that differs, and a plan whose decisions are not
//   its ID's (edited in the bucket or folder, or another plan's stored under its ID): its retire
//   decisions need not be the run's, and an outcome recorded for one the run never had would
//   count toward the run's total and could complete it before its own decisions end. Such a run's
//   messages still reach the dead-letter queue with no outcome, as before.
// A plan that checks again later (an upgrade rolled back) does not undo a failure recorded
// meanwhile, as it would not undo a genuine delivery's; applying the plan again looks at it anew.
//
// A stored plan never changes (its ID is a digest of it, checked here), nor does a run's plan: each
// process keeps the retire decisions of the few plans it checked last (one that no longer passes
// its check too: this process's planner will not pass it later), so a run of 10,000 decisions
// reads its plan once per process, not once per message.

import { InvalidRequest } from '../errors/errors.js';
import { runMessageOf } from './apply-plan.js';
import type { PlannedImage } from './plan.js';
import { inconsistencyOf, substitutionOf, UnverifiablePlan } from './plan-integrity.js';
import { imageKey } from './planner.js';
import type { PlanStore, RunMessage, RunStore } from './ports.js';

/**
 * What a run message is checked against: the plan's retire decisions (and, when its decisions are
 * its ID's but it no longer passes its check, why), or why there are none.
 */
type PlanDecisions =
  | {
      kind: 'plan';
      force: boolean;
      retire: ReadonlyMap<string, PlannedImage>;
      unverifiable?: string;
    }
  | { kind: 'refused'; reason: string };

type RunOrigin =
  | { kind: 'run'; planId: string; createdBy: string | undefined }
  | { kind: 'refused' };

export interface RunMessageCheckOptions {
  /** Plans whose retire decisions a process keeps (the most recently checked). */
  plans?: number;
  /** Runs whose plan and applier a process keeps. */
  runs?: number;
}

export const DEFAULT_KEPT_PLANS = 4;
const DEFAULT_KEPT_RUNS = 64;

/**
 * Resolves with the image as the plan's decision knew it when the message is a retire decision of
 * its run's plan; throws otherwise: UnverifiablePlan when it is exactly one but the plan no longer
 * passes its check (record it `failed` with it), another InvalidRequest when it is none (refuse it).
 */
export type RunMessageCheck = (message: RunMessage) => Promise<PlannedImage>;

/**
 * A bounded most-recently-used cache of loads: checks at the same moment share one read; a read
 * that failed, or whose value `keep` refuses, is not kept (the next check reads again).
 */
const recentlyUsed = <T>(capacity: number, keep: (value: T) => boolean) => {
  const entries = new Map<string, Promise<T>>();
  const forget = (key: string, entry: Promise<T>) => {
    if (entries.get(key) === entry) entries.delete(key);
  };
  return (key: string, load: () => Promise<T>): Promise<T> => {
    const found = entries.get(key);
    if (found !== undefined) {
      entries.delete(key);
      entries.set(key, found);
      return found;
    }
    const entry = load();
    entries.set(key, entry);
    for (const oldest of entries.keys()) {
      if (entries.size <= capacity) break;
      entries.delete(oldest);
    }
    entry.then(
      (value) => {
        if (!keep(value)) forget(key, entry);
      },
      () => forget(key, entry),
    );
    return entry;
  };
};

const refuse = (field: string, message: string): InvalidRequest =>
  new InvalidRequest(`${field}: ${message}`, { field });

/** A run message as its fields (`imageId`, `expected.name`, ...) and their values, if given. */
const fieldsOf = ({ expected, ...rest }: RunMessage): Map<string, unknown> =>
  new Map(
    [
      ...Object.entries(rest),
      ...Object.entries(expected).map(([field, value]) => [`expected.${field}`, value] as const),
    ].filter(([, value]) => value !== undefined),
  );

/** The fields in which `message` differs from the message apply queued for the decision. */
const differences = (message: RunMessage, planned: RunMessage): string[] => {
  const given = fieldsOf(message);
  const wanted = fieldsOf(planned);
  return [...new Set([...wanted.keys(), ...given.keys()])].filter(
    (field) => given.get(field) !== wanted.get(field),
  );
};

export const createRunMessageCheck = (
  deps: { plans: PlanStore; runs: RunStore },
  options: RunMessageCheckOptions = {},
): RunMessageCheck => {
  const plans = recentlyUsed<PlanDecisions>(
    options.plans ?? DEFAULT_KEPT_PLANS,
    (value) => value.kind === 'plan',
  );
  const runs = recentlyUsed<RunOrigin>(
    options.runs ?? DEFAULT_KEPT_RUNS,
    (value) => value.kind === 'run',
  );

  const decisionsOf = async (planId: string): Promise<PlanDecisions> => {
    const plan = await deps.plans.get(planId);
    if (plan === undefined) return { kind: 'refused', reason: `no plan ${planId} is stored` };
    const substituted = substitutionOf(plan, planId);
    if (substituted !== undefined) {
      return {
        kind: 'refused',
        reason: `plan ${planId} has been altered since it was made (${substituted})`,
      };
    }
    const retire = new Map<string, PlannedImage>();
    for (const decision of plan.decisions) {
      if (decision.decision === 'retire') retire.set(imageKey(decision.image), decision.image);
    }
    const inconsistent = inconsistencyOf(plan);
    return {
      kind: 'plan',
      force: plan.policy.force === true,
      retire,
      ...(inconsistent === undefined ? {} : { unverifiable: inconsistent }),
    };
  };

  const originOf = async (runId: string): Promise<RunOrigin> => {
    const run = await deps.runs.readRun(runId);
    return run === undefined
      ? { kind: 'refused' }
      : { kind: 'run', planId: run.planId, createdBy: run.createdBy };
  };

  return async (message) => {
    const run = await runs(message.runId, () => originOf(message.runId));
    if (run.kind === 'refused') throw refuse('runId', `no run ${message.runId} is stored`);
    if (run.planId !== message.planId) {
      throw refuse('planId', `run ${message.runId} is of another plan`);
    }
    const plan = await plans(message.planId, () => decisionsOf(message.planId));
    if (plan.kind === 'refused') throw refuse('planId', plan.reason);
    const image = plan.retire.get(message.imageKey);
    if (image === undefined) {
      throw refuse(
        'imageKey',
        `plan ${message.planId} has no retire decision for ${message.imageKey}`,
      );
    }
    const planned = runMessageOf(image, {
      planId: message.planId,
      runId: message.runId,
      force: plan.force,
      identity: run.createdBy,
    });
    const differing = differences(message, planned);
    if (differing.length > 0) {
      throw new InvalidRequest(
        `${differing.join(', ')}: not as plan ${message.planId} decided to retire ${message.imageKey}`,
        { field: differing[0] ?? 'imageKey' },
      );
    }
    // Only now, every check a genuine message passes passed (see the top of this file).
    if (plan.unverifiable !== undefined) {
      throw new UnverifiablePlan(message.planId, plan.unverifiable);
    }
    return image;
  };
};
