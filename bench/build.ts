// Everything the bench runs, built once per run into a temporary folder: the function bundles
// exactly as `npm run build` makes them (scripts/build.ts, serverless.yml's esbuild options), the
// naive and unsplit variants, the floors (the probe alone, undici, node:http, zod, zod/mini), the
// warm harness and the queue worker (same esbuild options), and unminified builds for profiles. With `refs`, the show and delete functions of other commits too
// (each built by its own scripts/build.ts), so that a change's share is measured in the same run.

import { execFile } from 'node:child_process';
import { mkdir, readdir, readFile, symlink } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { type BuildOptions, build, type Metafile } from 'esbuild';
import {
  buildBundles,
  esbuildOptions,
  initialBytes,
  outputOptions,
  readServiceDefinition,
  root,
  type ServiceDefinition,
  totalBytes,
} from '../scripts/build.js';

const run = promisify(execFile);

export interface Bundle {
  name: string;
  file: string;
  bytes: number;
  gzipBytes: number;
  /** Bytes in the entry per source package (node_modules/<pkg>) or own folder, largest first. */
  composition: Array<{ source: string; bytes: number }>;
  /** The entry and the chunks it imports statically: what is compiled during INIT. */
  initialBytes: number;
  /** The entry and every chunk (the lazily loaded ones too). */
  totalBytes: number;
}

export const packageOf = (input: string): string => {
  const parts = input.split('/');
  const at = parts.lastIndexOf('node_modules');
  if (at >= 0) {
    const scoped = parts[at + 1]?.startsWith('@') === true;
    return parts.slice(at + 1, at + (scoped ? 3 : 2)).join('/');
  }
  return parts.length > 1 ? `${parts[0]}/` : (parts[0] ?? input);
};

const composition = (metafile: Metafile): Bundle['composition'] => {
  const outputs = Object.entries(metafile.outputs);
  const output = (outputs.find(([path]) => path.endsWith('/index.mjs')) ??
    outputs.find(([, entry]) => entry.entryPoint !== undefined))?.[1];
  const groups = new Map<string, number>();
  for (const [input, { bytesInOutput }] of Object.entries(output?.inputs ?? {})) {
    const source = packageOf(input);
    groups.set(source, (groups.get(source) ?? 0) + bytesInOutput);
  }
  return [...groups]
    .map(([source, bytes]) => ({ source, bytes }))
    .sort((a, b) => b.bytes - a.bytes);
};

const describe = async (name: string, file: string, metafile: Metafile): Promise<Bundle> => {
  const code = await readFile(file);
  return {
    name,
    file,
    bytes: code.length,
    gzipBytes: gzipSync(code, { level: 9 }).length,
    composition: composition(metafile),
    initialBytes: Math.max(initialBytes(metafile, relative(root, file)), code.length),
    totalBytes: Math.max(totalBytes(metafile), code.length),
  };
};

const variantEntry = (file: string): string =>
  fileURLToPath(new URL(`./variants/${file}`, import.meta.url));

export const SHOW_ENTRY = join(root, 'functions', 'http', 'show-image.ts');
export const DELETE_ENTRY = join(root, 'functions', 'http', 'delete-image.ts');

export interface Variant {
  name: string;
  /** What it is, for the report. */
  description: string;
  entry: string;
  extra: (options: BuildOptions) => BuildOptions;
}

/**
 * Variants, all with the functions' esbuild options: the comparisons the issue asks for (naive,
 * unsplit) and the floors. (The what-ifs that left yaml and lib/retirement out of the show's start
 * went when the show stopped loading them: they measured run-to-run noise.)
 */
export const VARIANTS: readonly Variant[] = [
  {
    name: 'naive show',
    description:
      'the show handler plus what eager code does at module scope: undici (whole), zod, middy and the Secrets Manager client imported and instantiated during INIT',
    entry: variantEntry('naive-show-image.ts'),
    extra: (options) => options,
  },
  {
    name: 'unsplit show',
    description: 'the show function without code splitting: every lazily imported client inlined',
    entry: SHOW_ENTRY,
    extra: (options) => ({ ...options, splitting: false }),
  },
  {
    name: 'unsplit delete',
    description: 'the delete function without code splitting',
    entry: DELETE_ENTRY,
    extra: (options) => ({ ...options, splitting: false }),
  },
  {
    name: 'floor: the probe alone',
    description:
      'an empty module imported through the cold probe: what the probe (file entry, ESM loader) costs over `node -e`',
    entry: variantEntry('floor-probe.ts'),
    extra: (options) => options,
  },
  {
    name: 'floor: undici',
    description: "undici's Agent and request API (by module path) and one GET, nothing else",
    entry: variantEntry('floor-undici.ts'),
    extra: (options) => options,
  },
  {
    name: 'floor: node:http',
    description: "Node's own HTTP client (required, keep-alive agent) and one GET, nothing else",
    entry: variantEntry('floor-node-http.ts'),
    extra: (options) => options,
  },
  {
    name: 'floor: zod',
    description: 'zod, one object schema built and one reply parsed, nothing else',
    entry: variantEntry('floor-zod.ts'),
    extra: (options) => options,
  },
  {
    name: 'floor: zod/mini',
    description: "the zod floor's schema and parse written with zod/mini (zod's functional API)",
    entry: variantEntry('floor-zod-mini.ts'),
    extra: (options) => options,
  },
  {
    name: 'floor: undici + zod',
    description: 'both floors in one process',
    entry: variantEntry('floor-undici-zod.ts'),
    extra: (options) => options,
  },
];

export interface Built {
  /** The deployable functions (name = serverless.yml's function name). */
  functions: Bundle[];
  variants: Bundle[];
  /** bench/probe/warm-harness.ts with the functions' esbuild options. */
  harness: string;
  /** bench/probe/queue-worker.ts with the functions' esbuild options. */
  queueWorker: string;
  /** bench/probe/inventory-run.ts with the functions' esbuild options. */
  inventoryRunner: string;
  /** Unminified builds, for profiles: the show function, the delete function, the harness. */
  profiling: { show: string; delete: string; harness: string };
  /** Show and delete functions of other commits: `show@<ref>`, `delete@<ref>`. */
  refs: Bundle[];
  /** NODE_OPTIONS of the deployed functions (serverless.yml provider.environment). */
  deployedNodeOptions: string | undefined;
  /** serverless.yml as `osls print` resolves it. */
  definition: DeployedDefinition;
  buildMs: number;
}

export type DeployedDefinition = ServiceDefinition & {
  provider?: { environment?: Record<string, unknown> };
  functions: Record<
    string,
    {
      timeout?: number;
      environment?: Record<string, unknown>;
      events?: Array<{ sqs?: { batchSize?: number; maximumConcurrency?: number } }>;
    }
  >;
};

export const slug = (name: string): string =>
  name
    .replace(/[^a-z0-9]+/gi, '-')
    .replace(/^-|-$/g, '')
    .toLowerCase();

const buildOne = async (
  options: BuildOptions,
  entry: string,
  dir: string,
): Promise<{ file: string; metafile: Metafile }> => {
  await mkdir(dir, { recursive: true });
  const result = await build({
    ...options,
    ...outputOptions(dir),
    absWorkingDir: root,
    entryPoints: [entry],
    metafile: true,
    logLevel: 'warning',
  });
  return { file: join(dir, 'index.mjs'), metafile: result.metafile };
};

/** Where `ref`'s tree is checked out (with this tree's node_modules) for the bench. */
export const refTree = (ref: string, workDir: string): string => join(workDir, 'refs', slug(ref));

/** The show and delete functions of `ref`, built by that commit's own scripts/build.ts. */
const buildRef = async (ref: string, workDir: string): Promise<Bundle[]> => {
  const tree = refTree(ref, workDir);
  await mkdir(tree, { recursive: true });
  await run('sh', ['-c', `git -C "${root}" archive "${ref}" | tar -x -C "${tree}"`]);
  await symlink(join(root, 'node_modules'), join(tree, 'node_modules'));
  const dist = join(tree, 'dist');
  await run(
    process.execPath,
    ['--import', 'tsx', join(tree, 'scripts', 'build.ts'), '--outdir', dist],
    {
      cwd: tree,
      maxBuffer: 16 * 1024 * 1024,
    },
  );
  const bundles: Bundle[] = [];
  for (const [fn, label] of [
    ['httpShowImage', 'show'],
    ['httpDeleteImage', 'delete'],
  ] as const) {
    const metafile = JSON.parse(
      await readFile(join(dist, fn, 'metafile.json'), 'utf8'),
    ) as Metafile;
    // Its metafile's paths are relative to its own tree.
    const file = join(dist, fn, 'index.mjs');
    const code = await readFile(file);
    bundles.push({
      name: `${label}@${ref}`,
      file,
      bytes: code.length,
      gzipBytes: gzipSync(code, { level: 9 }).length,
      composition: composition(metafile),
      initialBytes: Math.max(initialBytes(metafile, relative(tree, file)), code.length),
      totalBytes: Math.max(totalBytes(metafile), code.length),
    });
  }
  return bundles;
};

export const buildAll = async (
  workDir: string,
  options: { existingDist?: string | undefined; refs?: readonly string[]; variants?: boolean },
): Promise<Built> => {
  const started = performance.now();
  const dist = options.existingDist ?? join(workDir, 'dist');
  if (options.existingDist === undefined) await buildBundles(dist);
  const functions: Bundle[] = [];
  for (const name of (await readdir(dist)).sort()) {
    const metafile = JSON.parse(
      await readFile(join(dist, name, 'metafile.json'), 'utf8'),
    ) as Metafile;
    functions.push(await describe(name, join(dist, name, 'index.mjs'), metafile));
  }

  const definition = (await readServiceDefinition()) as DeployedDefinition;
  const esbuild = esbuildOptions(definition);
  const variants: Bundle[] = [];
  for (const variant of options.variants === false ? [] : VARIANTS) {
    const { file, metafile } = await buildOne(
      variant.extra(esbuild),
      variant.entry,
      join(workDir, 'variants', slug(variant.name)),
    );
    variants.push(await describe(variant.name, file, metafile));
  }
  const harness = await buildOne(
    esbuild,
    fileURLToPath(new URL('./probe/warm-harness.ts', import.meta.url)),
    join(workDir, 'harness'),
  );
  const queueWorker = await buildOne(
    esbuild,
    fileURLToPath(new URL('./probe/queue-worker.ts', import.meta.url)),
    join(workDir, 'queue-worker'),
  );
  const inventoryRunner = await buildOne(
    esbuild,
    fileURLToPath(new URL('./probe/inventory-run.ts', import.meta.url)),
    join(workDir, 'inventory-run'),
  );
  const unminified = { ...esbuild, minify: false, sourcemap: false };
  const profiling = {
    show: (await buildOne(unminified, SHOW_ENTRY, join(workDir, 'profile', 'show'))).file,
    delete: (await buildOne(unminified, DELETE_ENTRY, join(workDir, 'profile', 'delete'))).file,
    harness: (
      await buildOne(
        unminified,
        fileURLToPath(new URL('./probe/warm-harness.ts', import.meta.url)),
        join(workDir, 'profile', 'harness'),
      )
    ).file,
  };
  const refs: Bundle[] = [];
  for (const ref of options.refs ?? []) refs.push(...(await buildRef(ref, workDir)));
  const nodeOptions = definition.provider?.environment?.NODE_OPTIONS;
  return {
    functions,
    variants,
    harness: harness.file,
    queueWorker: queueWorker.file,
    inventoryRunner: inventoryRunner.file,
    profiling,
    refs,
    deployedNodeOptions: typeof nodeOptions === 'string' ? nodeOptions : undefined,
    definition,
    buildMs: performance.now() - started,
  };
};
