// One zod issue in the words a caller reads: `<field>: <what is wrong>`, the field its path
// (`limits.maxDeletions`, `select.status.1`) or, for the value as a whole, the root's name; a
// missing value `is required` (zod would say `expected string, received undefined`). Each reader
// of callers' documents (the inputs of every trigger, a policy, a plan file) words its issues here,
// with what sets them apart as options: the root's name, and which of zod's own wordings they
// replace (as their callers have always read them).

import { shownName, unknownFields } from './caller-names.js';
import type * as z from './zod.js';

export interface IssueWording {
  /** The value as a whole, for an issue at the top: `input`, `policy`, `plan`. */
  root: string;
  /**
   * Unknown keys as `unknown field(s): a, b` (names bounded, lib/schema/caller-names.ts), their
   * field the first of them; `nameRoot` false leaves the root's name out of the message at the top
   * (the inputs: `unknown field(s): x`, where a policy says `policy: unknown field(s): x`). Unset:
   * zod's own words (`Unrecognized key: "x"`).
   */
  unknownKeys?: { nameRoot: boolean };
  /** A value outside a fixed set as `must be one of a, b`; unset: zod's own words. */
  choices?: boolean;
}

/** The dotted field of `path`, or the root's name at the top. */
const issueField = (path: readonly PropertyKey[], root: string): string =>
  path.length > 0 ? path.map(String).join('.') : root;

/** The issue's field (where a refusal points) and its message. */
export const describeIssue = (
  issue: z.core.$ZodIssue,
  wording: IssueWording,
): { field: string; message: string } => {
  const field = issueField(issue.path, wording.root);
  if (issue.code === 'unrecognized_keys' && wording.unknownKeys !== undefined) {
    const named = issue.path.length > 0 || wording.unknownKeys.nameRoot;
    return {
      field: issueField([...issue.path, shownName(issue.keys[0] ?? '')], wording.root),
      message: `${named ? `${field}: ` : ''}${unknownFields(issue.keys)}`,
    };
  }
  if (issue.code === 'invalid_type' && issue.input === undefined) {
    return { field, message: `${field}: is required` };
  }
  if (issue.code === 'invalid_value' && wording.choices === true) {
    const allowed = issue.values.map((value) => String(value)).join(', ');
    return {
      field,
      message: `${field}: must be ${issue.values.length > 1 ? 'one of ' : ''}${allowed}`,
    };
  }
  return { field, message: `${field}: ${issue.message}` };
};
