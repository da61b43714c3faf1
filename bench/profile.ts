// Where the time goes, from V8 CPU profiles of unminified builds: esbuild marks each module of an
// unminified bundle with a `// path` comment, and V8's per-line ticks then say which module the time
// was spent in, even for ESM code that esbuild hoisted to the bundle's top level. Chunks (the
// lazily loaded AWS SDK) are read the same way. Self time outside the bundle is reported by V8
// category ((program), (garbage collector), …) or as Node internals (node:<module>).

import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { packageOf } from './build.js';
import { runProbe, type Subject } from './cold.js';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  positionTicks?: Array<{ line: number; ticks: number }>;
}

export interface CpuProfile {
  nodes: ProfileNode[];
  samples?: number[];
  timeDeltas?: number[];
}

/** The source of every line of an unminified esbuild bundle: own files by path, packages by name. */
export const lineSources = (code: string, ownFiles: boolean): string[] => {
  let current = '(bundle prelude)';
  return code.split('\n').map((line) => {
    const marker = /^\/\/ ((?:node_modules|lib|functions|bench|emulator|test|scripts)\/\S+)$/.exec(
      line,
    );
    if (marker?.[1] !== undefined) {
      current =
        ownFiles && !marker[1].startsWith('node_modules/') ? marker[1] : packageOf(marker[1]);
    }
    return current;
  });
};

/** `node:internal/crypto/hash` → `node:crypto`, `node:internal/modules/esm/loader` → `node:modules`. */
const nodeModuleOf = (url: string): string => {
  const parts = url.replace(/^node:(internal\/)?/, '').split('/');
  return `node:${parts[0] ?? '?'}`;
};

/** Self time in µs per source; `sourcesOf` gives the line sources of a bundle file URL (or none). */
const attribute = (
  profile: CpuProfile,
  sourcesOf: (url: string) => string[] | undefined,
): Map<string, number> => {
  const totals = new Map<string, number>();
  const add = (source: string, us: number) => totals.set(source, (totals.get(source) ?? 0) + us);
  const selfUs = new Map<number, number>();
  (profile.samples ?? []).forEach((id, index) => {
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas?.[index] ?? 0));
  });
  for (const node of profile.nodes) {
    const us = selfUs.get(node.id) ?? 0;
    if (us === 0) continue;
    const { url, functionName, lineNumber } = node.callFrame;
    const sources = url === '' ? undefined : sourcesOf(url);
    if (sources !== undefined) {
      const ticks = node.positionTicks ?? [];
      const total = ticks.reduce((sum, tick) => sum + tick.ticks, 0);
      if (total === 0) add(sources[lineNumber] ?? '?', us);
      for (const tick of ticks) add(sources[tick.line - 1] ?? '?', (us * tick.ticks) / total);
    } else if (url === '') add(functionName || '(anonymous)', us);
    else if (url.startsWith('node:')) add(nodeModuleOf(url), us);
    else add(url.includes('cold-probe') ? 'bench probe' : 'other', us);
  }
  return totals;
};

/**
 * Line sources of every file of one unminified bundle (its entry and the chunks beside it), read
 * once each: code split into chunks (undici, zod, most of lib/) is attributed like the entry's.
 */
export const bundleSources = (
  entry: string,
  ownFiles: boolean,
): {
  sourcesOf: (url: string) => string[] | undefined;
  load: (urls: Iterable<string>) => Promise<void>;
} => {
  const bundleDir = pathToFileURL(join(entry, '..')).href;
  const cache = new Map<string, string[] | undefined>();
  return {
    sourcesOf: (url) => cache.get(url),
    load: async (urls) => {
      for (const url of urls) {
        if (cache.has(url) || !url.startsWith(bundleDir)) continue;
        cache.set(url, lineSources(await readFile(fileURLToPath(url), 'utf8'), ownFiles));
      }
    },
  };
};

/** Self time in µs per own file (and package) of one unminified bundle, its chunks included. */
export const attributeBundle = async (
  profile: CpuProfile,
  entry: string,
  ownFiles: boolean,
): Promise<Map<string, number>> => {
  const sources = bundleSources(entry, ownFiles);
  await sources.load(new Set(profile.nodes.map((node) => node.callFrame.url)));
  return attribute(profile, sources.sourcesOf);
};

export interface ColdProfile {
  subject: string;
  processes: number;
  /** Average ms per process of self time, largest first. */
  selfMs: Array<{ source: string; ms: number }>;
}

/**
 * A cold subject (its target an unminified build) under `--cpu-prof`, `processes` times: self
 * time per package and own folder, the lazily loaded chunks included.
 */
export const profileCold = async (
  subject: Subject,
  processes: number,
  workDir: string,
): Promise<ColdProfile> => {
  const dir = join(workDir, 'profiles', subject.id.replace(/[^a-z0-9]+/gi, '-'));
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  for (let i = 0; i < processes; i++) {
    await runProbe(subject, ['--cpu-prof', '--cpu-prof-interval=100', `--cpu-prof-dir=${dir}`]);
  }
  const totals = new Map<string, number>();
  const files = (await readdir(dir)).filter((file) => file.endsWith('.cpuprofile'));
  for (const file of files) {
    const profile = JSON.parse(await readFile(join(dir, file), 'utf8')) as CpuProfile;
    for (const [source, us] of await attributeBundle(profile, subject.target ?? '', false)) {
      totals.set(source, (totals.get(source) ?? 0) + us);
    }
  }
  return {
    subject: subject.id,
    processes: files.length,
    selfMs: [...totals]
      .map(([source, us]) => ({ source, ms: us / 1000 / Math.max(1, files.length) }))
      .sort((a, b) => b.ms - a.ms),
  };
};
