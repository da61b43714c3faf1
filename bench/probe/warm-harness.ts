// The warm path, in a process of its own pinned to one core (the upstream has the other): the
// deployed handler (show or delete), the bare client (the same upstream requests, signed once,
// through the same agent, body read) and the equivalent-work baseline (bench/baselines), driven
// one request at a time as Lambda serves them, in blocks that rotate between the three paths so
// that the machine's noise lands on all of them alike.
//
// Bundled by bench/build.ts with the functions' own esbuild options, run with the deployed
// NODE_OPTIONS. Settings are one JSON argument; the result is one line `@@warm {json}`.
//
//   warm-up   until every path has served `warmup` requests; the first `first` of each are
//             reported apart, and the CPU per request of each `window` shows the way to steady state
//   measured  `runs` runs of `perRun` requests per path: p50, p99 and client CPU per request
//   profile   with `profile`: after the warm-up, `profileRequests` of one path under the inspector's
//             CPU profiler (written to `profile`), nothing else measured

import { openSync, writeFileSync, writeSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { request } from 'undici';
import { handler as deleteHandler } from '../../functions/http/delete-image.js';
import { handler as showHandler } from '../../functions/http/show-image.js';
import { sharedDispatcher } from '../../lib/http/transport.js';
import { setLogSink } from '../../lib/log/log.js';
import { httpEvent, lambdaContext } from '../../scripts/lambda-events.js';
import { equivalentDelete, equivalentShow } from '../baselines/equivalent.js';
import { CALLS, IMAGE_ID, signedWireRequest } from '../lib/fixtures.js';

export type PathName = 'handler' | 'bare' | 'equivalent';
export const PATHS: readonly PathName[] = ['handler', 'bare', 'equivalent'];

export interface HarnessSettings {
  operation: 'show' | 'delete';
  warmup: number;
  first: number;
  window: number;
  runs: number;
  perRun: number;
  block: number;
  profile?: string;
  profilePath?: PathName;
  profileRequests?: number;
}

export interface Distribution {
  samples: number;
  p50Us: number;
  p90Us: number;
  p99Us: number;
  cpuUsPerRequest: number;
}

export interface HarnessResult {
  operation: 'show' | 'delete';
  first: Record<PathName, Distribution>;
  /** CPU µs per request of each warm-up window, per path, in order. */
  warmupCpu: Record<PathName, number[]>;
  runs: Array<Record<PathName, Distribution>>;
  pooled: Record<PathName, Distribution>;
  elapsedMs: number;
}

const settings = JSON.parse(process.argv[2] ?? '{}') as HarnessSettings;
const origin = process.env.MODELARTS_ENDPOINT ?? '';
const devNull = openSync('/dev/null', 'w');
const sink = (line: string): void => {
  writeSync(devNull, `${line}\n`);
};
setLogSink(sink);

const dispatcher = sharedDispatcher();
const wires = CALLS[settings.operation].map((call) => signedWireRequest(origin, call));
const fail = (what: string, status: number | undefined): never => {
  throw new Error(`${what} answered ${status}, not 200`);
};

type Call = () => Promise<void>;

/** A block's calls, made before its clock starts (Lambda builds event and context outside the handler). */
const prepare: Record<PathName, (count: number) => Call[]> = {
  handler: (count) => {
    const handler = settings.operation === 'show' ? showHandler : deleteHandler;
    const method = settings.operation === 'show' ? 'GET' : 'DELETE';
    return Array.from({ length: count }, () => {
      const event = httpEvent(method, 'modelarts', IMAGE_ID);
      const context = lambdaContext();
      return async () => {
        const result = await handler(event, context);
        if (result.statusCode !== 200) fail(`handler ${method}`, result.statusCode);
      };
    });
  },
  bare: (count) =>
    Array.from({ length: count }, () => async () => {
      for (const wire of wires) {
        const response = await request(wire.url, {
          method: wire.method,
          headers: wire.headers,
          dispatcher,
        });
        await response.body.text();
        if (response.statusCode !== 200) fail(`bare ${wire.method}`, response.statusCode);
      }
    }),
  equivalent: (count) => {
    const run = settings.operation === 'show' ? equivalentShow : equivalentDelete;
    return Array.from({ length: count }, (_, i) => async () => {
      const result = await run(origin, dispatcher, sink, `bench-${i}`);
      if (result.statusCode !== 200) fail('equivalent', result.statusCode);
    });
  },
};

interface Block {
  latenciesUs: number[];
  cpuUs: number;
}

const runBlock = async (path: PathName, count: number): Promise<Block> => {
  const calls = prepare[path](count);
  const latenciesUs: number[] = new Array(count);
  const cpuBefore = process.cpuUsage();
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    await (calls[i] as Call)();
    latenciesUs[i] = (performance.now() - started) * 1000;
  }
  const cpu = process.cpuUsage(cpuBefore);
  return { latenciesUs, cpuUs: cpu.user + cpu.system };
};

const nearestRank = (sorted: readonly number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ??
  Number.NaN;

const distribution = (latenciesUs: readonly number[], cpuUs: number): Distribution => {
  const sorted = [...latenciesUs].sort((a, b) => a - b);
  return {
    samples: sorted.length,
    p50Us: nearestRank(sorted, 50),
    p90Us: nearestRank(sorted, 90),
    p99Us: nearestRank(sorted, 99),
    cpuUsPerRequest: cpuUs / Math.max(1, sorted.length),
  };
};

interface Tally {
  latenciesUs: number[];
  cpuUs: number;
}

const emptyTallies = (): Record<PathName, Tally> => ({
  handler: { latenciesUs: [], cpuUs: 0 },
  bare: { latenciesUs: [], cpuUs: 0 },
  equivalent: { latenciesUs: [], cpuUs: 0 },
});

/**
 * `perPath` requests of each path, in blocks of at most `settings.block`, the order of the paths
 * rotated block by block. `onBlock` sees every block.
 */
const rotate = async (
  perPath: number,
  paths: readonly PathName[],
  onBlock: (path: PathName, block: Block, doneBefore: number) => void,
): Promise<void> => {
  const done: Record<PathName, number> = { handler: 0, bare: 0, equivalent: 0 };
  for (let round = 0; paths.some((path) => done[path] < perPath); round++) {
    for (let i = 0; i < paths.length; i++) {
      const path = paths[(i + round) % paths.length] as PathName;
      const count = Math.min(settings.block, perPath - done[path]);
      if (count <= 0) continue;
      const block = await runBlock(path, count);
      onBlock(path, block, done[path]);
      done[path] += count;
    }
  }
};

const started = performance.now();

// Warm-up. Blocks never straddle the end of the first `first` requests or of a window.
const first = emptyTallies();
const windows: Record<PathName, Tally[]> = { handler: [], bare: [], equivalent: [] };
const warmBlock = Math.min(settings.block, settings.first, settings.window);
const savedBlock = settings.block;
settings.block = warmBlock;
await rotate(settings.warmup, PATHS, (path, block, doneBefore) => {
  if (doneBefore < settings.first) {
    first[path].latenciesUs.push(...block.latenciesUs);
    first[path].cpuUs += block.cpuUs;
  }
  const index = Math.floor(doneBefore / settings.window);
  let window = windows[path][index];
  if (window === undefined) {
    window = { latenciesUs: [], cpuUs: 0 };
    windows[path][index] = window;
  }
  window.latenciesUs.push(...block.latenciesUs);
  window.cpuUs += block.cpuUs;
});
settings.block = savedBlock;

if (settings.profile !== undefined) {
  const path = settings.profilePath ?? 'handler';
  const count = settings.profileRequests ?? 10_000;
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 100 });
  await session.post('Profiler.start');
  const cpuBefore = process.cpuUsage();
  for (let doneCount = 0; doneCount < count; doneCount += settings.block) {
    await runBlock(path, Math.min(settings.block, count - doneCount));
  }
  const cpu = process.cpuUsage(cpuBefore);
  const { profile } = await session.post('Profiler.stop');
  writeFileSync(settings.profile, JSON.stringify(profile));
  process.stdout.write(
    `\n@@warm ${JSON.stringify({ profiled: path, requests: count, cpuUsPerRequest: (cpu.user + cpu.system) / count })}\n`,
    () => process.exit(0),
  );
} else {
  const runs: Array<Record<PathName, Distribution>> = [];
  const pooled = emptyTallies();
  for (let run = 0; run < settings.runs; run++) {
    const tallies = emptyTallies();
    await rotate(settings.perRun, PATHS, (path, block) => {
      tallies[path].latenciesUs.push(...block.latenciesUs);
      tallies[path].cpuUs += block.cpuUs;
      pooled[path].latenciesUs.push(...block.latenciesUs);
      pooled[path].cpuUs += block.cpuUs;
    });
    runs.push({
      handler: distribution(tallies.handler.latenciesUs, tallies.handler.cpuUs),
      bare: distribution(tallies.bare.latenciesUs, tallies.bare.cpuUs),
      equivalent: distribution(tallies.equivalent.latenciesUs, tallies.equivalent.cpuUs),
    });
  }
  const summarise = (tallies: Record<PathName, Tally>): Record<PathName, Distribution> => ({
    handler: distribution(tallies.handler.latenciesUs, tallies.handler.cpuUs),
    bare: distribution(tallies.bare.latenciesUs, tallies.bare.cpuUs),
    equivalent: distribution(tallies.equivalent.latenciesUs, tallies.equivalent.cpuUs),
  });
  const result: HarnessResult = {
    operation: settings.operation,
    first: summarise(first),
    warmupCpu: {
      handler: windows.handler.map((w) => w.cpuUs / Math.max(1, w.latenciesUs.length)),
      bare: windows.bare.map((w) => w.cpuUs / Math.max(1, w.latenciesUs.length)),
      equivalent: windows.equivalent.map((w) => w.cpuUs / Math.max(1, w.latenciesUs.length)),
    },
    runs,
    pooled: summarise(pooled),
    elapsedMs: performance.now() - started,
  };
  process.stdout.write(`\n@@warm ${JSON.stringify(result)}\n`, () => process.exit(0));
}
