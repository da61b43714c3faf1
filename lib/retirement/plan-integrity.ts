// Whether a stored plan is still the plan that was made. Its ID is a digest of its policy and
// decisions, and its totals are counted from the decisions: a plan edited by hand (a file given to
// the CLI, a document in the bucket or the local folder) matches neither, and applying it could
// delete what no plan decided, or ask for confirmation of fewer deletions than it makes.

import type { Plan } from './plan.js';
import { canonicalJson, planIdOf } from './plan-id.js';
import { countTotals } from './planner.js';

/** What no longer matches in `plan`, or undefined when it is as it was made. */
export const alterationOf = (plan: Plan): string | undefined => {
  if (planIdOf(plan.policy, plan.decisions) !== plan.planId) {
    return `its policy or decisions do not match ${plan.planId}`;
  }
  if (canonicalJson(plan.totals) !== canonicalJson(countTotals(plan.decisions))) {
    return 'its totals do not match its decisions';
  }
  return undefined;
};
