// `npm start`: the HTTP API on this machine, under serverless-offline (`osls offline start`).
//
// With none of IMAGE_CREDENTIALS_SECRET_ID, HUAWEICLOUD_SDK_AK, BCE_ACCESS_KEY_ID,
// MODELARTS_ENDPOINT or BCC_ENDPOINT set, the provider emulator is started in this process (on
// EMULATOR_PORT, or a free port) and the functions are pointed at it with the demo credentials;
// otherwise the functions use what the environment says, and no emulator is started.
//
//   PORT           the HTTP API's port on 127.0.0.1 (default 3000)
//   EMULATOR_PORT  the emulator's port (default: any free one; printed as "Emulator: <url>")
//   LAMBDA_PORT    serverless-offline's Lambda invoke API (default: any free one)
//   RETIREMENT_STORE_DIR  where plans, runs, the delete queue and events.jsonl are kept
//                  (default .local/retirement)
//   EMULATOR_SEED_* and EMULATOR_RATE_LIMIT_*  the emulator's (emulator/env-options.ts); by
//                  default it holds the demo images and a small generated inventory (40 images
//                  per cloud, some in use) to list, plan and apply
//
// Applied plans queue their deletes in RETIREMENT_STORE_DIR/queue; this process works that queue
// through the same SQS consumer the stack runs (scripts/local-queue.ts), as the event source
// mapping would, so a run completes locally too.
// It runs the `local` stage (serverless.yml: the stage that needs no credentials secret and is
// never deployed) unless the arguments name another. Any arguments are passed on to
// `osls offline start` (e.g. `npm start -- --stage test`).
//
// How variables reach the handlers: serverless-offline gives a handler only AWS_* variables and
// serverless.yml's `environment` unless started with --localEnvironment, which this script does;
// so the credentials (which serverless.yml must not deploy) reach the handlers as well.
// AWS_IAM authorization is not supported by serverless-offline (it breaks start-up);
// serverless.yml turns authorizers off for offline only (`noAuth`), so local calls are unsigned.

import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { SEEDED } from '../emulator/demo.js';
import { emulatorOptionsFromEnv, type SeedDefaults } from '../emulator/env-options.js';
import { startEmulator } from '../emulator/server.js';
import { DEFAULT_STORE_DIR } from '../lib/config/retirement-config.js';
import { oslsScript, root } from './build.js';
import {
  emulatorEnvironment,
  REAL_ONLY_VARIABLES,
  realConfigurationIn,
} from './local-environment.js';
import { drainLocalQueue } from './local-queue.js';

const HOST = '127.0.0.1';
/** serverless.yml's stage for this machine (scripts/stack-params.cjs). */
const LOCAL_STAGE = 'local';
/** Besides the demo images: enough to page through, plan and apply. */
const START_SEED: SeedDefaults = {
  modelartsImages: 40,
  modelartsNotebooks: 5,
  bccImages: 40,
  bccInstances: 6,
};
/** How often the local delete queue is looked at. */
const QUEUE_POLL_MS = 1_000;
/** A policy the demo inventory gives every kind of decision for (README: Retirement policies). */
const DEMO_POLICY = {
  name: 'demo-stale-bcc',
  provider: 'bcc',
  regions: ['bj'],
  select: { kind: 'custom', olderThanDays: 180 },
  keep: { newestPerFamily: 1 },
  exclude: { names: ['*-golden'] },
  limits: { maxDeletions: 5, maxPercent: 50 },
};

const stageGiven = (args: readonly string[]): boolean =>
  args.some((arg) => arg === '--stage' || arg === '-s' || arg.startsWith('--stage='));

/** A mistake in how `npm start` was started: printed as its message alone, no stack. */
class StartError extends Error {}

const portFrom = (name: string, fallback: number): number => {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new StartError(`${name} must be a port number, not ${JSON.stringify(text)}`);
  }
  return port;
};

const portTaken = (name: string, port: number): StartError =>
  new StartError(
    `${name}: ${HOST}:${port} is already in use (another npm start, or npm run emulator?): stop that, or set ${name} to a free port`,
  );

/** Two variables naming one port: the second listener would fail only after the build. */
const portShared = (name: string, port: number, other: string): StartError =>
  new StartError(
    `${name}: ${port} is ${other} too; each needs a port of its own (unset ${name} for a free one)`,
  );

/** Listens on `port` (0: any free one) and lets it go again: the port it had. */
const listenAndRelease = async (port: number): Promise<number> => {
  const server = createServer();
  server.listen(port, HOST);
  await once(server, 'listening');
  const address = server.address();
  server.close();
  await once(server, 'close');
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
};

/**
 * Fails at once when a port given is taken: serverless-offline would find out only after building
 * every function (a minute or more), and then with a stack trace.
 */
const ensureFree = async (name: string, port: number): Promise<void> => {
  if (port === 0) return;
  try {
    await listenAndRelease(port);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') throw portTaken(name, port);
    throw error;
  }
};

const freePort = (): Promise<number> => listenAndRelease(0);

/** Image IDs for the examples: the emulator's, or placeholders for a real cloud. */
interface ExampleIds {
  modelartsBuiltIn: string;
  modelartsCustom: string;
  bccSystem: string;
  bccCustom: string;
  /** A BCC image an instance runs. */
  bccInUse: string;
}

const PLACEHOLDER_IDS: ExampleIds = {
  modelartsBuiltIn: '<built-in-image-uuid>',
  modelartsCustom: '<custom-image-uuid>',
  bccSystem: '<m-system-image-id>',
  bccCustom: '<m-custom-image-id>',
  bccInUse: '<m-image-id>',
};

const curlCommands = (api: string, ids: ExampleIds): string[] => {
  const images = `${api}/images`;
  const groups: Array<[string, Array<[string, string]>]> = [
    [
      'ModelArts',
      [
        [`curl -s ${images}/modelarts/${ids.modelartsBuiltIn}`, 'show a built-in image'],
        [`curl -s ${images}/modelarts/${ids.modelartsCustom}`, 'show a custom image'],
        [
          `curl -s -X DELETE '${images}/modelarts/${ids.modelartsCustom}?dryRun=true'`,
          'what deleting it would do',
        ],
        [`curl -s -X DELETE ${images}/modelarts/${ids.modelartsCustom}`, 'delete it'],
        [
          `curl -s -X DELETE ${images}/modelarts/${ids.modelartsBuiltIn}`,
          'refused: 403 IMAGE_PROTECTED',
        ],
      ],
    ],
    [
      'BCC',
      [
        [`curl -s ${images}/bcc/${ids.bccSystem}`, 'show a system image'],
        [`curl -s ${images}/bcc/${ids.bccCustom}`, 'show a custom image'],
        [
          `curl -s -X DELETE '${images}/bcc/${ids.bccCustom}?dryRun=true'`,
          'what deleting it would do',
        ],
        [`curl -s -X DELETE ${images}/bcc/${ids.bccCustom}`, 'delete it'],
        [`curl -s -X DELETE ${images}/bcc/${ids.bccSystem}`, 'refused: 403 IMAGE_PROTECTED'],
      ],
    ],
    [
      'Inventory',
      [
        [
          `curl -s '${images}/bcc?limit=5'`,
          'a page of images; pass nextCursor as cursor, with limit=5, for more',
        ],
        [
          `curl -s '${images}/modelarts?kind=custom&name=train-*&createdBefore=2026-06-01'`,
          'filtered',
        ],
        [`curl -s ${images}/bcc/${ids.bccInUse}/usage`, 'what runs an image'],
        [`curl -s -X DELETE ${images}/bcc/${ids.bccInUse}`, 'refused: 409 IMAGE_BUSY (in use)'],
      ],
    ],
    [
      'Retirement (plan, review, apply, follow)',
      [
        [
          `curl -s -X POST ${api}/retirements/plans -H 'content-type: application/json' -d '${JSON.stringify(DEMO_POLICY)}'`,
          'plan: every decision with its reason; deletes nothing',
        ],
        [`open ${api}/retirements/plans/<planId>`, 'the plan report, in a browser'],
        [`curl -s -X POST ${api}/retirements/plans/<planId>/apply`, 'apply: 202 with the runId'],
        [`curl -s ${api}/retirements/runs/<runId>`, 'the run: one outcome per retire decision'],
      ],
    ],
  ];
  // Comments line up, except after a command too long to wait for.
  const width = Math.max(
    ...groups.flatMap(([, commands]) =>
      commands.map(([command]) => command.length).filter((length) => length <= 100),
    ),
  );
  return groups.flatMap(([title, commands]) => [
    `# ${title}`,
    ...commands.map(([command, what]) => `${command.padEnd(width)}  # ${what}`),
  ]);
};

interface Ports {
  http: number;
  lambda: number;
  websocket: number;
  alb: number;
}

/** PORT and LAMBDA_PORT as given; serverless-offline's other listeners on free ports. */
const choosePorts = async (): Promise<Ports> => {
  const http = portFrom('PORT', 3000);
  const lambda = portFrom('LAMBDA_PORT', 0);
  if (lambda !== 0 && lambda === http) throw portShared('LAMBDA_PORT', lambda, 'PORT');
  await ensureFree('PORT', http);
  await ensureFree('LAMBDA_PORT', lambda);
  return {
    http,
    lambda: lambda || (await freePort()),
    websocket: await freePort(),
    alb: await freePort(),
  };
};

interface Upstream {
  /** The handlers' environment. */
  env: NodeJS.ProcessEnv;
  /** The emulator this process started, if the environment named no real configuration. */
  emulator: { url: string; close(): Promise<void> | void } | undefined;
  /** Image IDs for the printed examples. */
  ids: ExampleIds;
}

/** The emulator and the demo credentials, unless the environment configures the real clouds. */
const startUpstream = async (ports: Ports): Promise<Upstream> => {
  const configuredBy = realConfigurationIn(process.env);
  const env: NodeJS.ProcessEnv = { ...process.env };
  if (configuredBy.length > 0) {
    console.log(
      `Using the configuration in the environment (${configuredBy.join(', ')}); no emulator.`,
    );
    return { env, emulator: undefined, ids: PLACEHOLDER_IDS };
  }
  const emulatorPort = portFrom('EMULATOR_PORT', 0);
  if (emulatorPort !== 0 && emulatorPort === ports.http) {
    throw portShared('EMULATOR_PORT', emulatorPort, 'PORT');
  }
  if (emulatorPort !== 0 && emulatorPort === ports.lambda) {
    throw portShared('EMULATOR_PORT', emulatorPort, 'LAMBDA_PORT');
  }
  const emulator = await startEmulator({
    host: HOST,
    port: emulatorPort,
    ...emulatorOptionsFromEnv(process.env, START_SEED),
  }).catch((error: unknown) => {
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw portTaken('EMULATOR_PORT', emulatorPort);
    }
    throw error;
  });
  const url = emulator.url.replace(/\/+$/, '');
  Object.assign(env, emulatorEnvironment(url));
  for (const name of REAL_ONLY_VARIABLES) delete env[name];
  const counts = emulator.state.counts();
  console.log(
    `Emulator: ${url} (control API ${url}/_emulator/; ${counts.modelarts.images} ModelArts and ${counts.bcc.images} BCC images, the demo ones included)`,
  );
  // The command line reaches this emulator by its address: the line to paste in another terminal.
  console.log(`The command line against it: export CLOUD_IMAGES_EMULATOR=${url}`);
  const inUse = emulator.state.instances.list()[0]?.imageId;
  const ids: ExampleIds = {
    modelartsBuiltIn: SEEDED.modelarts.builtIn,
    modelartsCustom: SEEDED.modelarts.custom,
    bccSystem: SEEDED.bcc.system,
    bccCustom: SEEDED.bcc.custom,
    bccInUse: inUse ?? PLACEHOLDER_IDS.bccInUse,
  };
  return { env, emulator, ids };
};

/** `osls offline start` on these ports, on the local stage unless the arguments name one. */
const offlineArguments = (ports: Ports, extra: readonly string[]): string[] => [
  oslsScript(),
  'offline',
  'start',
  '--host',
  HOST,
  '--httpPort',
  String(ports.http),
  '--lambdaPort',
  String(ports.lambda),
  '--websocketPort',
  String(ports.websocket),
  '--albPort',
  String(ports.alb),
  '--noAuth',
  '--localEnvironment',
  '--noSponsor',
  ...(stageGiven(extra) ? [] : ['--stage', LOCAL_STAGE]),
  ...extra,
];

/** What is printed once serverless-offline is ready. */
const readyMessage = (api: string, ids: ExampleIds, storeDir: string): string =>
  [
    '',
    `Ready: ${api}  (IAM authorization is off locally; Ctrl+C stops everything)`,
    `Plans, runs and the delete queue: ${storeDir}; events: ${join(storeDir, 'events.jsonl')}`,
    ...curlCommands(api, ids),
    '',
  ].join('\n');

/**
 * The delete queue's event source mapping, locally: every QUEUE_POLL_MS the queued deletes go to
 * the SQS consumer in this process (with the handlers' environment). Returns the stop function.
 */
const startQueueWorker = (env: NodeJS.ProcessEnv, storeDir: string): (() => Promise<void>) => {
  // The consumer reads its configuration from this process's environment at its first batch.
  Object.assign(process.env, env);
  let stopped = false;
  let running: Promise<void> = Promise.resolve();
  let timer: NodeJS.Timeout | undefined;
  const tick = (): void => {
    running = drainLocalQueue({ dir: storeDir })
      .then((result) => {
        if (result.processed > 0) {
          console.log(
            `Delete queue: ${result.processed} deletes handled in ${result.batches} batches (${result.failed} to retry, ${result.dead} dead-lettered)`,
          );
        }
      })
      .catch((error: unknown) => {
        console.error('Delete queue: the worker failed', error);
      })
      .finally(() => {
        if (!stopped) timer = setTimeout(tick, QUEUE_POLL_MS);
      });
  };
  tick();
  return async () => {
    stopped = true;
    clearTimeout(timer);
    await running;
  };
};

/** Copies the child's output through and calls `onReady` once, when it says "Server ready:". */
const watchForReady = (child: ChildProcess, onReady: () => void): void => {
  let ready = false;
  let seen = '';
  const watch = (chunk: Buffer, out: NodeJS.WriteStream): void => {
    out.write(chunk);
    if (ready) return;
    seen = (seen + chunk.toString('utf8')).slice(-4096);
    if (/Server ready:/.test(seen)) {
      ready = true;
      onReady();
    }
  };
  child.stdout?.on('data', (chunk: Buffer) => watch(chunk, process.stdout));
  child.stderr?.on('data', (chunk: Buffer) => watch(chunk, process.stderr));
};

/**
 * Runs serverless-offline until it exits or this process is told to stop (SIGINT, SIGTERM: the
 * child gets SIGTERM, then SIGKILL after 5 s); `cleanUp` runs either way, then this process exits.
 */
const superviseOffline = async (
  child: ChildProcess,
  stopping: string,
  cleanUp: () => Promise<void>,
): Promise<void> => {
  let stopRequested = false;
  const exited = new Promise<number>((resolve) => {
    child.once('exit', (code) => resolve(code ?? 1));
  });

  const stop = async (signal: NodeJS.Signals): Promise<void> => {
    if (stopRequested) return;
    stopRequested = true;
    console.log(`\n${signal}: stopping ${stopping}`);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
    await cleanUp();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));

  const code = await exited;
  if (!stopRequested) {
    console.error(`osls offline exited (${code})`);
    await cleanUp();
    process.exit(code);
  }
};

const main = async (): Promise<void> => {
  const ports = await choosePorts();
  const { env, emulator, ids } = await startUpstream(ports);
  const storeDir = resolve(root, env.RETIREMENT_STORE_DIR || DEFAULT_STORE_DIR);
  env.RETIREMENT_STORE_DIR = storeDir;

  // Each instance builds in a folder of its own (see custom.esbuild.outputWorkFolder).
  const workFolder = join(
    'node_modules',
    '.cache',
    'cloud-image-functions',
    `offline-${process.pid}`,
  );
  env.ESBUILD_WORK_FOLDER = workFolder;

  const osls = spawn(process.execPath, offlineArguments(ports, process.argv.slice(2)), {
    cwd: root,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const api = `http://${HOST}:${ports.http}`;
  const stopQueueWorker = startQueueWorker(env, storeDir);
  watchForReady(osls, () => console.log(readyMessage(api, ids, storeDir)));

  await superviseOffline(
    osls,
    `serverless-offline${emulator ? ' and the emulator' : ''}`,
    async () => {
      await stopQueueWorker();
      await emulator?.close();
      rmSync(join(root, workFolder), { recursive: true, force: true });
    },
  );
};

main().catch((error: unknown) => {
  console.error(error instanceof StartError ? `npm start: ${error.message}` : error);
  process.exit(1);
});
