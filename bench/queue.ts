// Deletion at the clouds' pace: the queue consumer (functions/sqs/delete-image.ts, bundled) in M
// worker processes (M = the event source mapping's maximumConcurrency: each process is one Lambda
// instance handling one batch at a time), fed batches of B messages by this driver as the event
// source mapping would, against the emulator (its own process, on the upstream's core) answering
// every ModelArts request 50 ms late, with a rate limit per access key.
//
// Two bounds, each reported with how close a run came to it:
//   rate bound         the deployment's configured rate (UPSTREAM_RATE_LIMITS, paced by each process
//                      at rate / SQS_MAX_CONCURRENCY) and the cloud's own limit (the emulator's)
//   concurrency bound  M × R lanes (R = SQS_RECORD_CONCURRENCY), each deleting one image per show +
//                      delete (2 × latency); the batch bound also counts the waves of a batch
//                      (ceil(B / R)) and its one usage scan
// A record that fails comes back (as after its visibility timeout, but at once) up to 5 receives.

import { type ChildProcess, fork, spawn } from 'node:child_process';
import { once } from 'node:events';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { SQSRecord } from 'aws-lambda';
import { root } from '../scripts/build.js';
import { emulatorControl } from './lib/child.js';
import { functionEnv } from './lib/fixtures.js';
import { CLIENT_CPU, pin, pinned, UPSTREAM_CPU } from './lib/pin.js';
import { sleep } from './lib/stats.js';

export interface QueueScenario {
  name: string;
  images: number;
  batchSize: number;
  recordConcurrency: number;
  maxConcurrency: number;
  /** UPSTREAM_RATE_LIMITS for the functions (undefined: unset, the built-in rate applies). */
  rateLimits: string | undefined;
  /** SQS_MAX_CONCURRENCY for the functions (undefined: unset, 1). */
  sqsMaxConcurrency: number | undefined;
  /** The cloud's own limit per access key (requests per second), or none. */
  cloudLimit: number | undefined;
  latencyMs: number;
  /** Pages of the usage scan each batch makes once (the region's notebooks, 100 a page). */
  usagePages: number;
}

export interface QueueRun {
  scenario: QueueScenario;
  elapsedS: number;
  deleted: number;
  outcomes: Record<string, number>;
  receives: number;
  deadLettered: number;
  batches: number;
  upstream: { admitted: number; throttled: number; peakPerSecond: number };
  recordsPerSecond: number;
  admittedPerSecond: number;
  /** The deployment rate and the cloud's limit, the lower of the two (requests/s); undefined: none. */
  rateBound: number | undefined;
  /** admittedPerSecond / rateBound */
  rateShare: number | undefined;
  /** Records/s if every lane were always busy: M × R / ((2 + usage pages) × latency). */
  laneBound: number;
  laneShare: number;
  /**
   * Records/s with the batch's waves: M × B / (waves × (2 + usage pages) × latency). Each delete
   * relies on a usage scan started after it began looking, so a wave of lanes looking at once
   * shares one: show, scan, delete per wave.
   */
  batchBound: number;
  batchShare: number;
  /** The mean time of an upstream exchange as the handlers measured it (latency + the cloud's and our own work). */
  meanCallMs: number;
  /** The batch bound with that measured time instead of the injected latency. */
  measuredBatchBound: number;
  measuredBatchShare: number;
}

const emulatorScript = fileURLToPath(new URL('./probe/emulator-process.ts', import.meta.url));

export interface Emulator {
  origin: string;
  stop(): Promise<void>;
}

/** The emulator with `images` generated ModelArts images and `notebooks` notebooks, on its own core. */
export const startEmulatorProcess = async (seed: {
  images: number;
  notebooks: number;
}): Promise<Emulator> => {
  const [command, args] = pinned(UPSTREAM_CPU, process.execPath, [
    '--import',
    'tsx',
    emulatorScript,
    JSON.stringify({ seed: { modelarts: { images: seed.images, notebooks: seed.notebooks } } }),
  ]);
  const child = spawn(command, args, { cwd: root, stdio: ['pipe', 'pipe', 'inherit'] });
  let stdout = '';
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      const line = stdout.split('\n').find((text) => text.startsWith('@@emulator '));
      if (line !== undefined) resolve((JSON.parse(line.slice(11)) as { port: number }).port);
    });
    child.on('exit', (code) => reject(new Error(`the emulator exited (${code})`)));
  });
  return {
    origin: `http://127.0.0.1:${port}`,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = once(child, 'exit');
      child.stdin.end();
      await Promise.race([exited, sleep(5_000)]);
      if (child.exitCode === null) child.kill('SIGKILL');
    },
  };
};

/** Images a delete really deletes: custom, available, used by no notebook. */
export const deletableImages = async (origin: string): Promise<string[]> => {
  const images = (await emulatorControl(origin, 'GET', 'images/modelarts')) as Array<{
    id: string;
    type: string;
    status: string;
  }>;
  const notebooks = (await emulatorControl(origin, 'GET', 'notebooks')) as Array<{
    image?: { id?: string };
  }>;
  const used = new Set(notebooks.map((notebook) => notebook.image?.id?.toLowerCase()));
  return images
    .filter(
      (image) =>
        image.type === 'DEDICATED' &&
        image.status === 'ACTIVE' &&
        !used.has(image.id.toLowerCase()),
    )
    .map((image) => image.id);
};

const record = (id: number, imageId: string, receiveCount: number): SQSRecord => ({
  messageId: `m-${id}`,
  receiptHandle: `h-${id}-${receiveCount}`,
  body: JSON.stringify({ provider: 'modelarts', imageId }),
  attributes: {
    ApproximateReceiveCount: String(receiveCount),
    SentTimestamp: String(Date.now()),
    SenderId: 'AIDABENCH',
    ApproximateFirstReceiveTimestamp: String(Date.now()),
  },
  messageAttributes: {},
  md5OfBody: '',
  eventSource: 'aws:sqs',
  eventSourceARN: 'arn:aws:sqs:eu-central-1:000000000000:bench-delete-queue',
  awsRegion: 'eu-central-1',
});

const MAX_RECEIVES = 5;

interface WorkerReply {
  type: 'done' | 'error' | 'ready';
  id?: number;
  failed?: string[];
  outcomes?: Record<string, number>;
  upstream?: { ms: number; calls: number };
  error?: string;
}

const startWorker = async (file: string, env: Record<string, string>): Promise<ChildProcess> => {
  const child = fork(file, [], { cwd: root, env, stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  if (child.pid !== undefined) pin(child.pid, CLIENT_CPU);
  const [ready] = (await once(child, 'message')) as [WorkerReply];
  if (ready.type !== 'ready') throw new Error('queue worker did not start');
  return child;
};

export const runQueueScenario = async (
  emulator: Emulator,
  workerFile: string,
  imageIds: readonly string[],
  scenario: QueueScenario,
): Promise<QueueRun> => {
  if (imageIds.length < scenario.images) {
    throw new Error(`only ${imageIds.length} deletable images for ${scenario.images}`);
  }
  await emulatorControl(emulator.origin, 'POST', 'reset');
  if (scenario.cloudLimit !== undefined) {
    await emulatorControl(emulator.origin, 'PUT', 'rate-limit', {
      modelarts: { perSecond: scenario.cloudLimit },
    });
  }
  await emulatorControl(emulator.origin, 'POST', 'faults', {
    match: { provider: 'modelarts' },
    probability: 1,
    action: { kind: 'latency', ms: scenario.latencyMs },
  });
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    ...functionEnv(emulator.origin),
    SQS_RECORD_CONCURRENCY: String(scenario.recordConcurrency),
    ...(scenario.rateLimits === undefined ? {} : { UPSTREAM_RATE_LIMITS: scenario.rateLimits }),
    ...(scenario.sqsMaxConcurrency === undefined
      ? {}
      : { SQS_MAX_CONCURRENCY: String(scenario.sqsMaxConcurrency) }),
  };
  const workers = await Promise.all(
    Array.from({ length: scenario.maxConcurrency }, () => startWorker(workerFile, env)),
  );

  // The queue: message number → receives so far; failed records come back to its end.
  const queue: Array<{ id: number; receives: number }> = imageIds
    .slice(0, scenario.images)
    .map((_, id) => ({ id, receives: 0 }));
  const outcomes: Record<string, number> = {};
  const upstreamTime = { ms: 0, calls: 0 };
  let inFlight = 0;
  let receives = 0;
  let deadLettered = 0;
  let batches = 0;
  let nextBatch = 0;
  const started = performance.now();
  await Promise.all(
    workers.map(async (worker) => {
      for (;;) {
        if (queue.length === 0) {
          if (inFlight === 0) return;
          await sleep(5);
          continue;
        }
        const taken = queue.splice(0, scenario.batchSize);
        inFlight += taken.length;
        receives += taken.length;
        batches += 1;
        for (const message of taken) message.receives += 1;
        const byMessageId = new Map(taken.map((message) => [`m-${message.id}`, message]));
        const id = nextBatch++;
        const reply = new Promise<WorkerReply>((resolve) => {
          const onMessage = (message: WorkerReply) => {
            if (message.id !== id) return;
            worker.off('message', onMessage);
            resolve(message);
          };
          worker.on('message', onMessage);
        });
        worker.send({
          type: 'batch',
          id,
          records: taken.map((message) =>
            record(message.id, imageIds[message.id] as string, message.receives),
          ),
        });
        const answer = await reply;
        if (answer.type === 'error') throw new Error(`queue worker failed: ${answer.error}`);
        for (const [key, value] of Object.entries(answer.outcomes ?? {})) {
          outcomes[key] = (outcomes[key] ?? 0) + value;
        }
        upstreamTime.ms += answer.upstream?.ms ?? 0;
        upstreamTime.calls += answer.upstream?.calls ?? 0;
        for (const messageId of answer.failed ?? []) {
          const message = byMessageId.get(messageId);
          if (message === undefined) continue;
          if (message.receives >= MAX_RECEIVES) deadLettered += 1;
          else queue.push(message);
        }
        inFlight -= taken.length;
      }
    }),
  );
  const elapsedS = (performance.now() - started) / 1000;
  for (const worker of workers) worker.disconnect();
  const counters = (await emulatorControl(emulator.origin, 'GET', 'rate-limit')) as {
    counters: Array<{
      provider: string;
      admitted: number;
      throttled: number;
      peakPerSecond: number;
    }>;
  };
  const modelarts = counters.counters.filter((counter) => counter.provider === 'modelarts');
  const upstream = {
    admitted: modelarts.reduce((sum, counter) => sum + counter.admitted, 0),
    throttled: modelarts.reduce((sum, counter) => sum + counter.throttled, 0),
    peakPerSecond: Math.max(0, ...modelarts.map((counter) => counter.peakPerSecond)),
  };
  const deploymentRate = deploymentRateOf(scenario.rateLimits);
  const rateBound = Math.min(deploymentRate, scenario.cloudLimit ?? Number.POSITIVE_INFINITY);
  const latencyS = scenario.latencyMs / 1000;
  const exchanges = 2 + scenario.usagePages;
  const laneBound = (scenario.maxConcurrency * scenario.recordConcurrency) / (exchanges * latencyS);
  const waves = Math.ceil(scenario.batchSize / scenario.recordConcurrency);
  const batchBoundAt = (callS: number) =>
    (scenario.maxConcurrency * scenario.batchSize) / (waves * exchanges * callS);
  const batchBound = batchBoundAt(latencyS);
  const meanCallMs = upstreamTime.ms / Math.max(1, upstreamTime.calls);
  const measuredBatchBound = batchBoundAt(meanCallMs / 1000);
  const deleted = outcomes.deleted ?? 0;
  const recordsPerSecond = deleted / elapsedS;
  const admittedPerSecond = upstream.admitted / elapsedS;
  return {
    scenario,
    elapsedS,
    deleted,
    outcomes,
    receives,
    deadLettered,
    batches,
    upstream,
    recordsPerSecond,
    admittedPerSecond,
    rateBound: Number.isFinite(rateBound) ? rateBound : undefined,
    rateShare: Number.isFinite(rateBound) ? admittedPerSecond / rateBound : undefined,
    laneBound,
    laneShare: recordsPerSecond / laneBound,
    batchBound,
    batchShare: recordsPerSecond / batchBound,
    meanCallMs,
    measuredBatchBound,
    measuredBatchShare: recordsPerSecond / measuredBatchBound,
  };
};

/** The deployment's rate for ModelArts from UPSTREAM_RATE_LIMITS (the built-in 10 when unset). */
export const deploymentRateOf = (rateLimits: string | undefined): number => {
  const entry = (rateLimits ?? '')
    .split(',')
    .map((item) => item.trim())
    .find((item) => /^modelarts\s*=/.test(item));
  return entry === undefined ? 10 : Number(entry.split('=')[1]);
};

/** The core count, for the report (the workers share the client's core). */
export const coreCount = (): number => cpus().length;
