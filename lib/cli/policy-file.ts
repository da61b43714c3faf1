// A retirement policy from a file, for `cloud-images plan POLICY_FILE`: JSON or YAML (by the
// extension, else by the first character), parsed by the same parser as the API's request bodies
// and the policies/ folder (lib/retirement/policy.ts). Any problem with the file is InvalidRequest
// naming `policy`, with the path, before anything is sent upstream.

import { readFile, stat } from 'node:fs/promises';
import { extname } from 'node:path';
import { InvalidRequest } from '../errors/errors.js';
import { MAX_POLICY_TEXT_LENGTH, type Policy, parsePolicyText } from '../retirement/policy.js';

export type PolicyFormat = 'json' | 'yaml';

/** `.json` is JSON and `.yaml`/`.yml` YAML; otherwise a document starting with `{` is JSON. */
export const policyFormatOf = (path: string, text: string): PolicyFormat => {
  const extension = extname(path).toLowerCase();
  if (extension === '.json') return 'json';
  if (extension === '.yaml' || extension === '.yml') return 'yaml';
  return text.trimStart().startsWith('{') ? 'json' : 'yaml';
};

const WHY: Record<string, string> = {
  ENOENT: 'there is no such file',
  EISDIR: 'it is a folder',
  EACCES: 'it may not be read',
  EPERM: 'it may not be read',
};

const unreadable = (path: string, why: string) =>
  new InvalidRequest(`policy: cannot read ${path}: ${why}`, { field: 'policy' });

export const readPolicyFile = async (path: string): Promise<Policy> => {
  let text: string;
  try {
    // UTF-8 takes at most 4 bytes a character: a larger file is too long whatever it holds, and
    // is refused before it is read into memory.
    const { size, isFile } = await stat(path).then((stats) => ({
      size: stats.size,
      isFile: stats.isFile(),
    }));
    if (!isFile) throw unreadable(path, 'it is not a file');
    if (size > MAX_POLICY_TEXT_LENGTH * 4) {
      throw new InvalidRequest(`policy: must be at most ${MAX_POLICY_TEXT_LENGTH} characters`, {
        field: 'policy',
      });
    }
    text = await readFile(path, 'utf8');
  } catch (error) {
    if (error instanceof InvalidRequest) throw error;
    const code = (error as NodeJS.ErrnoException).code ?? '';
    throw unreadable(path, WHY[code] ?? (code === '' ? 'unreadable' : code));
  }
  // A byte order mark is no part of the document.
  const document = text.startsWith('\uFEFF') ? text.slice(1) : text;
  return parsePolicyText(document, policyFormatOf(path, document));
};
