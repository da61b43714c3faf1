// The environment guard (a setup file of vitest.config.ts) bites: shown on scratch test files run
// by vitest in a child process, one leaving a variable behind and one restoring what it stubbed.

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runChild } from './child.js';

const root = resolve(import.meta.dirname, '../..');
const guard = join(root, 'test', 'support', 'env-guard.ts');

describe('the environment guard', () => {
  let scratch: string;

  const vitest = (file: string) =>
    runChild(
      process.execPath,
      [join(root, 'node_modules', 'vitest', 'vitest.mjs'), 'run', '--root', scratch, file],
      { cwd: scratch, env: { PATH: process.env.PATH ?? '' }, timeoutMs: 120_000 },
    );

  beforeAll(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'cif-env-guard-'));
    await writeFile(
      join(scratch, 'vitest.config.mjs'),
      `export default { test: { include: ['*.test.mjs'], setupFiles: [${JSON.stringify(guard)}] } };\n`,
    );
    await writeFile(
      join(scratch, 'leaks.test.mjs'),
      [
        "import { expect, it } from 'vitest';",
        "it('adds one variable and changes another', () => {",
        "  process.env.CIF_GUARD_ADDED = 'left behind';",
        "  process.env.PATH = '/changed';",
        '  expect(process.env.CIF_GUARD_ADDED).toBeDefined();',
        '});',
        '',
      ].join('\n'),
    );
    await writeFile(
      join(scratch, 'restores.test.mjs'),
      [
        "import { afterEach, expect, it, vi } from 'vitest';",
        'afterEach(() => vi.unstubAllEnvs());',
        "it('stubs a variable and lets vitest put it back', () => {",
        "  vi.stubEnv('CIF_GUARD_ADDED', 'for this test');",
        "  expect(process.env.CIF_GUARD_ADDED).toBe('for this test');",
        '});',
        '',
      ].join('\n'),
    );
  });

  afterAll(async () => {
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  it('fails a test file that leaves process.env changed, naming the variables', async () => {
    const run = await vitest('leaks.test.mjs');
    const output = run.stdout + run.stderr;
    expect(run.code, output).not.toBe(0);
    expect(output).toContain('this test file left process.env changed: CIF_GUARD_ADDED, PATH');
  });

  it('passes a test file that restores what it changed', async () => {
    const run = await vitest('restores.test.mjs');
    expect(run.code, run.stdout + run.stderr).toBe(0);
  });
});
