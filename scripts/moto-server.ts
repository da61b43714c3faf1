// A private moto_server (Python moto) process on a free loopback port: started, waited for, and
// stopped with its whole process group (moto_server may be a shim that forks). The tests
// (test/support/moto.ts: skipping rules, reset, client settings) and the bench (bench/lib/moto.ts:
// pinned to a core, over HTTPS, its own calls) each add what they need around it.

import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { Agent, fetch as undiciFetch } from 'undici';
import type { Certificate } from './loopback-certificate.js';

/** The fake credentials and region every use of moto takes (nothing may reach AWS). */
export const MOTO_AWS_ENV = {
  AWS_ACCESS_KEY_ID: 'testing',
  AWS_SECRET_ACCESS_KEY: 'testing',
  AWS_SESSION_TOKEN: 'testing',
  AWS_REGION: 'us-east-1',
  AWS_EC2_METADATA_DISABLED: 'true',
} as const;

export interface MotoServer {
  /** `http(s)://127.0.0.1:<port>` */
  readonly endpoint: string;
  readonly pid: number;
  /** The certificate file to trust when it answers over HTTPS. */
  readonly ca: string | undefined;
  /** SIGTERM to the process group, SIGKILL after 5 s; resolves once it has exited. */
  stop(): Promise<void>;
}

export interface MotoServerOptions {
  /** The executable (found on PATH by the caller). */
  command: string;
  /** Arguments given the loopback port, e.g. `-H 127.0.0.1 -p <port>`. */
  args: (port: number) => string[];
  /** Run it pinned to this core (`taskset -c`). */
  cpu?: number | undefined;
  /** Answer over HTTPS with this certificate (moto_server's `-c`/`-k`, added after `args`). */
  tls?: Certificate | undefined;
  /** How long to wait for it to answer; default 15 000 ms. */
  readyTimeoutMs?: number;
}

export const freeLoopbackPort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        address !== null && typeof address === 'object'
          ? resolve(address.port)
          : reject(new Error('could not get a free port')),
      );
    });
  });

const agents = new Map<string, Agent>();

/** undici's fetch, trusting `ca` (a certificate file) when given. */
export const fetchTrusting = (
  url: string,
  init: Parameters<typeof undiciFetch>[1] & { ca?: string | undefined } = {},
): ReturnType<typeof undiciFetch> => {
  const { ca, ...rest } = init;
  if (ca === undefined) return undiciFetch(url, rest);
  const dispatcher = agents.get(ca) ?? new Agent({ connect: { ca: readFileSync(ca) } });
  agents.set(ca, dispatcher);
  return undiciFetch(url, { ...rest, dispatcher });
};

const answers = async (url: string, ca: string | undefined): Promise<boolean> => {
  try {
    const response = await fetchTrusting(url, { signal: AbortSignal.timeout(1_000), ca });
    await response.body?.cancel();
    return response.ok;
  } catch {
    return false;
  }
};

const exited = (child: ChildProcess): Promise<void> =>
  child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve()
    : new Promise((resolve) => child.once('exit', () => resolve()));

/**
 * Signals the server's process group (its forked children may outlive the process that started
 * them), else the process itself.
 */
const signal = (child: ChildProcess, name: NodeJS.Signals): void => {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, name);
  } catch {
    if (child.exitCode !== null || child.signalCode !== null) return; // the group is gone too
    try {
      child.kill(name);
    } catch {
      // already gone
    }
  }
};

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Starts the server on a free loopback port and waits until `/moto-api/` answers. */
export const startMotoServer = async (options: MotoServerOptions): Promise<MotoServer> => {
  const port = await freeLoopbackPort();
  const { tls } = options;
  const endpoint = `${tls === undefined ? 'http' : 'https'}://127.0.0.1:${port}`;
  const command = [
    options.command,
    ...options.args(port),
    ...(tls === undefined ? [] : ['-c', tls.certFile, '-k', tls.keyFile]),
  ];
  const [file, ...args] =
    options.cpu === undefined ? command : ['taskset', '-c', String(options.cpu), ...command];
  const child = spawn(file as string, args, {
    detached: true,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, ...MOTO_AWS_ENV, MOTO_PORT: String(port) },
  });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-4_000);
  });
  let spawnError: Error | undefined;
  child.once('error', (error) => {
    spawnError = error;
  });

  const stop = async (): Promise<void> => {
    const done = exited(child);
    signal(child, 'SIGTERM');
    const killer = setTimeout(() => signal(child, 'SIGKILL'), 5_000);
    await done;
    clearTimeout(killer);
    child.stderr?.destroy();
  };

  const readyTimeoutMs = options.readyTimeoutMs ?? 15_000;
  const deadline = Date.now() + readyTimeoutMs;
  for (;;) {
    if (spawnError !== undefined || child.exitCode !== null || child.signalCode !== null) {
      await stop();
      throw new Error(
        `moto_server exited before answering (${spawnError?.message ?? `exit ${child.exitCode ?? child.signalCode}`}): ${stderr.trim()}`,
      );
    }
    if (await answers(`${endpoint}/moto-api/`, tls?.certFile)) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(
        `moto_server did not answer on ${endpoint} within ${readyTimeoutMs} ms: ${stderr.trim()}`,
      );
    }
    await sleep(100);
  }
  return { endpoint, pid: child.pid ?? 0, ca: tls?.certFile, stop };
};
