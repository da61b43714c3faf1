// Section 3 and the import half of 5: bundle sizes and composition, import time of each function
// bundle in fresh `node` processes (minus an empty module), "cold start as a user meets it" (fresh
// process: import + one show against the loopback upstream) against a NAIVE bundle of the same
// code, the official Huawei SDK core's import cost, and what-if variants of the show bundle.

import { spawn } from 'node:child_process';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { type BuildOptions, build, type Metafile, type Plugin } from 'esbuild';
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
import { functionEnv, IMAGE_ID, secretEnv } from './lib/fixtures.js';
import { median } from './lib/stats.js';

const probeScript = fileURLToPath(new URL('./probe/cold-probe.mjs', import.meta.url));

export interface Bundle {
  name: string;
  file: string;
  bytes: number;
  gzipBytes: number;
  /** Bytes in the output per source package (node_modules/<pkg>) or own folder, largest first. */
  composition: Array<{ source: string; bytes: number }>;
  /** The entry and the chunks it imports statically: what is compiled during INIT. */
  initialBytes: number;
  /** With code splitting: the entry file and every chunk together (else equal to `bytes`). */
  totalBytes: number;
}

// ---------------------------------------------------------------------------------------------
// Building

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
  // With code splitting, lazily imported modules are entry points of their own chunks too.
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

/**
 * Points lib/http/transport.ts's undici Agent import at bench/variants/undici-root-agent.cjs, which
 * takes Agent from the package root: the bundle then holds the whole of undici again, as before
 * transport.ts imported Agent and the request API by module path.
 */
const undiciRoot: Plugin = {
  name: 'bench-undici-root',
  setup(pluginBuild) {
    pluginBuild.onResolve({ filter: /^undici\/lib\/dispatcher\/agent\.js$/ }, (args) =>
      args.importer.endsWith(join('lib', 'http', 'transport.ts'))
        ? { path: fileURLToPath(new URL('./variants/undici-root-agent.cjs', import.meta.url)) }
        : undefined,
    );
  },
};

export interface Variant {
  name: string;
  description: string;
  entry: string;
  extra: (options: BuildOptions) => BuildOptions;
}

const withoutSplitting = (options: BuildOptions): BuildOptions => ({
  ...options,
  splitting: false,
});

const withoutDefine = (options: BuildOptions): BuildOptions => {
  const { define: _define, ...rest } = options;
  return rest;
};

const showEntry = join(root, 'functions', 'http', 'show-image.ts');

/**
 * The naive bundle, and what-if builds of the show function that undo this round's bundling
 * changes one by one, so that each one's share is measured in the same run (informative; the
 * targets are measured on the real build).
 */
export const VARIANTS: Variant[] = [
  {
    name: 'naive',
    description:
      'same handler + undici (whole), zod `{ z }`, middy, Secrets Manager client imported and used at module scope; same esbuild options',
    entry: fileURLToPath(new URL('./variants/naive-show-image.ts', import.meta.url)),
    extra: (options) => options,
  },
  {
    name: 'what-if: no code splitting',
    description:
      'the show function without `splitting`: the lazily imported Secrets Manager client is inlined (compiled during INIT)',
    entry: showEntry,
    extra: withoutSplitting,
  },
  {
    name: 'what-if: no splitting, no define',
    description:
      "also without `define: { esbuildDetection }`: undici's experimental Milo parser is bundled again",
    entry: showEntry,
    extra: (options) => withoutDefine(withoutSplitting(options)),
  },
  {
    name: 'before: undici root, no define, no splitting',
    description:
      'also with Agent from the undici package root (fetch, WebSocket, caches, mocks... bundled): the bundling of the previous round',
    entry: showEntry,
    extra: (options) => ({
      ...withoutDefine(withoutSplitting(options)),
      plugins: [...(options.plugins ?? []), undiciRoot],
    }),
  },
];

export interface Built {
  functions: Bundle[];
  variants: Bundle[];
  /**
   * Unminified, map-less builds for profiling: the show function, the naive variant,
   * bench/probe/warm-harness.ts. Time in chunks (none is loaded with environment credentials but
   * a 1 KiB helper chunk) counts as "other".
   */
  forProfile: Bundle[];
  /** NODE_OPTIONS of the deployed functions (serverless.yml provider.environment). */
  deployedNodeOptions: string | undefined;
  buildMs: number;
}

const variantFile = (dir: string, name: string): string =>
  join(dir, name.replace(/[^a-z0-9]+/gi, '-').replace(/^-|-$/g, ''), 'index.mjs');

/**
 * The function bundles exactly as `npm run build` makes them (scripts/build.ts), or those already
 * in `existingDist`, plus the naive and what-if variants with the same esbuild options.
 */
export const buildAll = async (workDir: string, existingDist?: string): Promise<Built> => {
  const started = performance.now();
  const dist = existingDist ?? join(workDir, 'dist');
  if (existingDist === undefined) await buildBundles(dist);
  const functions: Bundle[] = [];
  for (const name of (await readdir(dist)).sort()) {
    const file = join(dist, name, 'index.mjs');
    const metafile = JSON.parse(await readFile(join(dist, name, 'metafile.json'), 'utf8'));
    functions.push(await describe(name, file, metafile as Metafile));
  }

  const definition: ServiceDefinition & {
    provider?: { environment?: Record<string, unknown> };
  } = await readServiceDefinition();
  const options = esbuildOptions(definition);
  const variants: Bundle[] = [];
  for (const variant of VARIANTS) {
    const outfile = variantFile(join(workDir, 'variants'), variant.name);
    await mkdir(join(outfile, '..'), { recursive: true });
    const result = await build({
      ...variant.extra(options),
      ...outputOptions(join(outfile, '..')),
      absWorkingDir: root,
      entryPoints: [variant.entry],
      metafile: true,
      logLevel: 'warning',
    });
    variants.push(await describe(variant.name, outfile, result.metafile));
  }
  const forProfile: Bundle[] = [];
  for (const [name, entry] of [
    ['httpShowImage', showEntry],
    ['naive', VARIANTS[0]?.entry ?? showEntry],
    ['warm-harness', fileURLToPath(new URL('./probe/warm-harness.ts', import.meta.url))],
  ] as const) {
    const outfile = variantFile(join(workDir, 'profile'), name);
    await mkdir(join(outfile, '..'), { recursive: true });
    const result = await build({
      ...options,
      ...outputOptions(join(outfile, '..')),
      minify: false,
      sourcemap: false,
      absWorkingDir: root,
      entryPoints: [entry],
      metafile: true,
      logLevel: 'warning',
    });
    forProfile.push(await describe(name, outfile, result.metafile));
  }
  const nodeOptions = definition.provider?.environment?.NODE_OPTIONS;
  return {
    functions,
    variants,
    forProfile,
    deployedNodeOptions: typeof nodeOptions === 'string' ? nodeOptions : undefined,
    buildMs: performance.now() - started,
  };
};

// ---------------------------------------------------------------------------------------------
// Probing

interface ProbeOutput {
  importMs: number;
  showMs: number;
  coldMs: number;
  sinceStartMs: number;
}

export interface ProbeResult extends ProbeOutput {
  /** Spawn to exit, as the parent sees it. */
  wallMs: number;
}

export interface Subject {
  id: string;
  mode: 'import' | 'show';
  targets: string[];
  nodeArgs?: string[];
  /** Instead of the environment given to probeAll. */
  env?: Record<string, string>;
}

export const runProbe = (
  subject: Subject,
  env: Record<string, string>,
  extraArgs: string[] = [],
): Promise<ProbeResult> =>
  new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(
      process.execPath,
      [...(subject.nodeArgs ?? []), ...extraArgs, probeScript, subject.mode, ...subject.targets],
      { cwd: root, env: subject.env ?? env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const wallMs = performance.now() - started;
      const line = stdout.split('\n').find((text) => text.startsWith('@@probe '));
      if (code !== 0 || line === undefined) {
        reject(
          new Error(
            `probe ${subject.id} exited ${code}:\n${stderr.trim().slice(0, 2000)}\n${stdout.trim().slice(0, 1000)}`,
          ),
        );
        return;
      }
      resolve({ ...(JSON.parse(line.slice(8)) as ProbeOutput), wallMs });
    });
  });

export interface SubjectSummary {
  id: string;
  mode: 'import' | 'show';
  processes: number;
  medianImportMs: number;
  medianColdMs: number;
  medianSinceStartMs: number;
  medianWallMs: number;
  samples: ProbeResult[];
}

/**
 * `rounds` rounds; in each, every subject once, in an order rotated per round, one process at a
 * time, so that machine load hits every subject alike.
 */
export const probeAll = async (
  subjects: readonly Subject[],
  rounds: number,
  env: Record<string, string>,
  onRound?: (round: number) => void,
): Promise<Map<string, SubjectSummary>> => {
  const samples = new Map<string, ProbeResult[]>(subjects.map((subject) => [subject.id, []]));
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < subjects.length; i++) {
      const subject = subjects[(i + round) % subjects.length] as Subject;
      samples.get(subject.id)?.push(await runProbe(subject, env));
    }
    onRound?.(round);
  }
  return new Map(
    subjects.map((subject) => {
      const results = samples.get(subject.id) ?? [];
      return [
        subject.id,
        {
          id: subject.id,
          mode: subject.mode,
          processes: results.length,
          medianImportMs: median(results.map((result) => result.importMs)),
          medianColdMs: median(results.map((result) => result.coldMs)),
          medianSinceStartMs: median(results.map((result) => result.sinceStartMs)),
          medianWallMs: median(results.map((result) => result.wallMs)),
          samples: results,
        },
      ];
    }),
  );
};

/**
 * The environment of a probe: PATH, the function's variables, and NODE_OPTIONS if given. With
 * `credentials: 'secret'`, the deployed configuration: credentials from the Secrets Manager secret
 * the loopback upstream serves, instead of the providers' environment variables.
 */
export const probeEnv = (
  origin: string,
  nodeOptions?: string,
  credentials: 'environment' | 'secret' = 'environment',
): Record<string, string> => ({
  PATH: process.env.PATH ?? '',
  ...(credentials === 'secret' ? secretEnv(origin) : functionEnv(origin)),
  BENCH_IMAGE_ID: IMAGE_ID,
  ...(nodeOptions === undefined ? {} : { NODE_OPTIONS: nodeOptions }),
});

/** Whether a module loads at all in a fresh process; the error's first line when it does not. */
export const loadsCleanly = async (
  specifier: string,
  env: Record<string, string>,
): Promise<string | undefined> => {
  try {
    await runProbe({ id: specifier, mode: 'import', targets: [specifier] }, env);
    return undefined;
  } catch (error) {
    const text = error instanceof Error ? error.message : String(error);
    return (
      text
        .split('\n')
        .map((line) => line.trim())
        .find((line) => /^[A-Za-z]*Error(?: \[\w+\])?: /.test(line)) ?? text.split('\n')[0]
    );
  }
};

export const writeJson = (file: string, value: unknown): Promise<void> =>
  writeFile(file, `${JSON.stringify(value, null, 2)}\n`);
