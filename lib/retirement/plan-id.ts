// The plan ID: `plan-` and the first 24 hex digits of SHA-256 over a canonical JSON of the policy
// and the decisions (object keys sorted, undefined members left out), so that the same policy over
// the same images at the same moment gives the same ID on any machine, whatever order the inventory
// came in. `createdAt` and `createdBy` are not part of it: they describe the request, not the plan.

import { createHash } from 'node:crypto';
import type { Decision } from './plan.js';
import type { Policy } from './policy.js';

/**
 * The same value with every object's keys in code-unit order (undefined members dropped). Keys that
 * look like array indices would still come first (JavaScript's property order); plans have none.
 */
const sortedKeys = (value: unknown): unknown => {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(sortedKeys);
  const sorted: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) {
    const member = (value as Record<string, unknown>)[key];
    if (member !== undefined) sorted[key] = sortedKeys(member);
  }
  return sorted;
};

/** JSON with object keys in code-unit order at every level; `undefined` members are dropped. */
export const canonicalJson = (value: unknown): string => JSON.stringify(sortedKeys(value));

export const planIdOf = (policy: Policy, decisions: readonly Decision[]): string =>
  `plan-${createHash('sha256')
    .update(canonicalJson({ policy, decisions }))
    .digest('hex')
    .slice(0, 24)}`;
