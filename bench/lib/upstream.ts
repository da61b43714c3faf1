// Starts bench/upstream.ts in its own process and talks to it over IPC.

import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { Certificate } from '../../scripts/loopback-certificate.js';
import type { UpstreamMessage, UpstreamStats } from '../upstream.js';
import { pin, UPSTREAM_CPU } from './pin.js';
import { sleep } from './stats.js';

export interface Upstream {
  readonly origin: string;
  readonly pid: number;
  /** Whether it runs on a core of its own (taskset). */
  readonly pinned: boolean;
  /** Counters since the last reset; closes idle sockets and zeroes the counters. */
  reset(): Promise<UpstreamStats>;
  stats(): Promise<UpstreamStats>;
  /** Every later answer waits this long (0: none). */
  setDelay(ms: number): Promise<void>;
  stop(): Promise<void>;
}

const script = fileURLToPath(new URL('../upstream.ts', import.meta.url));

const ask = async (
  child: ChildProcess,
  type: 'stats' | 'reset' | 'delay',
  extra: Record<string, unknown> = {},
): Promise<UpstreamStats> => {
  const answer = new Promise<UpstreamStats>((resolve) => {
    const onMessage = (message: UpstreamMessage) => {
      if (message.type !== type) return;
      child.off('message', onMessage);
      resolve({ connections: message.connections, requests: message.requests });
    };
    child.on('message', onMessage);
  });
  child.send({ type, ...extra });
  return answer;
};

export const startUpstream = async (tls?: Certificate): Promise<Upstream> => {
  const child = fork(script, [], {
    execArgv: ['--import', 'tsx'],
    env:
      tls === undefined
        ? process.env
        : { ...process.env, BENCH_TLS_CERT: tls.certFile, BENCH_TLS_KEY: tls.keyFile },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const [ready] = (await Promise.race([
    once(child, 'message'),
    once(child, 'exit').then(() => {
      throw new Error('the benchmark upstream exited before it was ready');
    }),
  ])) as [UpstreamMessage];
  if (ready.type !== 'ready') throw new Error(`unexpected first message ${JSON.stringify(ready)}`);
  const pid = child.pid ?? 0;
  // Its own core: the client being measured never waits for the upstream's CPU.
  const pinned = pin(pid, UPSTREAM_CPU);
  return {
    pinned,
    origin: `${tls === undefined ? 'http' : 'https'}://127.0.0.1:${ready.port}`,
    pid,
    reset: async () => {
      const before = await ask(child, 'reset');
      // Let the client see the FINs of the sockets the server just closed before the next phase.
      await sleep(150);
      return before;
    },
    stats: () => ask(child, 'stats'),
    setDelay: async (ms) => {
      await ask(child, 'delay', { ms });
    },
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = once(child, 'exit');
      child.disconnect();
      await Promise.race([exited, sleep(2_000)]);
      if (child.exitCode === null) child.kill('SIGKILL');
    },
  };
};
