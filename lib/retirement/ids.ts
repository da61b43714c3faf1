// The shapes of plan and run IDs, apart from the schemas of plans and runs: input validation needs
// them in every function, and importing them from plan.ts would build the retirement schemas at the
// cold start of functions that never read a plan (show, delete).

/** `plan-` and 24 lowercase hex digits, derived from the policy and the decisions. */
export const PLAN_ID_PATTERN = /^plan-[0-9a-f]{24}$/;

/** `run-` and 20 lowercase hex digits (random). */
export const RUN_ID_PATTERN = /^run-[0-9a-f]{20}$/;
