// Whether a stored plan is still the plan that was made. Its ID is a digest of its policy and
// decisions, and its totals are counted from the decisions: a plan edited by hand (a file given to
// the CLI, a document in the bucket or the local folder) matches neither, and applying it could
// delete what no plan decided, or ask for confirmation of fewer deletions than it makes. The
// digest's recipe is no secret, so the decisions are also made again from the plan's own images
// and policy: one edited together with a digest made anew (an `over-limit` or `excluded` image
// turned `retire`) disagrees with what its policy gives. What only the cloud could tell then (in
// use, the operator's protection) is taken from the plan; apply looks at both again anyway.
//
// Two parts, because a run already started needs to tell them apart: substitutionOf (its ID no
// longer names its policy and decisions: nothing about them can be trusted) and inconsistencyOf
// (its decisions are its ID's, and so its runs', but its totals or today's planner disagree, as
// with a plan made before an upgrade). A started run's decisions of the second kind end `failed`
// (UnverifiablePlan) rather than wait for an outcome that no delivery would give them.

import { InvalidRequest } from '../errors/errors.js';
import type { Plan } from './plan.js';
import { canonicalJson, planIdOf } from './plan-id.js';
import { countTotals, imageKey, planRetirement } from './planner.js';

/** Where the plan's decisions differ from those its policy gives its images, or undefined. */
const disagreementWithPolicy = (plan: Plan): string | undefined => {
  if (!plan.complete) return undefined;
  const given = new Map(plan.decisions.map((decision) => [imageKey(decision.image), decision]));
  const usage = new Map(
    plan.decisions
      .filter((decision) => decision.reason === 'in-use')
      .map((decision) => [
        imageKey(decision.image),
        decision.references ?? [{ type: 'notebook' as const, id: '', name: '', status: '' }],
      ]),
  );
  const protectedKeys = new Set(
    plan.decisions
      .filter((decision) => decision.reason === 'protected')
      .map((decision) => imageKey(decision.image)),
  );
  let again: Plan;
  try {
    again = planRetirement({
      policy: plan.policy,
      inventory: plan.decisions.map((decision) => ({ ...decision.image, details: {} })),
      usage,
      protection: (image) => (protectedKeys.has(imageKey(image)) ? 'protected' : undefined),
      now: new Date(plan.createdAt),
    });
  } catch {
    return 'its decisions are not ones its policy can make (an image decided twice?)';
  }
  if (again.decisions.length !== plan.decisions.length) {
    return 'its decisions name images outside its policy';
  }
  for (const decision of again.decisions) {
    const key = imageKey(decision.image);
    const reason = given.get(key)?.reason;
    if (reason !== decision.reason) {
      // Not only an edit: a plan stored before the planner changed how it decides (an upgrade)
      // disagrees in the same way, and the operator's remedy is the same (a new plan).
      return `its decision for ${key} is ${reason ?? 'missing'} where its policy gives ${decision.reason} (edited, or made by an earlier version of the planner)`;
    }
  }
  return undefined;
};

/**
 * Where `plan`'s policy and decisions are not those its ID (and `storedAs`, the ID it was read by)
 * was made from, or undefined when they are: then they are the ones any run of that ID was
 * applied with (the ID is a digest of them), whatever else about the plan no longer checks.
 */
export const substitutionOf = (plan: Plan, storedAs?: string): string | undefined => {
  if (storedAs !== undefined && plan.planId !== storedAs) return `it is stored as ${plan.planId}`;
  if (planIdOf(plan.policy, plan.decisions) !== plan.planId) {
    return `its policy or decisions do not match ${plan.planId}`;
  }
  return undefined;
};

/**
 * What no longer matches in `plan`, or undefined when it is as it was made. `storedAs`: the ID it
 * was read by (a plan stored under another plan's ID is altered too).
 */
export const alterationOf = (plan: Plan, storedAs?: string): string | undefined =>
  substitutionOf(plan, storedAs) ?? inconsistencyOf(plan);

/**
 * What no longer checks in a plan whose decisions are its ID's (see substitutionOf): totals not
 * counted from its decisions, or decisions its policy does not give its images (edited with a
 * digest made anew, or made by an earlier version of the planner). Undefined when none.
 */
export const inconsistencyOf = (plan: Plan): string | undefined => {
  if (canonicalJson(plan.totals) !== canonicalJson(countTotals(plan.decisions))) {
    return 'its totals do not match its decisions';
  }
  return disagreementWithPolicy(plan);
};

/**
 * Why a retire decision of a started run cannot be carried out: its plan's decisions are still
 * those its ID was made from, but the plan no longer passes its check (inconsistencyOf: made by
 * an earlier version of the planner, its totals edited). The decision is recorded `failed` with it
 * and nothing is deleted: by the queue's consumer for a message that is exactly one apply queued
 * (run-message-check.ts), by a repeated apply of the run for those it had not queued. An
 * InvalidRequest: a caller that knows nothing of it refuses, as before.
 */
export class UnverifiablePlan extends InvalidRequest {
  constructor(planId: string, why: string) {
    super(
      `planId: plan ${planId} can no longer be verified: ${why}; none of its decisions is carried out: make a new plan`,
      { field: 'planId' },
    );
  }
}
