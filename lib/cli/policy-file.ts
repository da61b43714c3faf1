// A retirement policy from a file, for `cloud-images plan POLICY_FILE`: JSON or YAML (by the
// extension, else by the first character), parsed by the same parser as the API's request bodies
// and the policies/ folder (lib/retirement/policy-text.ts). Every problem is InvalidRequest, before
// anything is sent upstream: a file that cannot be read, or is not text (a NUL byte, not UTF-8),
// names `policy` and the path; text that is not JSON or YAML names `policy`, what broke it, the line, column and path; a key written twice
// its path in the policy (`limits.maxDeletions`), the line, column and path; a field the schema
// refuses its path in the policy, as the API names it.

import { extname } from 'node:path';
import { MAX_POLICY_TEXT_LENGTH, type Policy } from '../retirement/policy.js';
import { parsePolicyText } from '../retirement/policy-text.js';
import { readTextFile } from './read-text-file.js';

export type PolicyFormat = 'json' | 'yaml';

/** `.json` is JSON and `.yaml`/`.yml` YAML; otherwise a document starting with `{` is JSON. */
export const policyFormatOf = (path: string, text: string): PolicyFormat => {
  const extension = extname(path).toLowerCase();
  if (extension === '.json') return 'json';
  if (extension === '.yaml' || extension === '.yml') return 'yaml';
  return text.trimStart().startsWith('{') ? 'json' : 'yaml';
};

export const readPolicyFile = async (path: string): Promise<Policy> => {
  const text = await readTextFile(path, 'policy', {
    // UTF-8 takes at most 4 bytes a character: a larger file is too long whatever it holds.
    maxBytes: MAX_POLICY_TEXT_LENGTH * 4,
    tooLarge: `must be at most ${MAX_POLICY_TEXT_LENGTH} characters`,
  });
  return parsePolicyText(text, policyFormatOf(path, text), path);
};
