// How people get `cloud-images`: `npx cloud-images` in a checkout with the machine's own Node
// (older than 22 here: the launcher runs it under Node 24 from .tools/), and the packed tarball
// (`npm run pack:cli`) installed into an empty folder with no registry, run with `npx`.

import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SEEDED } from '../../emulator/demo.js';
import { runChild } from '../support/child.js';
import { useFixture } from '../support/fixture.js';
import { bareEnv, root } from './cli-child.js';

const fixture = useFixture({ demoEnv: false });

let work: string;

/** PATH as the machine has it: without the Node 24 and node_modules/.bin that npm scripts add. */
const machinePath = (): string =>
  (process.env.PATH ?? '')
    .split(delimiter)
    .filter((entry) => !entry.includes(join('.tools', 'node24')) && !entry.includes('node_modules'))
    .join(delimiter);

/** No registry: everything must come from the checkout, the tarball or npm's cache. */
const offline = { npm_config_offline: 'true', npm_config_audit: 'false', npm_config_fund: 'false' };

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'cloud-images-package-'));
});

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe('npx cloud-images', () => {
  it("runs in the checkout with the machine's own node and npx", async () => {
    const machineNode = await runChild('node', ['--version'], {
      env: bareEnv({ PATH: machinePath() }),
    });

    const run = await runChild(
      'npx',
      ['cloud-images', '--emulator', fixture.url, 'show', 'bcc', SEEDED.bcc.custom, '--json'],
      { cwd: root, env: bareEnv({ ...offline, PATH: machinePath() }), timeoutMs: 120_000 },
    );

    expect(machineNode.code).toBe(0);
    expect(run.code, `${machineNode.stdout}${run.stderr}`).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ image: { id: SEEDED.bcc.custom } });
  });

  it('runs from the packed tarball installed with no registry and no dependency', async () => {
    const packed = await runChild(
      process.execPath,
      ['--import', 'tsx', 'bin/build-cli.ts', '--pack', '--outdir', join(work, 'out')],
      { cwd: root, env: bareEnv(), timeoutMs: 120_000 },
    );
    expect(packed.code, packed.stderr).toBe(0);
    const tarball =
      packed.stdout
        .trim()
        .split('\n')
        .at(-1)
        ?.replace(/: \d+ KiB$/, '') ?? '';
    expect(tarball).toMatch(/cloud-image-functions-cli-\d+\.\d+\.\d+\.tgz$/);

    const listing = await promisify(execFile)('tar', ['-tzf', tarball]);
    expect(listing.stdout.trim().split('\n').sort()).toEqual([
      'package/README.md',
      'package/bin/cloud-images.mjs',
      'package/dist/cli/cloud-images.mjs',
      'package/package.json',
    ]);

    const app = join(work, 'app');
    await mkdir(app);
    await writeFile(join(app, 'package.json'), '{"private": true}\n');
    // This test's Node 24 first on PATH: npm, npx and the bin's `#!/usr/bin/env node` use it.
    const path = [dirname(process.execPath), machinePath()].join(delimiter);
    const installed = await runChild('npm', ['install', tarball], {
      cwd: app,
      env: bareEnv({ ...offline, PATH: path }),
      timeoutMs: 120_000,
    });
    expect(installed.code, installed.stderr).toBe(0);
    expect(installed.stdout).toMatch(/added 1 package/);

    const shown = await runChild(
      'npx',
      ['cloud-images', 'show', 'modelarts', SEEDED.modelarts.builtIn, '--json'],
      { cwd: app, env: bareEnv({ ...offline, PATH: path, CLOUD_IMAGES_EMULATOR: fixture.url }) },
    );
    const deleted = await runChild(
      'npx',
      ['cloud-images', 'delete', 'bcc', SEEDED.bcc.custom, '--yes', '--json'],
      { cwd: app, env: bareEnv({ ...offline, PATH: path, CLOUD_IMAGES_EMULATOR: fixture.url }) },
    );
    const protectedImage = await runChild(
      'npx',
      ['cloud-images', 'delete', 'bcc', SEEDED.bcc.system, '--yes'],
      { cwd: app, env: bareEnv({ ...offline, PATH: path, CLOUD_IMAGES_EMULATOR: fixture.url }) },
    );

    expect(shown.code, shown.stderr).toBe(0);
    expect(JSON.parse(shown.stdout)).toMatchObject({ image: { kind: 'system' } });
    expect(deleted.code, deleted.stderr).toBe(0);
    expect(JSON.parse(deleted.stdout)).toMatchObject({ outcome: 'deleted' });
    expect(protectedImage.code).toBe(11);
    expect(protectedImage.stderr).toMatch(/^ImageProtected: /);
  });
});
