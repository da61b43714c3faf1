// A bug's stack in its log line names our sources even when Node maps nothing itself (no
// --enable-source-maps): the bundle's own `.map` is read when a stack is logged. Run in a plain
// child `node` against an esbuild bundle with its map, as a deployed function would be.

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runChild } from '../support/child.js';

const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));
let work: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'cif-mapped-stack-'));
  // The throw is on line 4, column 9 of its source.
  await writeFile(
    join(work, 'fails.ts'),
    [
      '// A function that is a bug.',
      'export const fail = (): never => {',
      '  const why = "boom";',
      '  throw new Error(why);',
      '};',
      '',
    ].join('\n'),
  );
  await writeFile(
    join(work, 'entry.ts'),
    [
      `import { mappedStack } from ${JSON.stringify(join(root, 'lib', 'log', 'mapped-stack.ts'))};`,
      `import { fail } from './fails.js';`,
      'try {',
      '  fail();',
      '} catch (error) {',
      '  process.stdout.write(JSON.stringify({ raw: (error as Error).stack, mapped: mappedStack(error), none: mappedStack("text") }));',
      '}',
      '',
    ].join('\n'),
  );
  await build({
    entryPoints: [join(work, 'entry.ts')],
    outfile: join(work, 'bundle', 'index.mjs'),
    bundle: true,
    minify: true,
    sourcemap: true,
    sourcesContent: false,
    format: 'esm',
    platform: 'node',
    logLevel: 'warning',
  });
}, 60_000);

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

const run = async (nodeOptions: string) => {
  const result = await runChild(process.execPath, [join(work, 'bundle', 'index.mjs')], {
    env: { PATH: process.env.PATH ?? '', NODE_OPTIONS: nodeOptions },
    timeoutMs: 30_000,
  });
  expect(result.stderr).toBe('');
  return JSON.parse(result.stdout) as { raw: string; mapped: string; none?: string };
};

describe('mappedStack', () => {
  it('maps the frames of a minified bundle to the source, line and column, from the bundle map', async () => {
    const { raw, mapped, none } = await run('');

    const bundleUrl = pathToFileURL(join(work, 'bundle', 'index.mjs')).href;
    expect(raw).toContain(bundleUrl);
    expect(mapped.split('\n')[0]).toBe('Error: boom');
    expect(mapped).toContain(`${join(work, 'fails.ts')}:4:9`);
    expect(mapped).not.toContain(bundleUrl);
    // Frames of Node itself are left as they are.
    expect(mapped.split('\n').length).toBe(raw.split('\n').length);
    expect(none).toBeUndefined();
  });

  it('leaves a stack Node already mapped (--enable-source-maps) as it is', async () => {
    const { raw, mapped } = await run('--enable-source-maps');

    expect(raw).toContain(`${join(work, 'fails.ts')}:4:`);
    expect(mapped).toBe(raw);
  });
});
