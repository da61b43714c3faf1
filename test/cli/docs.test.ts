// The exit statuses a script relies on are written down twice (README, docs/contract.md): both
// tables list exactly what exit-status.ts defines, so a new error-table row cannot go unnoticed.

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { exitStatusTable } from '../../lib/cli/exit-status.js';
import { root } from './cli-child.js';

/** The `| status | name | ...` rows of a document's "Command line" section. */
const documentedStatuses = (markdown: string): { status: number; name: string }[] => {
  const section = markdown.split('\n## Command line\n')[1]?.split('\n## ')[0] ?? '';
  return section
    .split('\n')
    .map((line) => /^\| (\d+) \| `?([A-Za-z]+)`?[ |(]/.exec(line))
    .filter((match) => match !== null)
    .map((match) => ({ status: Number(match[1]), name: match[2] ?? '' }));
};

const defined = exitStatusTable().map(({ status, name }) => ({ status, name }));

describe('the documented exit statuses', () => {
  it.each(['README.md', 'docs/contract.md'])('%s lists every one, as defined', async (file) => {
    const markdown = await readFile(join(root, file), 'utf8');

    expect(documentedStatuses(markdown)).toEqual(defined);
  });
});
