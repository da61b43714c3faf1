// Cold start as whole processes, timed from outside: a fresh `node` imports a function bundle and
// completes one show (or delete) through its handler against the loopback upstream; the time is
// from spawning it to receiving its result line (what a caller waits for), not to its exit: a
// process that has answered may still join V8's background threads (the wasm tier-up of undici's
// HTTP parser, for one) before it exits, which no Lambda caller waits for (spawn to exit is kept
// as `exitMs`). Each round runs every subject once (rotated order), an empty `node -e` that only
// writes its line among them, so every ratio is paired: a subject's time over the empty process's
// in the same round, the median over the rounds. Credentials from the environment (local use) and from the Secrets Manager secret
// as deployed (moto), with the deployed NODE_OPTIONS (source maps), and without it.

import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { root } from '../scripts/build.js';
import type { Built, Bundle } from './build.js';
import { functionEnv, IMAGE_ID, secretEnv } from './lib/fixtures.js';
import { median, percentile } from './lib/stats.js';

const probeScript = fileURLToPath(new URL('./probe/cold-probe.mjs', import.meta.url));

interface ProbeOutput {
  importMs: number;
  showMs: number;
  coldMs: number;
  sinceStartMs: number;
}

/**
 * What-if: `subject` started with Node's compile cache (V8 code for every module it loads) taken
 * from `dir`, as a cache shipped in the function's package would be (`NODE_COMPILE_CACHE` and
 * `NODE_COMPILE_CACHE_PORTABLE=1` are plain environment variables, which Lambda allows). One run
 * fills the cache first, as a packaging step would; it is read only when the Node version that
 * wrote it is the one that starts (a different runtime version compiles as usual).
 */
export const withCompileCache = async (subject: Subject, dir: string): Promise<Subject> => {
  const cached: Subject = {
    ...subject,
    id: `${subject.id}, what-if: compile cache shipped`,
    env: { ...subject.env, NODE_COMPILE_CACHE: dir, NODE_COMPILE_CACHE_PORTABLE: '1' },
  };
  await runProbe(cached);
  return cached;
};

export interface ProbeResult extends Partial<ProbeOutput> {
  /** Spawn to the result line, as the parent sees it: what the figures use. */
  wallMs: number;
  /** Spawn to exit. */
  exitMs: number;
}

export type ColdMode = 'empty' | 'import' | 'show' | 'delete';

export interface Subject {
  id: string;
  mode: ColdMode;
  target?: string;
  env: Record<string, string>;
  nodeArgs?: string[];
}

export const runProbe = (subject: Subject, extraArgs: string[] = []): Promise<ProbeResult> =>
  new Promise((resolve, reject) => {
    const args =
      subject.mode === 'empty'
        ? ['-e', "process.stdout.write('\\n@@probe {}\\n')"]
        : [
            ...(subject.nodeArgs ?? []),
            ...extraArgs,
            probeScript,
            subject.mode,
            subject.target ?? '',
          ];
    const started = performance.now();
    const child = spawn(process.execPath, args, {
      cwd: root,
      env: subject.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let lineAt: number | undefined;
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      if (lineAt === undefined && stdout.includes('@@probe ')) lineAt = performance.now();
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const exitMs = performance.now() - started;
      const wallMs = (lineAt ?? Number.NaN) - started;
      const line = stdout.split('\n').find((text) => text.startsWith('@@probe '));
      if (code !== 0 || line === undefined) {
        reject(
          new Error(
            `probe ${subject.id} exited ${code}:\n${stderr.trim().slice(0, 2000)}\n${stdout.trim().slice(0, 1000)}`,
          ),
        );
        return;
      }
      resolve({ ...(JSON.parse(line.slice(8)) as ProbeOutput), wallMs, exitMs });
    });
  });

export interface SubjectSummary {
  id: string;
  mode: ColdMode;
  processes: number;
  medianWallMs: number;
  p90WallMs: number;
  /** Spawn to exit. */
  medianExitMs: number;
  /** Median over rounds of wall / empty wall of the same round. */
  ratioToEmpty: number;
  /** Median over rounds of wall − empty wall of the same round. */
  overEmptyMs: number;
  /** Inside the process: import, and import + first invocation. */
  medianImportMs: number | undefined;
  medianColdMs: number | undefined;
  samples: ProbeResult[];
}

export const EMPTY = 'empty node (-e)';

/**
 * `rounds` rounds; in each, every subject once in an order rotated per round, one process at a
 * time, so that the machine's load lands on every subject alike. The empty process is a subject.
 */
export const probeAll = async (
  subjects: readonly Subject[],
  rounds: number,
  onRound?: (round: number) => void,
): Promise<Map<string, SubjectSummary>> => {
  const all: Subject[] = [{ id: EMPTY, mode: 'empty', env: { PATH: process.env.PATH ?? '' } }];
  all.push(...subjects);
  const samples = new Map<string, ProbeResult[]>(all.map((subject) => [subject.id, []]));
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < all.length; i++) {
      const subject = all[(i + round) % all.length] as Subject;
      samples.get(subject.id)?.push(await runProbe(subject));
    }
    onRound?.(round);
  }
  const empty = samples.get(EMPTY) ?? [];
  const defined = (values: Array<number | undefined>): number[] =>
    values.filter((value): value is number => value !== undefined);
  return new Map(
    all.map((subject) => {
      const results = samples.get(subject.id) ?? [];
      const imports = defined(results.map((result) => result.importMs));
      const colds = defined(results.map((result) => result.coldMs));
      return [
        subject.id,
        {
          id: subject.id,
          mode: subject.mode,
          processes: results.length,
          medianWallMs: median(results.map((result) => result.wallMs)),
          medianExitMs: median(results.map((result) => result.exitMs)),
          p90WallMs: percentile(
            results.map((result) => result.wallMs),
            90,
          ),
          ratioToEmpty: median(
            results.map((result, i) => result.wallMs / (empty[i]?.wallMs ?? Number.NaN)),
          ),
          overEmptyMs: median(
            results.map((result, i) => result.wallMs - (empty[i]?.wallMs ?? Number.NaN)),
          ),
          medianImportMs: imports.length > 0 ? median(imports) : undefined,
          medianColdMs: colds.length > 0 ? median(colds) : undefined,
          samples: results,
        },
      ];
    }),
  );
};

export interface ColdPlan {
  subjects: Subject[];
  /** Subject ids of the figures with targets. */
  targets: Array<{
    id: string;
    fn: 'show' | 'delete';
    credentials: 'environment' | 'secret';
    target: number;
  }>;
}

export const COLD_TARGETS = { environment: 1.6, secret: 2 } as const;

const subjectId = (name: string, credentials: 'environment' | 'secret', extra = ''): string =>
  `${name} (${credentials === 'secret' ? 'secret, as deployed' : 'env credentials'}${extra})`;

/** The upstream and moto answering over HTTPS, and the certificate that makes them trusted. */
export interface TlsEndpoints {
  origin: string;
  motoEndpoint: string;
  caFile: string;
}

/**
 * The subjects: ours as deployed and the comparisons, each with both kinds of credentials; with
 * `tls`, ours again against endpoints that answer over HTTPS, as the clouds and Secrets Manager do.
 */
export const coldPlan = (
  built: Built,
  origin: string,
  motoEndpoint: string,
  tls?: TlsEndpoints,
): ColdPlan => {
  const nodeOptions = built.deployedNodeOptions;
  const base = { PATH: process.env.PATH ?? '', BENCH_IMAGE_ID: IMAGE_ID };
  const env = (credentials: 'environment' | 'secret', deployedOptions = true) => ({
    ...base,
    ...(credentials === 'secret' ? secretEnv(origin, motoEndpoint, true) : functionEnv(origin)),
    ...(deployedOptions && nodeOptions !== undefined ? { NODE_OPTIONS: nodeOptions } : {}),
  });
  const find = (name: string): Bundle => {
    const found = [...built.functions, ...built.variants].find((bundle) => bundle.name === name);
    if (found === undefined) throw new Error(`no bundle ${name}`);
    return found;
  };
  const subjects: Subject[] = [];
  const targets: ColdPlan['targets'] = [];
  for (const credentials of ['environment', 'secret'] as const) {
    for (const [fn, name, mode] of [
      ['show', 'httpShowImage', 'show'],
      ['delete', 'httpDeleteImage', 'delete'],
    ] as const) {
      const id = subjectId(name, credentials);
      subjects.push({ id, mode, target: find(name).file, env: env(credentials) });
      targets.push({ id, fn, credentials, target: COLD_TARGETS[credentials] });
      subjects.push({
        id: subjectId(name, credentials, ', no source maps'),
        mode,
        target: find(name).file,
        env: env(credentials, false),
      });
      subjects.push({
        id: subjectId(`unsplit ${fn}`, credentials),
        mode,
        target: find(`unsplit ${fn}`).file,
        env: env(credentials),
      });
      for (const ref of built.refs.filter((bundle) => bundle.name.startsWith(`${fn}@`))) {
        subjects.push({
          id: subjectId(ref.name, credentials),
          mode,
          target: ref.file,
          env: env(credentials),
        });
      }
    }
    subjects.push({
      id: subjectId('naive show', credentials),
      mode: 'show',
      target: find('naive show').file,
      env: env(credentials),
    });
  }
  if (tls !== undefined) {
    const overTls = (credentials: 'environment' | 'secret', deployedOptions = true) => ({
      ...base,
      ...(credentials === 'secret'
        ? secretEnv(tls.origin, tls.motoEndpoint, true)
        : functionEnv(tls.origin)),
      NODE_EXTRA_CA_CERTS: tls.caFile,
      ...(deployedOptions && nodeOptions !== undefined ? { NODE_OPTIONS: nodeOptions } : {}),
    });
    for (const credentials of ['environment', 'secret'] as const) {
      for (const [name, mode] of [
        ['httpShowImage', 'show'],
        ['httpDeleteImage', 'delete'],
      ] as const) {
        subjects.push({
          id: subjectId(`${name} over TLS`, credentials),
          mode,
          target: find(name).file,
          env: overTls(credentials),
        });
      }
    }
    subjects.push({
      id: subjectId('httpShowImage over TLS', 'secret', ', no source maps'),
      mode: 'show',
      target: find('httpShowImage').file,
      env: overTls('secret', false),
    });
  }
  for (const floor of built.variants.filter((bundle) => bundle.name.startsWith('floor: '))) {
    subjects.push({ id: floor.name, mode: 'import', target: floor.file, env: env('environment') });
  }
  return { subjects, targets };
};
