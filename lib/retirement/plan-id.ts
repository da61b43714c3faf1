// The plan ID: `plan-` and the first 24 hex digits of SHA-256 over a canonical JSON of the policy
// and the decisions (object keys sorted, undefined members left out), so that the same policy over
// the same images at the same moment gives the same ID on any machine, whatever order the inventory
// came in. `createdAt` and `createdBy` are not part of it: they describe the request, not the plan.

import { createHash } from 'node:crypto';
import type { Decision } from './plan.js';
import type { Policy } from './policy.js';

/** JSON with object keys in code-unit order at every level; `undefined` members are dropped. */
export const canonicalJson = (value: unknown): string => {
  if (value === null || typeof value !== 'object') {
    const text = JSON.stringify(value);
    if (text === undefined) throw new TypeError(`canonicalJson: ${typeof value} is not JSON`);
    return text;
  }
  if (Array.isArray(value)) {
    return `[${value.map((item) => (item === undefined ? 'null' : canonicalJson(item))).join(',')}]`;
  }
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, member]) => member !== undefined)
    .sort(([left], [right]) => (left < right ? -1 : left > right ? 1 : 0));
  return `{${entries.map(([key, member]) => `${JSON.stringify(key)}:${canonicalJson(member)}`).join(',')}}`;
};

export const planIdOf = (policy: Policy, decisions: readonly Decision[]): string =>
  `plan-${createHash('sha256')
    .update(canonicalJson({ policy, decisions }))
    .digest('hex')
    .slice(0, 24)}`;
