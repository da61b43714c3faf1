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

import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MOTO_AWS_ENV, startMotoServer } from '../../scripts/moto-server.js';

export { MOTO_AWS_ENV };

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
const SERIALIZED_SERVER = fileURLToPath(
  new URL('../../scripts/serialized-moto.py', import.meta.url),
);

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

/** Start moto_server on a free loopback port and wait until it answers. */
export async function startMoto(options: StartMotoOptions = {}): Promise<Moto> {
  const command = findOnPath(options.serialized ? 'python3' : COMMAND);
  if (command === undefined || !hasMoto()) {
    throw new Error(
      `moto_server is not on PATH${motoRequired() ? ' and REQUIRE_MOTO=1 is set' : ''}: install Python moto[server]`,
    );
  }
  const server = await startMotoServer({
    command,
    args: (port) =>
      options.serialized
        ? [SERIALIZED_SERVER, '127.0.0.1', String(port)]
        : ['-H', '127.0.0.1', '-p', String(port)],
    ...(options.readyTimeoutMs === undefined ? {} : { readyTimeoutMs: options.readyTimeoutMs }),
  });
  const { endpoint } = server;

  return {
    endpoint,
    reset: async () => {
      const response = await fetch(`${endpoint}/moto-api/reset`, { method: 'POST' });
      await response.body?.cancel();
      if (!response.ok) throw new Error(`moto reset failed: HTTP ${response.status}`);
    },
    stop: () => server.stop(),
  };
}
