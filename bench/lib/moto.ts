// The bench's own moto_server (Python moto) on a loopback port: Secrets Manager holds the
// credentials secret and EventBridge takes a delete's events, as deployed. (Benchmarks do not
// borrow from test/; this is the small part of test/support/moto.ts the bench needs.)

import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { Agent, fetch as undiciFetch } from 'undici';
import type { Certificate } from '../../scripts/loopback-certificate.js';
import { sleep } from './stats.js';

export interface Moto {
  /** `http(s)://127.0.0.1:<port>` */
  readonly endpoint: string;
  /** The certificate file to trust when it answers over HTTPS. */
  readonly ca: string | undefined;
  readonly pid: number;
  stop(): Promise<void>;
}

/** The function's AWS identity as Lambda gives it (fake: nothing reaches AWS). */
export const MOTO_AWS_ENV = {
  AWS_ACCESS_KEY_ID: 'testing',
  AWS_SECRET_ACCESS_KEY: 'testing',
  AWS_SESSION_TOKEN: 'testing',
  AWS_REGION: 'us-east-1',
  AWS_EC2_METADATA_DISABLED: 'true',
} as const;

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address !== null
          ? resolve(address.port)
          : reject(new Error('no free port')),
      );
    });
  });

/** undici's fetch, trusting the bench's certificate when moto answers over HTTPS. */
const dispatchers = new Map<string, Agent>();
const fetchFrom = (url: string, init: RequestInit & { ca?: string | undefined }) => {
  const { ca, ...rest } = init;
  let dispatcher: Agent | undefined;
  if (ca !== undefined) {
    dispatcher = dispatchers.get(ca) ?? new Agent({ connect: { ca: readFileSync(ca) } });
    dispatchers.set(ca, dispatcher);
  }
  return undiciFetch(url, { ...(rest as object), ...(dispatcher ? { dispatcher } : {}) });
};

const answers = async (url: string, ca?: string): Promise<boolean> => {
  try {
    const response = await fetchFrom(url, { signal: AbortSignal.timeout(1_000), ca });
    await response.body?.cancel();
    return response.ok;
  } catch {
    return false;
  }
};

/** Signals the server's process group (moto_server may be a shim that forks). */
const signal = (child: ChildProcess, name: NodeJS.Signals): void => {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, name);
  } catch {
    child.kill(name);
  }
};

/**
 * Starts moto_server (optionally pinned with `taskset -c <cpu>`, optionally over HTTPS with the
 * given certificate) and waits until it answers.
 */
export const startMoto = async (cpu?: number, tls?: Certificate): Promise<Moto> => {
  const port = await freePort();
  const endpoint = `${tls === undefined ? 'http' : 'https'}://127.0.0.1:${port}`;
  const command = [
    'moto_server',
    '-H',
    '127.0.0.1',
    '-p',
    String(port),
    ...(tls === undefined ? [] : ['-c', tls.certFile, '-k', tls.keyFile]),
  ];
  const [file, ...args] = cpu === undefined ? command : ['taskset', '-c', String(cpu), ...command];
  const child = spawn(file as string, args, {
    detached: true,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, ...MOTO_AWS_ENV },
  });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-2_000);
  });
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    signal(child, 'SIGTERM');
    const killer = setTimeout(() => signal(child, 'SIGKILL'), 5_000);
    await exited;
    clearTimeout(killer);
  };
  const deadline = Date.now() + 20_000;
  while (!(await answers(`${endpoint}/moto-api/`, tls?.certFile))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`moto_server did not start on ${endpoint}: ${stderr.trim()}`);
    }
    await sleep(100);
  }
  return { endpoint, pid: child.pid ?? 0, ca: tls?.certFile, stop };
};

/** One AWS JSON-protocol call to moto (no SDK: the bench's own set-up stays out of what it times). */
export const motoCall = async (
  endpoint: string,
  target: string,
  body: Record<string, unknown>,
  ca?: string,
): Promise<unknown> => {
  const response = await fetchFrom(endpoint, {
    ca,
    method: 'POST',
    headers: {
      'content-type': 'application/x-amz-json-1.1',
      'x-amz-target': target,
      // moto reads the region from the credential scope.
      authorization: `AWS4-HMAC-SHA256 Credential=testing/20260101/${MOTO_AWS_ENV.AWS_REGION}/${target.startsWith('AWSEvents') ? 'events' : 'secretsmanager'}/aws4_request, SignedHeaders=host, Signature=0`,
    },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok)
    throw new Error(`moto ${target}: HTTP ${response.status} ${text.slice(0, 300)}`);
  return text === '' ? {} : JSON.parse(text);
};
