// Builds the command line for use outside a checkout.
//
//   node --import tsx bin/build-cli.ts          dist/cli/cloud-images.mjs: one file, every dependency inside
//   node --import tsx bin/build-cli.ts --pack   also dist/cloud-image-functions-cli-<version>.tgz
//   ... --outdir DIR                            DIR instead of dist/ (tests build into a temp dir)
//
// The tarball is a package of its own (`cloud-image-functions-cli`, bin `cloud-images`): the
// launcher bin/cloud-images.mjs and the bundle, and a package.json that declares no dependency.
// Packing the project itself would declare every dependency of the functions, which npm would
// then fetch (and cannot offline) although the bundle needs none of them.

import { execFile } from 'node:child_process';
import { copyFile, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { build } from 'esbuild';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
const outdirAt = process.argv.indexOf('--outdir');
const outdir = outdirAt > 0 ? resolve(process.argv[outdirAt + 1] ?? 'dist') : join(root, 'dist');
const bundle = join(outdir, 'cli', 'cloud-images.mjs');
const packageDir = join(outdir, 'cli-package');

const shown = (file: string): string => (file.startsWith(`${root}/`) ? relative(root, file) : file);

const kib = async (file: string): Promise<string> =>
  `${((await stat(file)).size / 1024).toFixed(0)} KiB`;

await build({
  entryPoints: [join(root, 'bin', 'cloud-images.ts')],
  outfile: bundle,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node22',
  mainFields: ['module', 'main'],
  minify: true,
  legalComments: 'none',
  // As the functions' bundles (serverless.yml): keeps undici's unused experimental parser out.
  define: { esbuildDetection: 'true' },
  // CommonJS dependencies (undici, the AWS SDK) call require(): give the ESM bundle one.
  banner: {
    js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
  },
  logLevel: 'warning',
});
console.log(`${shown(bundle)}: ${await kib(bundle)}`);

if (process.argv.includes('--pack')) {
  const project = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as {
    version: string;
    license?: string;
  };
  await rm(packageDir, { recursive: true, force: true });
  await mkdir(join(packageDir, 'bin'), { recursive: true });
  await mkdir(join(packageDir, 'dist', 'cli'), { recursive: true });
  // The same layout as the checkout: the launcher finds the bundle at ../dist/cli/.
  await copyFile(
    join(root, 'bin', 'cloud-images.mjs'),
    join(packageDir, 'bin', 'cloud-images.mjs'),
  );
  await copyFile(bundle, join(packageDir, 'dist', 'cli', 'cloud-images.mjs'));
  await copyFile(join(root, 'README.md'), join(packageDir, 'README.md'));
  const manifest = {
    name: 'cloud-image-functions-cli',
    version: project.version,
    private: true,
    description:
      'cloud-images: show and delete machine images at Huawei Cloud ModelArts and Baidu BCC from a terminal (the cloud-image-functions operations).',
    type: 'module',
    engines: { node: '>=22.12' },
    bin: { 'cloud-images': 'bin/cloud-images.mjs' },
    files: ['bin/', 'dist/'],
  };
  await writeFile(join(packageDir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  const { stdout } = await promisify(execFile)(
    'npm',
    ['pack', packageDir, '--pack-destination', outdir, '--silent'],
    { cwd: root },
  );
  const tarball = join(outdir, stdout.trim().split('\n').at(-1) ?? '');
  // The last line names the tarball (test/cli reads it).
  console.log(`${shown(tarball)}: ${await kib(tarball)}`);
}
