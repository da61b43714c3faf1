// A private moto_server (Python moto) on a loopback port, for tests of AWS clients (Secrets Manager,
// SQS, Step Functions, ...). Suites that need it:
//
//   describe.skipIf(skipWithoutMoto('secrets store'))('...', () => {
//     let moto: Moto;
//     beforeAll(async () => { moto = await startMoto(); });
//     afterAll(() => moto?.stop());
//   });
//
// Without moto_server on PATH such suites are skipped with a console message, unless REQUIRE_MOTO=1
// (CI): then they run and fail in startMoto() with a clear error.

import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { createServer } from 'node:net';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface Moto {
  /** `http://127.0.0.1:<port>`: give it to a client as `endpoint` or AWS_ENDPOINT_URL_*. */
  endpoint: string;
  /** Forget every resource (POST /moto-api/reset), for isolation between tests. */
  reset(): Promise<void>;
  /** Stop the server (SIGTERM, then SIGKILL after 5 s) and wait until it has exited. */
  stop(): Promise<void>;
}

export interface StartMotoOptions {
  /** How long to wait for the server to answer; default 15 000 ms. */
  readyTimeoutMs?: number;
  /**
   * Serve one request at a time (moto's own app behind a lock, started with `python3`). For
   * tests of concurrent DynamoDB writers: moto is not safe under concurrent requests there (a
   * cancelled TransactWriteItems restores a snapshot of the whole table, undoing writes made
   * meanwhile), whereas DynamoDB applies each request atomically. Its costs that grow with the
   * data (transactions, EventBridge targets, SQS queue depth) are made flat: serialized-moto.py.
   */
  serialized?: boolean;
}

const COMMAND = 'moto_server';

/** moto_server's own app behind a lock (and three of its costs made flat). Arguments: host, port. */
const SERIALIZED_SERVER = fileURLToPath(new URL('./serialized-moto.py', import.meta.url));

/** The fake credentials and region every moto test should use (nothing may reach AWS). */
export const MOTO_AWS_ENV = {
  AWS_ACCESS_KEY_ID: 'testing',
  AWS_SECRET_ACCESS_KEY: 'testing',
  AWS_SESSION_TOKEN: 'testing',
  AWS_REGION: 'us-east-1',
  AWS_EC2_METADATA_DISABLED: 'true',
} as const;

/** The same, as the `credentials` and `region` of an SDK client config. */
export const motoClientConfig = (
  endpoint: string,
): {
  endpoint: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
} => ({
  endpoint,
  region: MOTO_AWS_ENV.AWS_REGION,
  credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
});

const findOnPath = (command: string): string | undefined => {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, command);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
};

/** moto_server is on PATH. */
export const hasMoto = (): boolean => findOnPath(COMMAND) !== undefined;

/** moto is required (CI sets REQUIRE_MOTO=1): a missing moto_server fails rather than skips. */
export const motoRequired = (): boolean => process.env.REQUIRE_MOTO === '1';

/**
 * For `describe.skipIf(...)`: true (skip, with a console message) when moto_server is missing and
 * not required; false when it is present or required (then startMoto() fails the suite).
 */
export const skipWithoutMoto = (suite: string): boolean => {
  if (hasMoto() || motoRequired()) return false;
  console.warn(
    `[moto] moto_server is not on PATH: skipping "${suite}" (install Python moto[server]; set REQUIRE_MOTO=1 to fail instead)`,
  );
  return true;
};

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address !== null && typeof address === 'object') resolve(address.port);
        else reject(new Error('could not get a free port'));
      });
    });
  });

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

const exited = (child: ChildProcess): Promise<void> =>
  child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve()
    : new Promise((resolve) => child.once('exit', () => resolve()));

/** Signal the server's process group (the command may be a shim that forks), else the process. */
const signal = (child: ChildProcess, name: NodeJS.Signals): void => {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, name);
  } catch {
    try {
      child.kill(name);
    } catch {
      // already gone
    }
  }
};

const answers = async (url: string): Promise<boolean> => {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(1_000) });
    await response.body?.cancel();
    return response.ok;
  } catch {
    return false;
  }
};

/** Start moto_server on a free loopback port and wait until it answers. */
export async function startMoto(options: StartMotoOptions = {}): Promise<Moto> {
  const command = findOnPath(options.serialized ? 'python3' : COMMAND);
  if (command === undefined || !hasMoto()) {
    throw new Error(
      `moto_server is not on PATH${motoRequired() ? ' and REQUIRE_MOTO=1 is set' : ''}: install Python moto[server]`,
    );
  }
  const readyTimeoutMs = options.readyTimeoutMs ?? 15_000;
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const args = options.serialized
    ? [SERIALIZED_SERVER, '127.0.0.1', String(port)]
    : ['-H', '127.0.0.1', '-p', String(port)];
  const child = spawn(command, args, {
    detached: true,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, ...MOTO_AWS_ENV, MOTO_PORT: String(port) },
  });
  let stderr = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
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

  const deadline = Date.now() + readyTimeoutMs;
  for (;;) {
    if (spawnError !== undefined || child.exitCode !== null || child.signalCode !== null) {
      await stop();
      throw new Error(
        `moto_server exited before answering (${spawnError?.message ?? `exit ${child.exitCode ?? child.signalCode}`}): ${stderr.trim()}`,
      );
    }
    if (await answers(`${endpoint}/moto-api/`)) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(
        `moto_server did not answer on ${endpoint} within ${readyTimeoutMs} ms: ${stderr.trim()}`,
      );
    }
    await sleep(100);
  }

  return {
    endpoint,
    reset: async () => {
      const response = await fetch(`${endpoint}/moto-api/reset`, { method: 'POST' });
      await response.body?.cancel();
      if (!response.ok) throw new Error(`moto reset failed: HTTP ${response.status}`);
    },
    stop,
  };
}
