// The import rules are enforced: `npm run lint` runs dependency-cruiser with
// .dependency-cruiser.cjs over the whole tree, and that tree follows them. Shown to bite on a
// scratch tree (outside the repository) with deliberately wrong imports: the domain importing a
// cloud, a lower layer importing a higher one, a cycle, the emulator borrowing from lib, zod
// imported around lib/schema.

import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runChild } from '../support/child.js';

const root = resolve(import.meta.dirname, '../..');
const depcruise = join(root, 'node_modules', '.bin', 'depcruise');
const config = join(root, '.dependency-cruiser.cjs');

const cruise = (cwd: string, paths: string[]) =>
  runChild(depcruise, [...paths, '--config', config, '--output-type', 'err'], {
    cwd,
    env: { PATH: process.env.PATH ?? '' },
    timeoutMs: 120_000,
  });

describe('the layer rules', () => {
  let scratch: string;

  const write = async (files: Record<string, string>) => {
    for (const [path, text] of Object.entries(files)) {
      await mkdir(dirname(join(scratch, path)), { recursive: true });
      await writeFile(join(scratch, path), text);
    }
  };

  beforeAll(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'cif-layers-'));
    await write({
      'tsconfig.json': JSON.stringify({
        compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', strict: true },
      }),
      'package.json': '{"type":"module"}',
      'lib/errors/errors.ts': 'export const fault = 1;\n',
      'lib/providers/registry.ts':
        "import { fault } from '../errors/errors.js';\nexport const clouds = [fault];\n",
      'lib/images/wrong.ts':
        "import { clouds } from '../providers/registry.js';\nexport const bad = clouds;\n",
      'lib/http/upward.ts': "import { bad } from '../images/wrong.js';\nexport const up = bad;\n",
      'lib/signing/a.ts': "import { b } from './b.js';\nexport const a = () => b;\n",
      'lib/signing/b.ts': "import { a } from './a.js';\nexport const b = () => a;\n",
      'lib/images/classic.ts': "import * as z from 'zod';\nexport const name = z.string();\n",
      'emulator/server.ts':
        "import { fault } from '../lib/errors/errors.js';\nexport const s = fault;\n",
    });
  });

  afterAll(async () => {
    await rm(scratch, { recursive: true, force: true });
  });

  it('the repository follows them (what npm run lint checks)', async () => {
    const result = await cruise(root, ['lib', 'functions', 'emulator', 'bench', 'scripts', 'test']);
    expect(result.stdout + result.stderr).toContain('no dependency violations found');
    expect(result.code).toBe(0);
  });

  it('a wrong import fails, naming the rule it breaks', async () => {
    const result = await cruise(scratch, ['lib', 'emulator']);
    const report = result.stdout + result.stderr;
    expect(result.code).not.toBe(0);
    expect(report).toMatch(/layer-images: lib\/images\/wrong\.ts → lib\/providers\/registry\.ts/);
    expect(report).toMatch(/layer-http: lib\/http\/upward\.ts → lib\/images\/wrong\.ts/);
    expect(report).toMatch(/no-cycles: lib\/signing\/a\.ts/);
    expect(report).toMatch(/emulator-stands-alone: emulator\/server\.ts → lib\/errors\/errors\.ts/);
    expect(report).toMatch(/zod-through-lib-schema: lib\/images\/classic\.ts → zod/);
  });
});
