// The warm path: bench/probe/warm-harness.ts (bundled like the functions) in a child process pinned
// to the client's core, the upstream on the other, in the deployed configuration (credentials from
// the secret in moto, the deployed NODE_OPTIONS; events off, since neither baseline publishes any).
// Figures per operation: p50 and client CPU per request of the handler over the bare client and
// over the equivalent-work baseline at steady state, the first requests apart, and p99 only when
// its ratio holds still from run to run.

import { readFile } from 'node:fs/promises';
import type { Built } from './build.js';
import { runPinnedChild } from './lib/child.js';
import { IMAGE_ID, secretEnv } from './lib/fixtures.js';
import { median } from './lib/stats.js';
import type { HarnessResult, HarnessSettings, PathName } from './probe/warm-harness.js';
import { attributeBundle, type CpuProfile } from './profile.js';

export interface WarmSettings {
  warmup: number;
  first: number;
  window: number;
  runs: number;
  perRun: number;
  block: number;
}

export const WARM_TARGETS = { p50: 1.35, cpu: 2 } as const;
/** p99 is reported only when its ratio moves less than this (max − min over median) between runs. */
export const P99_STABLE_SPREAD = 0.2;

export interface WarmFigures {
  operation: 'show' | 'delete';
  settings: WarmSettings;
  result: HarnessResult;
  p50: { handlerOverBare: number; handlerOverEquivalent: number; equivalentOverBare: number };
  cpu: { handlerOverBare: number; handlerOverEquivalent: number; equivalentOverBare: number };
  first: { p50HandlerOverBare: number; cpuHandlerOverBare: number };
  p99: {
    handlerOverBare: number;
    perRun: number[];
    spread: number;
    stable: boolean;
  };
}

const harnessEnv = (
  built: Built,
  origin: string,
  motoEndpoint: string,
): Record<string, string> => ({
  PATH: process.env.PATH ?? '',
  ...secretEnv(origin, motoEndpoint),
  BENCH_IMAGE_ID: IMAGE_ID,
  ...(built.deployedNodeOptions === undefined ? {} : { NODE_OPTIONS: built.deployedNodeOptions }),
});

const runHarness = (
  file: string,
  settings: HarnessSettings,
  env: Record<string, string>,
): Promise<unknown> => runPinnedChild(file, [JSON.stringify(settings)], env, '@@warm');

const ratio = (pick: (path: PathName) => number) => ({
  handlerOverBare: pick('handler') / pick('bare'),
  handlerOverEquivalent: pick('handler') / pick('equivalent'),
  equivalentOverBare: pick('equivalent') / pick('bare'),
});

export const warmOperation = async (
  built: Built,
  origin: string,
  motoEndpoint: string,
  operation: 'show' | 'delete',
  settings: WarmSettings,
): Promise<WarmFigures> => {
  const result = (await runHarness(
    built.harness,
    { operation, ...settings },
    harnessEnv(built, origin, motoEndpoint),
  )) as HarnessResult;
  const perRun = result.runs.map((run) => run.handler.p99Us / run.bare.p99Us);
  const spread = (Math.max(...perRun) - Math.min(...perRun)) / median(perRun);
  return {
    operation,
    settings,
    result,
    p50: ratio((path) => result.pooled[path].p50Us),
    cpu: ratio((path) => result.pooled[path].cpuUsPerRequest),
    first: {
      p50HandlerOverBare: result.first.handler.p50Us / result.first.bare.p50Us,
      cpuHandlerOverBare: result.first.handler.cpuUsPerRequest / result.first.bare.cpuUsPerRequest,
    },
    p99: {
      handlerOverBare: result.pooled.handler.p99Us / result.pooled.bare.p99Us,
      perRun,
      spread,
      stable: spread <= P99_STABLE_SPREAD,
    },
  };
};

export interface WarmProfile {
  operation: 'show' | 'delete';
  requests: number;
  /** CPU µs per request by source (own files by path, packages by name), largest first. */
  handler: Array<{ source: string; us: number }>;
  bare: Array<{ source: string; us: number }>;
  handlerCpuUs: number;
  bareCpuUs: number;
}

/** The unminified harness under the CPU profiler, handler path then bare path, after a warm-up. */
export const warmProfile = async (
  built: Built,
  origin: string,
  motoEndpoint: string,
  operation: 'show' | 'delete',
  settings: { warmup: number; requests: number },
  workDir: string,
): Promise<WarmProfile> => {
  const profiled: Record<'handler' | 'bare', { rows: Map<string, number>; cpuUs: number }> = {
    handler: { rows: new Map(), cpuUs: 0 },
    bare: { rows: new Map(), cpuUs: 0 },
  };
  for (const path of ['handler', 'bare'] as const) {
    const output = `${workDir}/warm-${operation}-${path}.cpuprofile`;
    const answer = (await runHarness(
      built.profiling.harness,
      {
        operation,
        warmup: settings.warmup,
        first: 1_000,
        window: 5_000,
        runs: 0,
        perRun: 0,
        block: 250,
        profile: output,
        profilePath: path,
        profileRequests: settings.requests,
      },
      harnessEnv(built, origin, motoEndpoint),
    )) as { cpuUsPerRequest: number };
    const profile = JSON.parse(await readFile(output, 'utf8')) as CpuProfile;
    profiled[path] = {
      rows: await attributeBundle(profile, built.profiling.harness, true),
      cpuUs: answer.cpuUsPerRequest,
    };
  }
  const perRequest = (rows: Map<string, number>) =>
    [...rows]
      .map(([source, us]) => ({ source, us: us / settings.requests }))
      .filter((row) => row.source !== '(idle)' && row.us >= 0.5)
      .sort((a, b) => b.us - a.us);
  return {
    operation,
    requests: settings.requests,
    handler: perRequest(profiled.handler.rows),
    bare: perRequest(profiled.bare.rows),
    handlerCpuUs: profiled.handler.cpuUs,
    bareCpuUs: profiled.bare.cpuUs,
  };
};
