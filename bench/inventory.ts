// The inventory paths at size: list and plan over a region of the emulator seeded with 10,000
// ModelArts images (and notebooks using some of them), each in a fresh process pinned to the client's
// core (bench/probe/inventory-run.ts, bundled like the functions), the emulator on the other:
// upstream requests (the emulator's counters), time, invocations and peak memory.

import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { emulatorControl, runPinnedChild } from './lib/child.js';
import { functionEnv } from './lib/fixtures.js';
import type { Emulator } from './queue.js';

export interface InventoryRun {
  mode: 'list' | 'plan';
  images: number;
  invocations: number;
  elapsedMs: number;
  upstreamRequests: number;
  rssBeforeBytes: number;
  maxRssBytes: number;
  heapBeforeBytes: number;
  heapPeakBytes: number;
  complete?: boolean;
  planBytes?: number;
}

export const inventory = async (
  emulator: Emulator,
  runnerFile: string,
  mode: 'list' | 'plan',
  storeDir?: string,
): Promise<InventoryRun> => {
  await emulatorControl(emulator.origin, 'POST', 'reset');
  // A limit far above what is sent: only so that the emulator counts every request.
  await emulatorControl(emulator.origin, 'PUT', 'rate-limit', {
    modelarts: { perSecond: 1_000_000 },
  });
  const env = {
    PATH: process.env.PATH ?? '',
    ...functionEnv(emulator.origin),
    RETIREMENT_STORE_DIR: storeDir ?? (await mkdtemp(join(tmpdir(), 'cif-bench-plans-'))),
    LOG_LEVEL: 'warn',
  };
  const result = (await runPinnedChild(runnerFile, [mode], env, '@@inventory')) as Omit<
    InventoryRun,
    'upstreamRequests'
  >;
  const counters = (await emulatorControl(emulator.origin, 'GET', 'rate-limit')) as {
    counters: Array<{ provider: string; admitted: number; throttled: number }>;
  };
  const upstreamRequests = counters.counters
    .filter((counter) => counter.provider === 'modelarts')
    .reduce((sum, counter) => sum + counter.admitted + counter.throttled, 0);
  return { ...result, upstreamRequests };
};
