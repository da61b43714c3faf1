// `npm run bench`: the performance figures of the functions, each measured against a baseline in the
// same run. Prints the targets (met / missed) and the other figures, and writes everything to
// bench/results/latest.json (and a copy named by date).
//
//   npm run bench [-- --quick] [-- --only cold,warm,signing,queue,inventory,report] [-- --refs REF,...]
//                 [-- --rounds N] [-- --dist DIR] [-- --no-profile | --profile] [-- --keep]
//
//   --quick      few samples: a smoke test of every section (CI), not figures to report
//   --only       run only these sections
//   --refs       also cold-start the show and delete functions of these commits (a change's share),
//                and open their plan reports beside this tree's
//   --rounds N   cold-start rounds (default 20: each subject N processes)
//   --dist DIR   measure the function bundles in DIR (dist/<function>/index.mjs + metafile.json)
//   --no-profile skip the CPU profiles
//   --profile    take them with --quick too (a quick look at where warm time goes)
//   --keep       keep the work directory (bundles, CPU profiles) and print its path
//
// Loopback only: the bench upstream, the emulator and moto run on the machine, pinned with taskset
// to a core of their own (core 1) while the client runs on core 0. Compare ratios, not absolutes.

import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_RECORD_CONCURRENCY } from '../lib/config/retirement-config.js';
import { makeCertificate } from '../scripts/loopback-certificate.js';
import { type Built, buildAll, refTree } from './build.js';
import {
  coldPlan,
  EMPTY,
  probeAll,
  type SubjectSummary,
  type TlsEndpoints,
  withCompileCache,
} from './cold.js';
import { type InventoryRun, inventory } from './inventory.js';
import { IMAGE_ID, prepareMoto } from './lib/fixtures.js';
import { type Moto, startMoto } from './lib/moto.js';
import { canPin, UPSTREAM_CPU } from './lib/pin.js';
import { round } from './lib/stats.js';
import { startUpstream, type Upstream } from './lib/upstream.js';
import { type ColdProfile, profileCold } from './profile.js';
import {
  deletableImages,
  deploymentRateOf,
  type Emulator,
  type QueueRun,
  type QueueScenario,
  runQueueScenario,
  startEmulatorProcess,
} from './queue.js';
import { type ReportRenderer, rendererAt, reportSection, storedPlan } from './report.js';
import { SIGNING_TARGET, type SigningSummary, signing } from './signing.js';
import {
  WARM_TARGETS,
  type WarmFigures,
  type WarmProfile,
  warmOperation,
  warmProfile,
} from './warm.js';

const benchDir = fileURLToPath(new URL('.', import.meta.url));
const resultsDir = join(benchDir, 'results');

const args = process.argv.slice(2);
const flag = (name: string): boolean => args.includes(name);
const option = (name: string): string | undefined => {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : undefined;
};

const SECTIONS = ['signing', 'cold', 'warm', 'queue', 'inventory', 'report'] as const;
type Section = (typeof SECTIONS)[number];
const only = option('--only')?.split(',') as Section[] | undefined;
const runs = (section: Section): boolean => only === undefined || only.includes(section);
const quick = flag('--quick');
const profiles = flag('--profile') || (!flag('--no-profile') && !quick);

const settings = {
  quick,
  coldRounds: Number(option('--rounds') ?? (quick ? 5 : 20)),
  coldProfileProcesses: 3,
  warm: quick
    ? { warmup: 3_000, first: 1_000, window: 1_000, runs: 3, perRun: 1_000, block: 250 }
    : { warmup: 30_000, first: 1_000, window: 5_000, runs: 5, perRun: 4_000, block: 250 },
  warmProfile: { warmup: 10_000, requests: 10_000 },
  signing: quick
    ? { runs: 3, batches: 20, batchMs: 5, warmupMs: 300 }
    : { runs: 7, batches: 40, batchMs: 5, warmupMs: 1_000 },
  queue: quick
    ? { sweepImages: 200, finalImages: 1_000, deployedImages: 60, latencyMs: 50, notebooks: 50 }
    : {
        sweepImages: 2_000,
        finalImages: 10_000,
        deployedImages: 300,
        latencyMs: 50,
        notebooks: 50,
      },
  inventory: { images: quick ? 2_000 : 10_000, notebooks: quick ? 100 : 500 },
  report: { rounds: quick ? 2 : 5 },
};

const log = (message: string): void => {
  process.stderr.write(`[bench] ${message}\n`);
};

const ms = (value: number | undefined): string =>
  value === undefined ? '–' : `${value.toFixed(1)} ms`;
const us = (value: number): string => `${Math.round(value)} µs`;
const x = (value: number | undefined): string =>
  value === undefined || !Number.isFinite(value) ? '–' : `${value.toFixed(2)}×`;
const pct = (value: number | undefined): string =>
  value === undefined ? '–' : `${(value * 100).toFixed(1)} %`;
const mib = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
const kib = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KiB`;

interface TargetRow {
  figure: string;
  value: string;
  target: string;
  met: boolean;
}

/** Every number in a record rounded for the JSON file, recursively. */
const rounded = (value: unknown): unknown => {
  if (typeof value === 'number') return round(value, 3);
  if (Array.isArray(value)) return value.map(rounded);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, rounded(item)]));
  }
  return value;
};

// ---------------------------------------------------------------------------------------------

const coldSection = async (
  built: Built,
  upstream: Upstream,
  moto: Moto,
  workDir: string,
  targets: TargetRow[],
  info: Array<[string, string]>,
) => {
  // The same over HTTPS (a certificate of its own for 127.0.0.1): what production also loads.
  const certificate = await makeCertificate(workDir);
  const tlsUpstream = await startUpstream(certificate);
  const tlsMoto = await startMoto(canPin() ? UPSTREAM_CPU : undefined, certificate);
  try {
    await prepareMoto(tlsMoto.endpoint, tlsMoto.ca);
    return await coldSubjects(built, upstream, moto, workDir, targets, info, {
      origin: tlsUpstream.origin,
      motoEndpoint: tlsMoto.endpoint,
      caFile: certificate.certFile,
    });
  } finally {
    await tlsUpstream.stop();
    await tlsMoto.stop();
  }
};

/** How late the upstream answers in the cold section's second pass (a provider's round trip). */
const LATENT_UPSTREAM_MS = 50;

const coldSubjects = async (
  built: Built,
  upstream: Upstream,
  moto: Moto,
  workDir: string,
  targets: TargetRow[],
  info: Array<[string, string]>,
  tls: TlsEndpoints,
) => {
  const plan = coldPlan(built, upstream.origin, moto.endpoint, tls);
  for (const id of ['httpShowImage (env credentials)', 'httpShowImage (secret, as deployed)']) {
    const subject = plan.subjects.find((candidate) => candidate.id === id);
    if (subject === undefined) continue;
    const dir = join(workDir, 'compile-cache', id.replace(/[^a-z0-9]+/gi, '-'));
    plan.subjects.push(await withCompileCache(subject, dir));
  }
  log(
    `cold: ${plan.subjects.length + 1} subjects × ${settings.coldRounds} rounds (whole processes)…`,
  );
  const summaries = await probeAll(plan.subjects, settings.coldRounds, (done) => {
    if ((done + 1) % 5 === 0) log(`  cold round ${done + 1}/${settings.coldRounds}`);
  });
  const empty = summaries.get(EMPTY) as SubjectSummary;
  for (const row of plan.targets) {
    const summary = summaries.get(row.id) as SubjectSummary;
    targets.push({
      figure: `cold start ${row.fn} (${row.credentials === 'secret' ? 'secret, as deployed' : 'env credentials'}) / empty node`,
      value: `${x(summary.ratioToEmpty)} (${ms(summary.medianWallMs)} vs ${ms(empty.medianWallMs)}, +${ms(summary.overEmptyMs)})`,
      target: `≤ ${x(row.target)}`,
      met: summary.ratioToEmpty <= row.target,
    });
  }
  for (const summary of summaries.values()) {
    if (summary.id === EMPTY) continue;
    info.push([
      `cold: ${summary.id}`,
      `${x(summary.ratioToEmpty)} empty, ${ms(summary.medianWallMs)} (p90 ${ms(summary.p90WallMs)}; +${ms(summary.overEmptyMs)}; in-process import ${ms(summary.medianImportMs)}, with the first call ${ms(summary.medianColdMs)}; exited at ${ms(summary.medianExitMs)})`,
    ]);
  }
  // The same deployed functions (and the refs') with the upstream answering 50 ms late, as a
  // provider's round trip does: what loads while a call is in flight (a delete's event publisher)
  // shows only here, since the bench upstream otherwise answers at once.
  const latentIds = (id: string) =>
    /^(httpShowImage|httpDeleteImage|show@\S+|delete@\S+) \(secret, as deployed\)$/.test(id);
  const latentSubjects = plan.subjects
    .filter((subject) => latentIds(subject.id))
    .map((subject) => ({ ...subject, id: `${subject.id}, upstream 50 ms late` }));
  log(
    `cold: ${latentSubjects.length + 1} subjects × ${settings.coldRounds} rounds, upstream 50 ms late…`,
  );
  await upstream.setDelay(LATENT_UPSTREAM_MS);
  const latent = await probeAll(latentSubjects, settings.coldRounds, () => {});
  await upstream.setDelay(0);
  for (const summary of latent.values()) {
    if (summary.id === EMPTY) continue;
    info.push([
      `cold: ${summary.id}`,
      `${x(summary.ratioToEmpty)} empty, ${ms(summary.medianWallMs)} (+${ms(summary.overEmptyMs)}; with the first call ${ms(summary.medianColdMs)})`,
    ]);
  }
  const coldProfiles: ColdProfile[] = [];
  if (profiles) {
    log('cold: CPU profiles of unminified builds…');
    const byId = new Map(plan.subjects.map((subject) => [subject.id, subject]));
    for (const [fn, file] of [
      ['httpShowImage', built.profiling.show],
      ['httpDeleteImage', built.profiling.delete],
    ] as const) {
      for (const credentials of ['env credentials', 'secret, as deployed']) {
        const subject = byId.get(`${fn} (${credentials})`);
        if (subject === undefined) continue;
        coldProfiles.push(
          await profileCold(
            { ...subject, id: `${fn} unminified (${credentials})`, target: file },
            settings.coldProfileProcesses,
            workDir,
          ),
        );
      }
    }
  }
  return {
    rounds: settings.coldRounds,
    emptyMedianMs: empty.medianWallMs,
    deployedNodeOptions: built.deployedNodeOptions ?? null,
    subjects: [...summaries.values()].map(({ samples, ...summary }) => ({
      ...summary,
      wallMs: samples.map((sample) => sample.wallMs),
    })),
    upstreamLateMs: LATENT_UPSTREAM_MS,
    latentSubjects: [...latent.values()].map(({ samples, ...summary }) => ({
      ...summary,
      wallMs: samples.map((sample) => sample.wallMs),
    })),
    profiles: coldProfiles.map((profile) => ({
      ...profile,
      selfMs: profile.selfMs.slice(0, 25),
    })),
  };
};

const warmSection = async (
  built: Built,
  upstream: Upstream,
  moto: Moto,
  workDir: string,
  targets: TargetRow[],
  info: Array<[string, string]>,
) => {
  const figures: WarmFigures[] = [];
  const warmProfiles: WarmProfile[] = [];
  for (const operation of ['show', 'delete'] as const) {
    log(
      `warm ${operation}: ${settings.warm.warmup} warm-up + ${settings.warm.runs} × ${settings.warm.perRun} measured requests per path (handler, bare, equivalent)…`,
    );
    const figure = await warmOperation(
      built,
      upstream.origin,
      moto.endpoint,
      operation,
      settings.warm,
    );
    figures.push(figure);
    const pooled = figure.result.pooled;
    targets.push({
      figure: `warm ${operation} p50: handler / bare`,
      value: `${x(figure.p50.handlerOverBare)} (${us(pooled.handler.p50Us)} vs ${us(pooled.bare.p50Us)}; equivalent ${us(pooled.equivalent.p50Us)})`,
      target: `≤ ${x(WARM_TARGETS.p50)}`,
      met: figure.p50.handlerOverBare <= WARM_TARGETS.p50,
    });
    targets.push({
      figure: `warm ${operation} client CPU per request: handler / bare`,
      value: `${x(figure.cpu.handlerOverBare)} (${us(pooled.handler.cpuUsPerRequest)} vs ${us(pooled.bare.cpuUsPerRequest)}; equivalent ${us(pooled.equivalent.cpuUsPerRequest)})`,
      target: `≤ ${x(WARM_TARGETS.cpu)}`,
      met: figure.cpu.handlerOverBare <= WARM_TARGETS.cpu,
    });
    info.push(
      [
        `warm ${operation}: handler / equivalent-work baseline`,
        `p50 ${x(figure.p50.handlerOverEquivalent)}, CPU ${x(figure.cpu.handlerOverEquivalent)} (the equivalent is ${x(figure.p50.equivalentOverBare)} / ${x(figure.cpu.equivalentOverBare)} the bare client)`,
      ],
      [
        `warm ${operation}: first ${settings.warm.first} requests, handler / bare`,
        `p50 ${x(figure.first.p50HandlerOverBare)} (${us(figure.result.first.handler.p50Us)} vs ${us(figure.result.first.bare.p50Us)}), CPU ${x(figure.first.cpuHandlerOverBare)} (${us(figure.result.first.handler.cpuUsPerRequest)} vs ${us(figure.result.first.bare.cpuUsPerRequest)})`,
      ],
      [
        `warm ${operation}: handler CPU µs per request along the warm-up (per ${settings.warm.window})`,
        figure.result.warmupCpu.handler.map((value) => Math.round(value)).join(' → '),
      ],
      [
        `warm ${operation}: p99 handler / bare`,
        figure.p99.stable
          ? `${x(figure.p99.handlerOverBare)} (${us(pooled.handler.p99Us)} vs ${us(pooled.bare.p99Us)}, ${pooled.handler.samples} samples; runs ${figure.p99.perRun.map((value) => value.toFixed(2)).join(' ')})`
          : `dropped: moves ${pct(figure.p99.spread)} between runs (${figure.p99.perRun.map((value) => value.toFixed(2)).join(' ')})`,
      ],
    );
    if (profiles) {
      log(`warm ${operation}: CPU profile (handler, bare)…`);
      warmProfiles.push(
        await warmProfile(
          built,
          upstream.origin,
          moto.endpoint,
          operation,
          settings.warmProfile,
          workDir,
        ),
      );
    }
  }
  return {
    settings: settings.warm,
    upstreamPinned: upstream.pinned,
    operations: figures,
    profiles: warmProfiles.map((profile) => ({
      ...profile,
      handler: profile.handler.slice(0, 30),
      bare: profile.bare.slice(0, 15),
    })),
  };
};

const signingSection = (targets: TargetRow[]): SigningSummary[] => {
  log('signing: ours and the official signers, each on its own normal path…');
  const signers = signing(settings.signing);
  for (const scheme of signers) {
    targets.push({
      figure: `signing ${scheme.scheme}: ours / official (own paths)`,
      value: `${x(scheme.median.ratio)} (${Math.round(scheme.median.oursPerSecond)} vs ${Math.round(scheme.median.officialPerSecond)} /s)`,
      target: `≥ ${x(SIGNING_TARGET)}`,
      met: scheme.median.ratio >= SIGNING_TARGET,
    });
  }
  return signers;
};

/** The consumer's settings in serverless.yml (batch size, record concurrency, maximum concurrency, rates). */
const deployedQueue = (built: Built) => {
  const fn = built.definition.functions.sqsDeleteImage;
  const sqs = fn?.events?.find((event) => event.sqs !== undefined)?.sqs;
  const env = { ...built.definition.provider?.environment, ...fn?.environment };
  const text = (name: string): string | undefined => {
    const value = env[name];
    return value === undefined || value === '' ? undefined : String(value);
  };
  return {
    batchSize: sqs?.batchSize ?? 10,
    maxConcurrency: sqs?.maximumConcurrency ?? 1000,
    recordConcurrency: Number(text('SQS_RECORD_CONCURRENCY') ?? DEFAULT_RECORD_CONCURRENCY),
    rateLimits: text('UPSTREAM_RATE_LIMITS'),
    sqsMaxConcurrency:
      text('SQS_MAX_CONCURRENCY') === undefined ? undefined : Number(text('SQS_MAX_CONCURRENCY')),
    timeoutS: fn?.timeout ?? 60,
  };
};

const queueSection = async (
  built: Built,
  emulator: Emulator,
  targets: TargetRow[],
  info: Array<[string, string]>,
) => {
  const imageIds = await deletableImages(emulator.origin);
  const latencyMs = settings.queue.latencyMs;
  const usagePages = Math.max(1, Math.ceil(settings.queue.notebooks / 50));
  const deployed = deployedQueue(built);
  const runsDone: QueueRun[] = [];
  const runScenario = async (scenario: QueueScenario): Promise<QueueRun> => {
    log(
      `queue: ${scenario.name}: ${scenario.images} images, batch ${scenario.batchSize}, record concurrency ${scenario.recordConcurrency}, maximum concurrency ${scenario.maxConcurrency}…`,
    );
    const result = await runQueueScenario(emulator, built.queueWorker, imageIds, scenario);
    runsDone.push(result);
    info.push([
      `queue: ${scenario.name}`,
      `${result.deleted}/${scenario.images} deleted in ${result.elapsedS.toFixed(1)} s: ${result.recordsPerSecond.toFixed(1)} images/s, ${result.admittedPerSecond.toFixed(1)} upstream req/s (${result.upstream.throttled} throttled, peak ${result.upstream.peakPerSecond}/s); rate bound ${result.rateBound ?? '–'} → ${pct(result.rateShare)}; lanes bound ${result.laneBound.toFixed(0)}/s → ${pct(result.laneShare)}; batch bound ${result.batchBound.toFixed(0)}/s → ${pct(result.batchShare)}, at the measured ${result.meanCallMs.toFixed(1)} ms a call ${result.measuredBatchBound.toFixed(0)}/s → ${pct(result.measuredBatchShare)}; receives ${result.receives}, dead-lettered ${result.deadLettered}; ${JSON.stringify(result.outcomes)}`,
    ]);
    return result;
  };
  const noLimit = 'modelarts=10000';

  // 1. As serverless.yml configures the consumer now, against a cloud limit equal to the rate.
  const deployedRate = deploymentRateOf(deployed.rateLimits);
  await runScenario({
    name: 'as configured in serverless.yml',
    images: settings.queue.deployedImages,
    ...deployed,
    cloudLimit: deployedRate,
    latencyMs,
    usagePages,
  });

  // 2. The same with SQS_MAX_CONCURRENCY = maximumConcurrency (each process paces at its share).
  await runScenario({
    name: 'as configured, with SQS_MAX_CONCURRENCY = maximumConcurrency',
    images: settings.queue.deployedImages,
    ...deployed,
    sqsMaxConcurrency: deployed.maxConcurrency,
    cloudLimit: deployedRate,
    latencyMs,
    usagePages,
  });

  // 3. Batch size × record concurrency (maximum concurrency 5), under a binding rate limit (the
  //    deployment's rate = the cloud's limit, high enough for a short run) and with none.
  const benchRate = 200;
  const configs: Array<[number, number, number]> = quick
    ? [
        [deployed.batchSize, deployed.recordConcurrency, deployed.maxConcurrency],
        [20, 10, 5],
      ]
    : [
        [deployed.batchSize, deployed.recordConcurrency, deployed.maxConcurrency],
        [8, 4, 5],
        [10, 5, 5],
        [20, 5, 5],
        [20, 10, 5],
        [40, 10, 5],
        [20, 10, 2],
        [40, 10, 2],
      ];
  const scenarioFor = (
    [batchSize, recordConcurrency, maxConcurrency]: [number, number, number],
    bound: boolean,
    images: number,
  ): QueueScenario => ({
    name: `${bound ? `rate limit ${benchRate}/s binds` : 'no limit binds'}, B${batchSize} R${recordConcurrency} M${maxConcurrency}`,
    images,
    batchSize,
    recordConcurrency,
    maxConcurrency,
    rateLimits: bound ? `modelarts=${benchRate}` : noLimit,
    sqsMaxConcurrency: maxConcurrency,
    cloudLimit: bound ? benchRate : undefined,
    latencyMs,
    usagePages,
  });
  const boundSweep: Array<[[number, number, number], QueueRun]> = [];
  for (const config of configs) {
    boundSweep.push([
      config,
      await runScenario(scenarioFor(config, true, settings.queue.sweepImages)),
    ]);
  }
  for (const config of configs) {
    await runScenario(scenarioFor(config, false, settings.queue.sweepImages));
  }

  // 4. The proposal: the best share of a binding rate limit among the settings whose batch, paced
  //    at the deployment's own rate (rate / M per process), takes at most half the consumer's
  //    timeout; 10,000 images with the limit and without.
  // Paced lanes fall out of step, so count a usage scan for every delete (the most it can take).
  const batchSeconds = ([batchSize, , maxConcurrency]: [number, number, number]) =>
    ((2 + usagePages) * batchSize) / (deployedRate / maxConcurrency);
  const fitting = boundSweep.filter(([config]) => batchSeconds(config) <= deployed.timeoutS / 2);
  const [best] = [...(fitting.length > 0 ? fitting : boundSweep)].sort(
    (a, b) => (b[1].rateShare ?? 0) - (a[1].rateShare ?? 0),
  )[0] as [[number, number, number], QueueRun];
  info.push([
    'queue: a batch at the deployed rate (at most half the timeout for a proposal)',
    `${deployedRate}/s, timeout ${deployed.timeoutS} s: ${configs.map((config) => `B${config[0]} R${config[1]} M${config[2]} ${batchSeconds(config).toFixed(1)} s`).join(', ')}`,
  ]);
  const proposal = { batchSize: best[0], recordConcurrency: best[1], maxConcurrency: best[2] };
  const bound = await runScenario({
    ...scenarioFor(best, true, settings.queue.finalImages),
    name: `proposal, ${scenarioFor(best, true, 0).name}`,
  });
  const unbound = await runScenario({
    ...scenarioFor(best, false, settings.queue.finalImages),
    name: `proposal, ${scenarioFor(best, false, 0).name}`,
  });
  targets.push(
    {
      figure: `queue ${settings.queue.finalImages} images, rate limit ${benchRate}/s: share of the limit`,
      value: `${pct(bound.rateShare)} (${bound.admittedPerSecond.toFixed(1)} req/s, ${bound.upstream.throttled} throttled, ${bound.elapsedS.toFixed(1)} s; B${proposal.batchSize} R${proposal.recordConcurrency} M${proposal.maxConcurrency})`,
      target: '≥ 90 %',
      met: (bound.rateShare ?? 0) >= 0.9,
    },
    {
      figure: `queue ${settings.queue.finalImages} images, no limit binds: share of the concurrency/latency bound`,
      value: `${pct(unbound.measuredBatchShare)} (${unbound.recordsPerSecond.toFixed(1)} images/s of ${unbound.measuredBatchBound.toFixed(0)} at ${unbound.meanCallMs.toFixed(1)} ms a call; of the bound at ${latencyMs} ms: ${pct(unbound.batchShare)}; lanes always busy: ${pct(unbound.laneShare)})`,
      target: '≥ 90 %',
      met: unbound.measuredBatchShare >= 0.9,
    },
  );
  const { timeoutS: _timeout, ...deployedSettings } = deployed;
  return {
    deployed: deployedSettings,
    timeoutS: deployed.timeoutS,
    latencyMs,
    notebooks: settings.queue.notebooks,
    proposal,
    runs: runsDone,
  };
};

const inventorySection = async (
  built: Built,
  emulator: Emulator,
  info: Array<[string, string]>,
  modes: ReadonlyArray<'list' | 'plan'>,
  planStoreDir: string,
) => {
  const results: InventoryRun[] = [];
  for (const mode of modes) {
    log(`inventory: ${mode} of ${settings.inventory.images} images…`);
    const result = await inventory(emulator, built.inventoryRunner, mode, planStoreDir);
    results.push(result);
    info.push([
      `inventory: ${mode} ${settings.inventory.images} images`,
      `${result.images} ${mode === 'list' ? 'listed' : 'decided'} in ${ms(result.elapsedMs)} over ${result.invocations} invocation(s), ${result.upstreamRequests} upstream requests; peak RSS ${mib(result.maxRssBytes)} (${mib(result.rssBeforeBytes)} before), heap peak ${mib(result.heapPeakBytes)} (${mib(result.heapBeforeBytes)} before)${result.planBytes === undefined ? '' : `; plan ${kib(result.planBytes)}, complete: ${result.complete}`}`,
    ]);
  }
  return { images: settings.inventory.images, notebooks: settings.inventory.notebooks, results };
};

// ---------------------------------------------------------------------------------------------

const main = async (): Promise<void> => {
  const startedAt = new Date();
  const t0 = performance.now();
  const loadBefore = loadavg();
  // Only the measured clients (warm harness, queue workers, inventory runner) are pinned to core 0
  // and the upstreams to core 1; a cold-start probe may use both cores, as Node's start does.
  const pinnedSelf = canPin();
  const workDir = await mkdtemp(join(tmpdir(), 'cif-bench-'));
  await mkdir(resultsDir, { recursive: true });
  const targets: TargetRow[] = [];
  const info: Array<[string, string]> = [];
  const sections: Record<string, unknown> = {};
  let upstream: Upstream | undefined;
  let moto: Moto | undefined;
  let emulator: Emulator | undefined;
  try {
    const existingDist = option('--dist');
    log('building the functions, variants and harnesses…');
    const built = await buildAll(workDir, {
      existingDist: existingDist === undefined ? undefined : resolve(existingDist),
      refs: option('--refs')?.split(',').filter(Boolean) ?? [],
    });
    log(`built in ${ms(built.buildMs)}`);
    sections.bundles = [...built.functions, ...built.variants, ...built.refs].map(
      ({ composition, ...bundle }) => ({ ...bundle, top: composition.slice(0, 8) }),
    );
    for (const bundle of built.functions.filter((b) => /^http(Show|Delete)Image$/.test(b.name))) {
      info.push([
        `bundle ${bundle.name}`,
        `${kib(bundle.initialBytes)} at start (${bundle.composition
          .slice(0, 5)
          .map((part) => `${part.source} ${kib(part.bytes)}`)
          .join(', ')}); ${kib(bundle.totalBytes)} with lazy chunks`,
      ]);
    }

    if (runs('signing')) sections.signing = signingSection(targets);
    if (runs('cold') || runs('warm')) {
      upstream = await startUpstream();
      moto = await startMoto(canPin() ? UPSTREAM_CPU : undefined);
      await prepareMoto(moto.endpoint);
      log(`upstream ${upstream.origin} (pinned: ${upstream.pinned}), moto ${moto.endpoint}`);
    }
    if (runs('cold') && upstream && moto) {
      sections.cold = await coldSection(built, upstream, moto, workDir, targets, info);
    }
    if (runs('warm') && upstream && moto) {
      sections.warm = await warmSection(built, upstream, moto, workDir, targets, info);
    }
    await upstream?.stop();
    upstream = undefined;
    if (runs('queue')) {
      log('starting the emulator (seeded for the queue)…');
      emulator = await startEmulatorProcess({
        // About 70 % of generated images are custom and available: enough for the largest run.
        images: Math.ceil(settings.queue.finalImages * 1.55),
        notebooks: settings.queue.notebooks,
      });
      sections.queue = await queueSection(built, emulator, targets, info);
      await emulator.stop();
      emulator = undefined;
    }
    const planStoreDir = join(workDir, 'plans');
    if (runs('inventory') || runs('report')) {
      log('starting the emulator (seeded for the inventory)…');
      emulator = await startEmulatorProcess({
        images: settings.inventory.images,
        notebooks: settings.inventory.notebooks,
      });
      // The report section opens the plan the inventory's plan run stores.
      const inventoryResults = await inventorySection(
        built,
        emulator,
        info,
        runs('inventory') ? ['list', 'plan'] : ['plan'],
        planStoreDir,
      );
      if (runs('inventory')) sections.inventory = inventoryResults;
    }
    if (runs('report')) {
      const renderers: ReportRenderer[] = [await rendererAt('this-tree', resolve(benchDir, '..'))];
      for (const ref of option('--refs')?.split(',').filter(Boolean) ?? []) {
        renderers.push(await rendererAt(ref, refTree(ref, workDir)));
      }
      const figures = await reportSection(
        await storedPlan(planStoreDir),
        renderers,
        settings.report.rounds,
        log,
      );
      sections.report = figures;
      const [own, ...others] = figures.renderers;
      for (const timing of figures.renderers) {
        info.push([
          `report: ${figures.decisions} decisions, ${timing.renderer}`,
          `${kib(timing.htmlBytes)}, ${timing.rowsShown} rows at first; open ${ms(timing.openMs)} (${x(timing.openMs / figures.blank.openMs)} a blank page), sort by age ${ms(timing.sortMs)}, filter ${ms(timing.filterMs)} (${x(timing.sortMs / figures.blank.clickMs)}, ${x(timing.filterMs / figures.blank.clickMs)} a click on a blank page)`,
        ]);
      }
      for (const other of others) {
        if (own === undefined) break;
        info.push([
          `report: this tree / ${other.renderer}`,
          `open ${x(own.openMs / other.openMs)}, sort ${x(own.sortMs / other.sortMs)}, filter ${x(own.filterMs / other.filterMs)}`,
        ]);
      }
    }

    const loadAfter = loadavg();
    const elapsedS = (performance.now() - t0) / 1000;
    const machine = {
      node: process.version,
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? 'unknown',
      pinned: pinnedSelf,
      loadavgBefore: loadBefore.map((value) => round(value, 2)),
      loadavgAfter: loadAfter.map((value) => round(value, 2)),
    };
    const results = {
      command: `npm run bench${args.length > 0 ? ` -- ${args.join(' ')}` : ''}`,
      date: startedAt.toISOString(),
      elapsedSeconds: round(elapsedS, 1),
      machine,
      settings,
      imageId: IMAGE_ID,
      targets,
      info: info.map(([name, value]) => ({ name, value })),
      ...(rounded(sections) as Record<string, unknown>),
    };
    const file = join(resultsDir, 'latest.json');
    await writeFile(file, `${JSON.stringify(results, null, 2)}\n`);
    await copyFile(file, join(resultsDir, `${startedAt.toISOString().replace(/[:.]/g, '-')}.json`));

    console.log(
      `\ncloud-image-functions bench — ${results.date} — Node ${machine.node}, ${machine.cpus} cores, ${machine.pinned ? 'measured clients on core 0, upstreams on core 1, cold probes unpinned' : 'not pinned'}; load ${machine.loadavgBefore.join(' ')} → ${machine.loadavgAfter.join(' ')}${quick ? ' — QUICK: smoke test, not figures to report' : ''}\n`,
    );
    if (targets.length > 0) {
      const width = Math.max(...targets.map((row) => row.figure.length));
      const valueWidth = Math.max(...targets.map((row) => row.value.length));
      console.log(`${'figure'.padEnd(width)}  ${'value'.padEnd(valueWidth)}  target     result`);
      console.log('-'.repeat(width + valueWidth + 22));
      for (const row of targets) {
        console.log(
          `${row.figure.padEnd(width)}  ${row.value.padEnd(valueWidth)}  ${row.target.padEnd(9)}  ${row.met ? 'met' : 'MISSED'}`,
        );
      }
    }
    console.log('\nalso measured');
    for (const [name, value] of info) console.log(`  ${name}: ${value}`);
    const cold = sections.cold as { profiles: ColdProfile[] } | undefined;
    for (const profile of cold?.profiles ?? []) {
      console.log(
        `\ncold CPU self time, ${profile.subject} (avg of ${profile.processes}): ${profile.selfMs
          .slice(0, 12)
          .map(({ source, ms: value }) => `${source} ${value.toFixed(1)}`)
          .join(' · ')} ms`,
      );
    }
    const warm = sections.warm as { profiles: WarmProfile[] } | undefined;
    for (const profile of warm?.profiles ?? []) {
      console.log(
        `\nwarm ${profile.operation} CPU µs per request (profiled; handler ${us(profile.handlerCpuUs)}, bare ${us(profile.bareCpuUs)}): ${profile.handler
          .slice(0, 20)
          .map((row) => `${row.source} ${row.us.toFixed(1)}`)
          .join(' · ')}`,
      );
    }
    console.log(
      `\n${targets.filter((row) => row.met).length}/${targets.length} targets met · ${elapsedS.toFixed(0)} s · ${join('bench', 'results', 'latest.json')}`,
    );
  } finally {
    await upstream?.stop();
    await moto?.stop();
    await emulator?.stop();
    if (flag('--keep')) console.log(`kept: ${workDir} (bundles, CPU profiles)`);
    else await rm(workDir, { recursive: true, force: true });
  }
};

main().then(
  // The shared HTTP agent keeps sockets open; nothing else is left to wait for.
  () => process.exit(0),
  (error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : error);
    process.exit(1);
  },
);
