// Where the time goes, from V8 CPU profiles of unminified builds: esbuild marks each module of an
// unminified bundle with a `// path` comment, and V8's per-line ticks then say which module the time
// was spent in, even for ESM code that esbuild hoisted to the bundle's top level. Self time outside
// the bundle is reported by V8 category ((program), (garbage collector), …) or as Node internals.

import { spawn } from 'node:child_process';
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { root } from '../scripts/build.js';
import { type Bundle, packageOf, runProbe } from './cold.js';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  positionTicks?: Array<{ line: number; ticks: number }>;
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples?: number[];
  timeDeltas?: number[];
}

/** The source of every line of an unminified esbuild bundle: own files by path, packages by name. */
const lineSources = (code: string, ownFiles: boolean): string[] => {
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

/** Self time in µs per source. */
const attribute = (
  profile: CpuProfile,
  bundleUrl: string,
  sources: string[],
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
    if (url === bundleUrl) {
      const ticks = node.positionTicks ?? [];
      const total = ticks.reduce((sum, tick) => sum + tick.ticks, 0);
      if (total === 0) add(sources[lineNumber] ?? '?', us);
      for (const tick of ticks) add(sources[tick.line - 1] ?? '?', (us * tick.ticks) / total);
    } else if (url === '') add(functionName || '(anonymous)', us);
    else if (url.startsWith('node:')) add(nodeModuleOf(url), us);
    else add(url.includes('cold-probe') ? 'probe' : 'other', us);
  }
  return totals;
};

const sorted = (totals: Map<string, number>, divide: number) =>
  [...totals]
    .map(([source, value]) => ({ source, value: value / divide }))
    .sort((a, b) => b.value - a.value);

export interface ColdProfile {
  bundle: string;
  processes: number;
  /** Average ms per process of self time, largest first. */
  selfMs: Array<{ source: string; ms: number }>;
}

/** The cold show probe under `--cpu-prof`, `processes` times, against an unminified build. */
export const profileCold = async (
  bundle: Bundle,
  env: Record<string, string>,
  processes: number,
  workDir: string,
): Promise<ColdProfile> => {
  const dir = join(workDir, 'profiles', `cold-${bundle.name.replace(/[^a-z0-9]+/gi, '-')}`);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  for (let i = 0; i < processes; i++) {
    await runProbe({ id: `profile ${bundle.name}`, mode: 'show', targets: [bundle.file] }, env, [
      '--cpu-prof',
      '--cpu-prof-interval=100',
      `--cpu-prof-dir=${dir}`,
    ]);
  }
  const sources = lineSources(await readFile(bundle.file, 'utf8'), false);
  const bundleUrl = pathToFileURL(bundle.file).href;
  const totals = new Map<string, number>();
  const files = (await readdir(dir)).filter((file) => file.endsWith('.cpuprofile'));
  for (const file of files) {
    const profile = JSON.parse(await readFile(join(dir, file), 'utf8')) as CpuProfile;
    for (const [source, us] of attribute(profile, bundleUrl, sources)) {
      totals.set(source, (totals.get(source) ?? 0) + us);
    }
  }
  return {
    bundle: bundle.name,
    processes: files.length,
    selfMs: sorted(totals, 1000 * Math.max(1, files.length)).map(({ source, value }) => ({
      source,
      ms: value,
    })),
  };
};

export interface WarmProfile {
  inFlight: number;
  requests: number;
  handlerRps: number;
  bareRps: number;
  /** CPU µs per request by source, handler path and bare client, largest (handler) first. */
  perRequestUs: Array<{ source: string; handler: number; bare: number }>;
}

const runHarness = (
  harness: string,
  mode: 'handler' | 'bare',
  count: number,
  inFlight: number,
  output: string,
  env: Record<string, string>,
): Promise<number> =>
  new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [harness, mode, String(count), String(inFlight), output],
      { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] },
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
      const line = stdout.split('\n').find((text) => text.startsWith('@@warm '));
      if (code !== 0 || line === undefined) {
        reject(new Error(`warm harness ${mode} exited ${code}:\n${stderr.slice(0, 2000)}`));
        return;
      }
      resolve((JSON.parse(line.slice(7)) as { requestsPerSecond: number }).requestsPerSecond);
    });
  });

/**
 * The concurrency workload (show, `inFlight` in flight) through the handler and through the bare
 * client, each in a fresh process built from bench/probe/warm-harness.ts, profiled over the
 * measured requests only: CPU µs per request by source.
 */
export const profileWarm = async (
  harness: Bundle,
  env: Record<string, string>,
  requests: number,
  inFlight: number,
  workDir: string,
): Promise<WarmProfile> => {
  const dir = join(workDir, 'profiles', 'warm');
  await mkdir(dir, { recursive: true });
  const sources = lineSources(await readFile(harness.file, 'utf8'), true);
  const bundleUrl = pathToFileURL(harness.file).href;
  const result: Record<'handler' | 'bare', { rps: number; totals: Map<string, number> }> = {
    handler: { rps: 0, totals: new Map() },
    bare: { rps: 0, totals: new Map() },
  };
  for (const mode of ['handler', 'bare'] as const) {
    const output = join(dir, `${mode}.cpuprofile`);
    const rps = await runHarness(harness.file, mode, requests, inFlight, output, env);
    const profile = JSON.parse(await readFile(output, 'utf8')) as CpuProfile;
    result[mode] = { rps, totals: attribute(profile, bundleUrl, sources) };
  }
  const names = new Set([...result.handler.totals.keys(), ...result.bare.totals.keys()]);
  return {
    inFlight,
    requests,
    handlerRps: result.handler.rps,
    bareRps: result.bare.rps,
    perRequestUs: [...names]
      .map((source) => ({
        source,
        handler: (result.handler.totals.get(source) ?? 0) / requests,
        bare: (result.bare.totals.get(source) ?? 0) / requests,
      }))
      .sort((a, b) => b.handler - a.handler),
  };
};
