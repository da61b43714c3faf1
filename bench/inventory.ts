// The inventory paths at size: list and plan over a region of the emulator seeded with 10,000
// ModelArts images (and notebooks using some of them), each in a fresh process pinned to the client's
// core (bench/probe/inventory-run.ts, bundled like the functions), the emulator on the other:
// upstream requests (the emulator's counters), time, invocations and peak memory.

import { spawn } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { root } from '../scripts/build.js';
import { functionEnv } from './lib/fixtures.js';
import { CLIENT_CPU, pinned } from './lib/pin.js';
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

const control = async (origin: string, method: string, path: string, body?: unknown) => {
  const response = await fetch(`${origin}/_emulator/${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`emulator ${method} ${path}: ${response.status} ${text}`);
  return text === '' ? undefined : (JSON.parse(text) as unknown);
};

const runChild = (file: string, mode: string, env: Record<string, string>): Promise<unknown> =>
  new Promise((resolve, reject) => {
    const [command, args] = pinned(CLIENT_CPU, process.execPath, [file, mode]);
    const child = spawn(command, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.on('close', (code) => {
      const line = stdout.split('\n').find((text) => text.startsWith('@@inventory '));
      if (code !== 0 || line === undefined) {
        reject(new Error(`inventory ${mode} exited ${code}:\n${stderr.slice(0, 3000)}`));
        return;
      }
      resolve(JSON.parse(line.slice(12)));
    });
  });

export const inventory = async (
  emulator: Emulator,
  runnerFile: string,
  mode: 'list' | 'plan',
): Promise<InventoryRun> => {
  await control(emulator.origin, 'POST', 'reset');
  // A limit far above what is sent: only so that the emulator counts every request.
  await control(emulator.origin, 'PUT', 'rate-limit', { modelarts: { perSecond: 1_000_000 } });
  const env = {
    PATH: process.env.PATH ?? '',
    ...functionEnv(emulator.origin),
    RETIREMENT_STORE_DIR: await mkdtemp(join(tmpdir(), 'cif-bench-plans-')),
    LOG_LEVEL: 'warn',
  };
  const result = (await runChild(runnerFile, mode, env)) as Omit<InventoryRun, 'upstreamRequests'>;
  const counters = (await control(emulator.origin, 'GET', 'rate-limit')) as {
    counters: Array<{ provider: string; admitted: number; throttled: number }>;
  };
  const upstreamRequests = counters.counters
    .filter((counter) => counter.provider === 'modelarts')
    .reduce((sum, counter) => sum + counter.admitted + counter.throttled, 0);
  return { ...result, upstreamRequests };
};
