// `npm run bench`: the performance figures of the functions, each a ratio measured within one run
// against a baseline measured in the same run, summarised by medians over repeated runs. Prints a
// table (targets met / missed) and writes the same figures to bench/results/latest.json.
//
//   npm run bench [-- --quick] [-- --dist DIR] [-- --rounds N] [-- --no-profile]
//
//   --quick      fewer runs and samples (a smoke test; figures are noisier)
//   --dist DIR   measure existing bundles (dist/<function>/index.mjs + metafile.json) instead of
//                building them afresh from the working tree into a temporary folder
//   --rounds N   fresh processes per cold-start subject (default 15, at least 15 for the report)
//   --no-profile skip the CPU profiles (cold path per source package, warm path per source file)
//
// Loopback only. Timings depend on the machine and its load: compare ratios, not absolutes.

import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type Bundle,
  buildAll,
  loadsCleanly,
  probeAll,
  probeEnv,
  type Subject,
  type SubjectSummary,
  writeJson,
} from './cold.js';
import { median, round } from './lib/stats.js';
import { startUpstream } from './lib/upstream.js';
import { type ColdProfile, profileCold, profileWarm, type WarmProfile } from './profile.js';
import { signing } from './signing.js';
import {
  concurrency,
  loadHandlers,
  peerLatency,
  warmOverhead,
  warmOverheadWithSecret,
} from './warm.js';

const benchDir = fileURLToPath(new URL('.', import.meta.url));
const resultsDir = join(benchDir, 'results');

const args = process.argv.slice(2);
const flag = (name: string): boolean => args.includes(name);
const option = (name: string): string | undefined => {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : undefined;
};

const quick = flag('--quick');
const rounds = Number(option('--rounds') ?? (quick ? 5 : 15));
const existingDist = option('--dist');
const profile = !flag('--no-profile');

const settings = {
  warm: quick ? { runs: 3, samples: 300, warmup: 200 } : { runs: 5, samples: 2_000, warmup: 500 },
  concurrency: quick
    ? { runs: 3, requests: 2_000, inFlight: 64, upstreamDelayMs: 20, delayedRequests: 1_000 }
    : { runs: 7, requests: 5_000, inFlight: 64, upstreamDelayMs: 20, delayedRequests: 3_000 },
  peer: quick ? { runs: 3, samples: 200, warmup: 100 } : { runs: 5, samples: 1_000, warmup: 300 },
  signing: quick
    ? { runs: 3, batches: 20, batchMs: 5, warmupMs: 300 }
    : { runs: 7, batches: 40, batchMs: 5, warmupMs: 1_000 },
  coldRounds: rounds,
  profileProcesses: quick ? 1 : 3,
  warmProfileRequests: quick ? 3_000 : 10_000,
};

const KIB = 1024;
const TARGETS = {
  warmP50: 1.35,
  warmP99: 1.5,
  throughput: 0.85,
  reuse: 0.95,
  coldVsNaive: 0.6,
  bundleBytes: 600 * KIB,
  signers: 3,
};

interface TargetRow {
  figure: string;
  value: string;
  target: string;
  met: boolean;
}

const log = (message: string): void => {
  process.stderr.write(`[bench] ${message}\n`);
};

const ms = (value: number): string => `${value.toFixed(1)} ms`;
const us = (value: number): string => `${Math.round(value)} µs`;
const x = (value: number): string => `${value.toFixed(2)}×`;
const pct = (value: number): string => `${(value * 100).toFixed(1)} %`;
const kib = (bytes: number): string => `${(bytes / KIB).toFixed(1)} KiB`;

const main = async (): Promise<void> => {
  const startedAt = new Date();
  const t0 = performance.now();
  const loadBefore = loadavg();
  const workDir = await mkdtemp(join(tmpdir(), 'cif-bench-'));
  await mkdir(resultsDir, { recursive: true });
  const upstream = await startUpstream();
  try {
    log(`upstream ${upstream.origin} (pid ${upstream.pid}); building bundles…`);
    const built = await buildAll(
      workDir,
      existingDist === undefined ? undefined : resolve(existingDist),
    );
    log(
      `built ${built.functions.length} function bundles + ${built.variants.length} variants in ${ms(built.buildMs)}`,
    );

    // ----- in-process sections: 4 first (on a clean heap), then 1, 2, 5 (latency)
    log('4. signing…');
    const signers = signing(settings.signing);
    const handlers = await loadHandlers(upstream.origin);
    log('1. warm overhead (show, delete)…');
    const warm = await warmOverhead(upstream, handlers, settings.warm);
    log('1b. warm show, credentials from the secret (as deployed)…');
    const warmSecret = await warmOverheadWithSecret(upstream, handlers, settings.warm);
    log('2. concurrency…');
    const conc = await concurrency(upstream, handlers, settings.concurrency);
    log('5. peer latency (Huawei SDK HcClient)…');
    const peer = await peerLatency(upstream, handlers, settings.peer);

    // ----- fresh processes: 3 and 5 (import cost)
    const emptyModule = join(workDir, 'empty.mjs');
    await writeFile(emptyModule, '');
    const show = built.functions.find((bundle) => bundle.name === 'httpShowImage');
    if (show === undefined) throw new Error('no httpShowImage bundle was built');
    const sdkClientPath = [
      '@huaweicloud/huaweicloud-sdk-core/HcClient.js',
      '@huaweicloud/huaweicloud-sdk-core/http/DefaultHttpClient.js',
      '@huaweicloud/huaweicloud-sdk-core/auth/BasicCredentials.js',
    ];
    const importSubjects: Subject[] = [
      { id: 'empty', mode: 'import', targets: [emptyModule] },
      ...built.functions.map(
        (bundle): Subject => ({
          id: bundle.name,
          mode: 'import',
          targets: [bundle.file],
        }),
      ),
      ...built.variants.map(
        (bundle): Subject => ({
          id: bundle.name,
          mode: 'import',
          targets: [bundle.file],
        }),
      ),
      {
        id: 'httpShowImage --enable-source-maps',
        mode: 'import',
        targets: [show.file],
        nodeArgs: ['--enable-source-maps'],
      },
      { id: 'huawei-sdk-core', mode: 'import', targets: ['@huaweicloud/huaweicloud-sdk-core'] },
      { id: 'huawei-sdk-client', mode: 'import', targets: sdkClientPath },
    ];
    const plainEnv = probeEnv(upstream.origin);
    const deployedEnv = probeEnv(upstream.origin, built.deployedNodeOptions);
    const secretDeployedEnv = probeEnv(upstream.origin, built.deployedNodeOptions, 'secret');
    const unsplit = built.variants.find((bundle) => bundle.name === 'what-if: no code splitting');
    const showSubjects: Subject[] = [
      ...[show, ...built.variants].map(
        (bundle): Subject => ({ id: `show:${bundle.name}`, mode: 'show', targets: [bundle.file] }),
      ),
      // The deployed configuration: the first show also loads the Secrets Manager client (a lazy
      // chunk for ours) and reads the secret.
      ...[show, naive(built.variants), ...(unsplit === undefined ? [] : [unsplit])].map(
        (bundle): Subject => ({
          id: `secret:${bundle.name}`,
          mode: 'show',
          targets: [bundle.file],
          env: secretDeployedEnv,
        }),
      ),
      ...(built.deployedNodeOptions === undefined
        ? []
        : [
            {
              id: `show:${show.name} without NODE_OPTIONS`,
              mode: 'show',
              targets: [show.file],
              env: plainEnv,
            } satisfies Subject,
          ]),
    ];
    log(`3. cold import: ${importSubjects.length} subjects × ${settings.coldRounds} processes…`);
    const imports = await probeAll(importSubjects, settings.coldRounds, plainEnv);
    log(
      `3. cold start + first show: ${showSubjects.length} subjects × ${settings.coldRounds} processes (NODE_OPTIONS=${built.deployedNodeOptions ?? ''})…`,
    );
    const shows = await probeAll(showSubjects, settings.coldRounds, deployedEnv);
    const clientBuilderError = await loadsCleanly(
      '@huaweicloud/huaweicloud-sdk-core/ClientBuilder.js',
      plainEnv,
    );

    const profiles: ColdProfile[] = [];
    let warmProfile: WarmProfile | undefined;
    if (profile) {
      log('profiling the cold path (--cpu-prof) and the warm path (inspector)…');
      for (const bundle of built.forProfile) {
        if (bundle.name === 'warm-harness') continue;
        profiles.push(await profileCold(bundle, plainEnv, settings.profileProcesses, workDir));
      }
      const harness = built.forProfile.find((bundle) => bundle.name === 'warm-harness');
      if (harness !== undefined) {
        warmProfile = await profileWarm(
          harness,
          plainEnv,
          settings.warmProfileRequests,
          settings.concurrency.inFlight,
          workDir,
        );
      }
    }
    const loadAfter = loadavg();

    // ----- figures
    const sub = (map: Map<string, SubjectSummary>, id: string): SubjectSummary => {
      const found = map.get(id);
      if (found === undefined) throw new Error(`no results for ${id}`);
      return found;
    };
    const empty = sub(imports, 'empty').medianImportMs;
    const importCost = (id: string) => sub(imports, id).medianImportMs - empty;
    const bundles = [...built.functions, ...built.variants].map((bundle) => ({
      name: bundle.name,
      kind: built.functions.includes(bundle) ? 'function' : 'variant',
      bytes: bundle.bytes,
      gzipBytes: bundle.gzipBytes,
      initialBytes: bundle.initialBytes,
      totalBytesWithChunks: bundle.totalBytes,
      importMinusEmptyMs: round(importCost(bundle.name), 2),
      top: bundle.composition.slice(0, 8).map(({ source, bytes }) => ({ source, bytes })),
    }));
    const ours = sub(shows, `show:${show.name}`);
    const naiveShow = sub(shows, 'show:naive');
    const oursSecret = sub(shows, `secret:${show.name}`);
    const naiveSecret = sub(shows, 'secret:naive');
    const pairedRatio = (a: SubjectSummary, b: SubjectSummary) =>
      median(a.samples.map((sample, i) => sample.coldMs / (b.samples[i]?.coldMs ?? Number.NaN)));
    const coldRatio = pairedRatio(ours, naiveShow);
    const coldSecretRatio = pairedRatio(oursSecret, naiveSecret);
    const userMeets = [...shows.values()].map((summary) => {
      const secret = summary.id.startsWith('secret:');
      return {
        subject: secret
          ? `${summary.id.replace(/^secret:/, '')} (credentials from the secret)`
          : summary.id.replace(/^show:/, ''),
        processes: summary.processes,
        importPlusFirstShowMs: round(summary.medianColdMs, 2),
        importMs: round(summary.medianImportMs, 2),
        processStartToShownMs: round(summary.medianSinceStartMs, 2),
        spawnToExitMs: round(summary.medianWallMs, 2),
        ratioVsNaive: round(pairedRatio(summary, secret ? naiveSecret : naiveShow), 3),
      };
    });

    const targets: TargetRow[] = [];
    for (const operation of warm) {
      targets.push({
        figure: `warm ${operation.operation} p50 handler/bare`,
        value: `${x(operation.median.ratioP50)} (${us(operation.median.handlerP50Us)} vs ${us(operation.median.bareP50Us)}, +${us(operation.median.handlerP50Us - operation.median.bareP50Us)})`,
        target: `≤ ${x(TARGETS.warmP50)}`,
        met: operation.median.ratioP50 <= TARGETS.warmP50,
      });
      targets.push({
        figure: `warm ${operation.operation} p99 handler/bare`,
        value: `${x(operation.median.ratioP99)} (${us(operation.median.handlerP99Us)} vs ${us(operation.median.bareP99Us)}, +${us(operation.median.handlerP99Us - operation.median.bareP99Us)})`,
        target: `≤ ${x(TARGETS.warmP99)}`,
        met: operation.median.ratioP99 <= TARGETS.warmP99,
      });
    }
    targets.push({
      figure: `64 in flight: throughput handler/bare`,
      value: `${x(conc.median.throughputRatio)} (${Math.round(conc.median.handlerRps)} vs ${Math.round(conc.median.bareRps)} req/s)`,
      target: `≥ ${x(TARGETS.throughput)}`,
      met: conc.median.throughputRatio >= TARGETS.throughput,
    });
    targets.push({
      figure: `64 in flight: connection reuse (handler)`,
      value: `${pct(conc.median.handlerReuseShare)} (${conc.median.handlerNewConnections} new / ${conc.requestsPerPhase}; bare ${pct(conc.median.bareReuseShare)})`,
      target: `≥ ${pct(TARGETS.reuse)}`,
      met: conc.median.handlerReuseShare >= TARGETS.reuse,
    });
    targets.push({
      figure: 'cold import + first show: ours/naive (env credentials)',
      value: `${x(coldRatio)} (${ms(ours.medianColdMs)} vs ${ms(naiveShow.medianColdMs)})`,
      target: `≤ ${x(TARGETS.coldVsNaive)}`,
      met: coldRatio <= TARGETS.coldVsNaive,
    });
    targets.push({
      figure: 'cold import + first show: ours/naive (secret, as deployed)',
      value: `${x(coldSecretRatio)} (${ms(oursSecret.medianColdMs)} vs ${ms(naiveSecret.medianColdMs)})`,
      target: `≤ ${x(TARGETS.coldVsNaive)}`,
      met: coldSecretRatio <= TARGETS.coldVsNaive,
    });
    // What is compiled during INIT: the entry and the chunks it imports statically. The lazily
    // loaded chunks (the Secrets Manager client) are shown beside it.
    for (const bundle of built.functions) {
      targets.push({
        figure: `bundle ${bundle.name} (minified, loaded at start)`,
        value: `${kib(bundle.initialBytes)} (gzip entry ${kib(bundle.gzipBytes)}${bundle.totalBytes > bundle.initialBytes ? `; with lazy chunks ${kib(bundle.totalBytes)}` : ''})`,
        target: `≤ ${kib(TARGETS.bundleBytes)}`,
        met: bundle.initialBytes <= TARGETS.bundleBytes,
      });
    }
    for (const scheme of signers) {
      targets.push({
        figure: `signing ${scheme.scheme}: ours/official`,
        value: `${x(scheme.median.ratio)} (${Math.round(scheme.median.oursPerSecond)} vs ${Math.round(scheme.median.officialPerSecond)} /s)`,
        target: `≥ ${x(TARGETS.signers)}`,
        met: scheme.median.ratio >= TARGETS.signers,
      });
    }

    const info: Array<[string, string]> = [
      ...bundles.map((bundle): [string, string] => [
        `import − empty: ${bundle.name}`,
        `${ms(bundle.importMinusEmptyMs)}  (${kib(bundle.initialBytes)} at start, gzip entry ${kib(bundle.gzipBytes)}${bundle.totalBytesWithChunks > bundle.initialBytes ? `; with lazy chunks ${kib(bundle.totalBytesWithChunks)}` : ''})`,
      ]),
      [
        'import − empty: httpShowImage with --enable-source-maps',
        ms(importCost('httpShowImage --enable-source-maps')),
      ],
      [
        'import − empty: @huaweicloud/huaweicloud-sdk-core (root)',
        ms(importCost('huawei-sdk-core')),
      ],
      [
        'import − empty: Huawei SDK HcClient + DefaultHttpClient + BasicCredentials',
        ms(importCost('huawei-sdk-client')),
      ],
      [
        'Huawei SDK ClientBuilder.js',
        clientBuilderError === undefined ? 'loads' : `does not load: ${clientBuilderError}`,
      ],
      ...userMeets.map((row): [string, string] => [
        `cold import + first show: ${row.subject}`,
        `${ms(row.importPlusFirstShowMs)} (import ${ms(row.importMs)}; process start → shown ${ms(row.processStartToShownMs)}; ${x(row.ratioVsNaive)} naive)`,
      ]),
      [
        `64 in flight, upstream answering in ${conc.withLatency.upstreamDelayMs} ms: handler/bare`,
        `${x(conc.withLatency.run.throughputRatio)} (${Math.round(conc.withLatency.run.handler.requestsPerSecond)} vs ${Math.round(conc.withLatency.run.bare.requestsPerSecond)} req/s; reuse ${pct(conc.withLatency.run.handler.reuseShare)})`,
      ],
      [
        'warm show, credentials from the secret (as deployed): p50 handler/bare',
        `${x(warmSecret.median.ratioP50)} (${us(warmSecret.median.handlerP50Us)} vs ${us(warmSecret.median.bareP50Us)}, +${us(warmSecret.median.handlerP50Us - warmSecret.median.bareP50Us)})`,
      ],
      [
        'warm show, credentials from the secret (as deployed): p99 handler/bare',
        `${x(warmSecret.median.ratioP99)} (${us(warmSecret.median.handlerP99Us)} vs ${us(warmSecret.median.bareP99Us)})`,
      ],
      [
        'warm show: ours vs Huawei SDK HcClient, p50',
        `${us(peer.median.handlerP50Us)} vs ${us(peer.median.bareP50Us)} (ours ${x(peer.median.ratioP50)} of SDK)`,
      ],
      [
        'warm show: ours vs Huawei SDK HcClient, p99',
        `${us(peer.median.handlerP99Us)} vs ${us(peer.median.bareP99Us)} (ours ${x(peer.median.ratioP99)} of SDK)`,
      ],
    ];

    const elapsedS = (performance.now() - t0) / 1000;
    const machine = {
      node: process.version,
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? 'unknown',
      loadavgBefore: loadBefore.map((value) => round(value, 2)),
      loadavgAfter: loadAfter.map((value) => round(value, 2)),
      note:
        loadBefore[0] !== undefined && loadBefore[0] > cpus().length * 0.25
          ? 'loaded (1-min load average above a quarter of the cores at start): re-measure on a quiet machine'
          : 'quiet',
    };
    const results = {
      command: `npm run bench${args.length > 0 ? ` -- ${args.join(' ')}` : ''}`,
      date: startedAt.toISOString(),
      elapsedSeconds: round(elapsedS, 1),
      machine,
      settings,
      targets: targets.map((row) => ({ ...row })),
      warm: [...warm, warmSecret].map((operation) => ({
        operation: operation.operation,
        samplesPerRun: operation.samplesPerRun,
        median: roundAll(operation.median),
        runs: operation.runs.map(roundAll),
      })),
      concurrency: {
        inFlight: conc.inFlight,
        requestsPerPhase: conc.requestsPerPhase,
        median: roundAll(conc.median),
        runs: conc.runs.map((run) => ({
          handler: roundAll(run.handler),
          bare: roundAll(run.bare),
          throughputRatio: round(run.throughputRatio),
        })),
        withUpstreamLatency: {
          upstreamDelayMs: conc.withLatency.upstreamDelayMs,
          requests: conc.withLatency.requests,
          handler: roundAll(conc.withLatency.run.handler),
          bare: roundAll(conc.withLatency.run.bare),
          throughputRatio: round(conc.withLatency.run.throughputRatio),
        },
      },
      cold: {
        processesPerSubject: settings.coldRounds,
        emptyModuleImportMs: round(empty, 2),
        deployedNodeOptions: built.deployedNodeOptions ?? null,
        bundles,
        importOnly: [...imports.values()].map((summary) => ({
          subject: summary.id,
          medianImportMs: round(summary.medianImportMs, 2),
          minusEmptyMs: round(summary.medianImportMs - empty, 2),
          medianSpawnToExitMs: round(summary.medianWallMs, 2),
        })),
        importPlusFirstShow: userMeets,
        ratioOursVsNaive: round(coldRatio),
        ratioOursVsNaiveWithSecret: round(coldSecretRatio),
        huaweiSdkCoreImportMinusEmptyMs: round(importCost('huawei-sdk-core'), 2),
      },
      signing: signers.map((scheme) => ({
        scheme: scheme.scheme,
        ours: scheme.ours,
        official: scheme.official,
        iterationsPerRun: scheme.iterationsPerRun,
        median: roundAll(scheme.median),
        runs: scheme.runs.map(roundAll),
      })),
      peer: {
        client: 'Huawei SDK core HcClient + DefaultHttpClient (axios) + BasicCredentials',
        clientBuilder:
          clientBuilderError === undefined ? 'loads' : `does not load: ${clientBuilderError}`,
        latency: { median: roundAll(peer.median), runs: peer.runs.map(roundAll) },
        sdkClientImportMinusEmptyMs: round(importCost('huawei-sdk-client'), 2),
        oursShowBundleImportMinusEmptyMs: round(importCost(show.name), 2),
      },
      warmProfile:
        warmProfile === undefined
          ? null
          : {
              inFlight: warmProfile.inFlight,
              requests: warmProfile.requests,
              handlerRps: round(warmProfile.handlerRps, 0),
              bareRps: round(warmProfile.bareRps, 0),
              cpuUsPerRequest: warmProfile.perRequestUs
                .filter((row) => row.handler >= 0.5 || row.bare >= 0.5)
                .map((row) => ({
                  source: row.source,
                  handler: round(row.handler, 1),
                  bare: round(row.bare, 1),
                })),
            },
      coldProfile: profiles.map((summary) => ({
        bundle: summary.bundle,
        processes: summary.processes,
        selfMs: summary.selfMs.slice(0, 15).map(({ source, ms: value }) => ({
          source,
          ms: round(value, 2),
        })),
      })),
    };
    await writeJson(join(resultsDir, 'latest.json'), results);

    // ----- table
    const width = Math.max(...targets.map((row) => row.figure.length));
    const valueWidth = Math.max(...targets.map((row) => row.value.length));
    console.log(
      `\ncloud-image-functions bench — ${results.date} — Node ${machine.node}, ${machine.cpus} cores (${machine.note}; load ${machine.loadavgBefore.join(' ')} → ${machine.loadavgAfter.join(' ')})\n`,
    );
    console.log(`${'figure'.padEnd(width)}  ${'value'.padEnd(valueWidth)}  target     result`);
    console.log('-'.repeat(width + valueWidth + 22));
    for (const row of targets) {
      console.log(
        `${row.figure.padEnd(width)}  ${row.value.padEnd(valueWidth)}  ${row.target.padEnd(9)}  ${row.met ? 'met' : 'MISSED'}`,
      );
    }
    console.log('\nalso measured');
    const infoWidth = Math.max(...info.map(([name]) => name.length));
    for (const [name, value] of info) console.log(`  ${name.padEnd(infoWidth)}  ${value}`);
    for (const summary of profiles) {
      console.log(
        `\ncold path CPU self time, ${summary.bundle} (avg of ${summary.processes} processes): ${summary.selfMs
          .slice(0, 8)
          .map(({ source, ms: value }) => `${source} ${value.toFixed(1)} ms`)
          .join(' · ')}`,
      );
    }
    if (warmProfile !== undefined) {
      const profiled = warmProfile;
      const total = (pick: (row: WarmProfile['perRequestUs'][number]) => number) =>
        profiled.perRequestUs
          .filter((row) => row.source !== '(idle)')
          .reduce((sum, row) => sum + pick(row), 0);
      console.log(
        `\nwarm path CPU per request, ${profiled.inFlight} in flight (handler ${Math.round(profiled.handlerRps)} req/s, bare ${Math.round(profiled.bareRps)} req/s; busy ${us(total((row) => row.handler))} vs ${us(total((row) => row.bare))}), µs handler/bare:`,
      );
      console.log(
        `  ${profiled.perRequestUs
          .filter((row) => row.source !== '(idle)')
          .slice(0, 18)
          .map((row) => `${row.source} ${row.handler.toFixed(1)}/${row.bare.toFixed(1)}`)
          .join(' · ')}`,
      );
    }
    console.log(
      `\n${targets.filter((row) => row.met).length}/${targets.length} targets met · ${elapsedS.toFixed(0)} s · figures in ${join('bench', 'results', 'latest.json')}`,
    );
  } finally {
    await upstream.stop();
    await rm(workDir, { recursive: true, force: true });
  }
};

/** The naive variant among the built ones. */
function naive(variants: readonly Bundle[]): Bundle {
  const found = variants.find((bundle) => bundle.name === 'naive');
  if (found === undefined) throw new Error('no naive bundle was built');
  return found;
}

/** Every number in a flat record rounded for the JSON file. */
function roundAll<T extends object>(record: T): T {
  return Object.fromEntries(
    Object.entries(record).map(([key, value]) => [
      key,
      typeof value === 'number' ? round(value) : value,
    ]),
  ) as T;
}

main().then(
  // The shared HTTP agent keeps sockets open; nothing else is left to wait for.
  () => process.exit(0),
  (error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : error);
    process.exit(1);
  },
);
