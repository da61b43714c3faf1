// `npm run build`: bundles every function in serverless.yml into dist/<function>/index.mjs with the
// esbuild options of serverless.yml's `custom.esbuild` (the ones serverless-esbuild uses when
// packaging), then prints each bundle's size, raw and gzipped, and writes esbuild's metafile
// next to it (dist/<function>/metafile.json, for https://esbuild.github.io/analyze/).
//
// With code splitting on (`splitting: true`), modules that are only imported dynamically (the
// Secrets Manager client) go to chunks in dist/<function>/chunks/: each function's folder holds
// everything it loads, as its zip does. The size report then also gives what is loaded at start
// (the entry and the chunks it imports statically) and the total with the lazily loaded chunks.
//
// serverless.yml is the one list of functions and the one set of bundling options: they are read
// with `osls print`, which resolves the file's variables without calling AWS.
//
//   node --import tsx scripts/build.ts [--outdir DIR]

import { execFile } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { type BuildOptions, build, type Metafile, type Plugin } from 'esbuild';

export const root = resolve(fileURLToPath(new URL('..', import.meta.url)));

/** The osls CLI's script, run with this Node rather than whatever `node` is first on PATH. */
export const oslsScript = (): string => realpathSync(join(root, 'node_modules', '.bin', 'osls'));

interface FunctionDefinition {
  handler?: string;
}

export interface ServiceDefinition {
  service: string;
  functions: Record<string, FunctionDefinition>;
  custom?: { esbuild?: Record<string, unknown> };
}

/** serverless.yml with its variables resolved, as `osls print` shows it. */
export const readServiceDefinition = async (
  env: NodeJS.ProcessEnv = process.env,
): Promise<ServiceDefinition> => {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [oslsScript(), 'print', '--format', 'json'],
    { cwd: root, env, maxBuffer: 16 * 1024 * 1024 },
  );
  const start = stdout.indexOf('{');
  if (start < 0) throw new Error(`osls print printed no JSON:\n${stdout}`);
  return JSON.parse(stdout.slice(start)) as ServiceDefinition;
};

// Options of serverless-esbuild itself, not of esbuild (serverless-esbuild strips the same ones).
const pluginOnlyOptions = new Set([
  'concurrency',
  'zipConcurrency',
  'exclude',
  'nativeZip',
  'packager',
  'packagePath',
  'watch',
  'keepOutputDirectory',
  'packagerOptions',
  'installExtraArgs',
  'outputFileExtension',
  'outputBuildFolder',
  'outputWorkFolder',
  'nodeExternals',
  'skipBuild',
  'skipRebuild',
  'skipBuildExcludeFns',
  'stripEntryResolveExtensions',
  'disposeContext',
  'config',
]);

/** esbuild options from serverless.yml's custom.esbuild, minus serverless-esbuild's own. */
export const esbuildOptions = (definition: ServiceDefinition): BuildOptions => {
  const custom = definition.custom?.esbuild ?? {};
  const options: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(custom)) {
    if (!pluginOnlyOptions.has(key)) options[key] = value;
  }
  const exclude = Array.isArray(custom.exclude) ? (custom.exclude as string[]) : ['aws-sdk'];
  const external = Array.isArray(custom.external) ? (custom.external as string[]) : [];
  options.external = [...external, ...exclude.filter((name) => name !== '*')];
  // serverless-esbuild's `plugins` is a file, relative to serverless.yml, exporting the plugins.
  if (typeof custom.plugins === 'string') {
    options.plugins = createRequire(import.meta.url)(join(root, custom.plugins)) as Plugin[];
  }
  return options as BuildOptions;
};

export interface BundleEntry {
  /** The function's name in serverless.yml. */
  name: string;
  /** Its handler source file, relative to the repository. */
  entry: string;
  /** The exported handler's name. */
  exportName: string;
}

const sourceExtensions = ['.ts', '.mts', '.js', '.mjs'];

/** The functions of serverless.yml with the source file of each handler. */
export const bundleEntries = (definition: ServiceDefinition): BundleEntry[] =>
  Object.entries(definition.functions).map(([name, fn]) => {
    const handler = fn.handler;
    if (handler === undefined) throw new Error(`function ${name} has no handler`);
    const dot = handler.lastIndexOf('.');
    const base = handler.slice(0, dot);
    const found = sourceExtensions
      .map((ext) => base + ext)
      .find((file) => existsSync(join(root, file)));
    if (found === undefined)
      throw new Error(`function ${name}: no source file for handler ${handler}`);
    return { name, entry: found, exportName: handler.slice(dot + 1) };
  });

export interface BuiltBundle extends BundleEntry {
  file: string;
  bytes: number;
  gzipBytes: number;
  /** The entry and every chunk it imports statically: what is compiled during INIT. */
  initialBytes: number;
  /** Every output file of the function (code, not maps), the lazily loaded chunks included. */
  totalBytes: number;
}

/** Code output files (not source maps) of a build, by path relative to `root`. */
const codeOutputs = (metafile: Metafile): Map<string, Metafile['outputs'][string]> =>
  new Map(
    Object.entries(metafile.outputs).filter(
      ([path]) => path.endsWith('.mjs') || path.endsWith('.js'),
    ),
  );

/** Bytes of `entry` and of every output it imports statically, transitively. */
export const initialBytes = (metafile: Metafile, entry: string): number => {
  const outputs = codeOutputs(metafile);
  const seen = new Set<string>();
  const visit = (path: string): number => {
    const output = outputs.get(path);
    if (output === undefined || seen.has(path)) return 0;
    seen.add(path);
    return (
      output.bytes +
      output.imports
        .filter((found) => found.kind === 'import-statement' && found.external !== true)
        .reduce((sum, found) => sum + visit(found.path), 0)
    );
  };
  return visit(entry);
};

/** Bytes of every code output of the build. */
export const totalBytes = (metafile: Metafile): number =>
  [...codeOutputs(metafile).values()].reduce((sum, output) => sum + output.bytes, 0);

/**
 * Where esbuild writes one function: dist/<function>/index.<ext>, chunks (if splitting) under
 * dist/<function>/chunks/. serverless.yml's own `chunkNames` is relative to serverless-esbuild's
 * per-folder outdir (functions/http, functions/task, ...) and is not used here.
 */
export const outputOptions = (dir: string): BuildOptions => ({
  outdir: dir,
  entryNames: 'index',
  chunkNames: 'chunks/[name]-[hash]',
  outExtension: { '.js': '.mjs' },
});

export const buildBundles = async (outDir: string): Promise<BuiltBundle[]> => {
  const definition = await readServiceDefinition();
  const options = esbuildOptions(definition);
  const entries = bundleEntries(definition);
  await rm(outDir, { recursive: true, force: true });
  return Promise.all(
    entries.map(async (entry): Promise<BuiltBundle> => {
      const dir = join(outDir, entry.name);
      await mkdir(dir, { recursive: true });
      const file = join(dir, 'index.mjs');
      const result = await build({
        ...options,
        ...outputOptions(dir),
        absWorkingDir: root,
        entryPoints: [join(root, entry.entry)],
        metafile: true,
        logLevel: 'warning',
      });
      await writeFile(join(dir, 'metafile.json'), JSON.stringify(result.metafile));
      const code = await readFile(file);
      return {
        ...entry,
        file,
        bytes: code.length,
        gzipBytes: gzipSync(code, { level: 9 }).length,
        initialBytes: initialBytes(result.metafile, relative(root, file)),
        totalBytes: totalBytes(result.metafile),
      };
    }),
  );
};

const kib = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KiB`;

const main = async (): Promise<void> => {
  const at = process.argv.indexOf('--outdir');
  const outDir = resolve(
    at >= 0 && process.argv[at + 1] ? (process.argv[at + 1] ?? 'dist') : join(root, 'dist'),
  );
  const started = performance.now();
  const bundles = await buildBundles(outDir);
  const width = Math.max(...bundles.map((bundle) => relative(process.cwd(), bundle.file).length));
  for (const bundle of bundles) {
    const chunks =
      bundle.totalBytes > bundle.bytes
        ? `; at start ${kib(bundle.initialBytes)}, with lazy chunks ${kib(bundle.totalBytes)}`
        : '';
    console.log(
      `${relative(process.cwd(), bundle.file).padEnd(width)}  ${kib(bundle.bytes).padStart(10)}  ${kib(bundle.gzipBytes).padStart(10)} gzipped  (${bundle.entry}${chunks})`,
    );
  }
  console.log(`built ${bundles.length} bundles in ${Math.round(performance.now() - started)} ms`);
};

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((error: unknown) => {
    // esbuild has already printed its errors in full.
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  });
}
