// Shared by the reliability suites: load the functions afresh with a given environment (the
// process caches its configuration, providers and HTTP agent, so a different endpoint needs a new
// module graph), build trigger events, and watch what a run leaves behind (sockets, unhandled
// rejections, connection attempts).

import { randomUUID } from 'node:crypto';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { Agent } from 'undici';
import { vi } from 'vitest';
import { httpEvent } from '../../../scripts/lambda-events.js';

export type HttpResult = { statusCode?: number; headers?: Record<string, unknown>; body?: string };
export type HttpHandler = (
  event: ReturnType<typeof httpEvent>,
  context: Context,
) => Promise<HttpResult>;
export type TaskHandler = (event: unknown, context: Context) => Promise<unknown>;
export type QueueHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

export interface LoadedFunctions {
  http: { show: HttpHandler; delete: HttpHandler };
  /** Present once functions/task/* exist. */
  task: { show: TaskHandler; delete: TaskHandler } | undefined;
  /** Present once functions/sqs/delete-image.ts exists. */
  queue: { delete: QueueHandler } | undefined;
  setLogSink: (sink: (line: string) => void) => (line: string) => void;
  /** This module graph's process-wide undici Agent. */
  agent: () => Agent;
}

const root = fileURLToPath(new URL('../../../', import.meta.url));
const exists = (relative: string): boolean => existsSync(`${root}${relative}`);

/** Which of the optional triggers' handler files exist (decided when the suite is collected). */
export const presentTriggers = (): { task: boolean; queue: boolean } => ({
  task: exists('functions/task/show-image.ts') && exists('functions/task/delete-image.ts'),
  queue: exists('functions/sqs/delete-image.ts'),
});

/** Handlers of triggers another engineer may still be adding: loaded only when their file exists. */
const optionalHandler = async <T>(relative: string): Promise<T | undefined> => {
  if (!exists(relative)) return undefined;
  const specifier = `../../../${relative.replace(/\.ts$/, '.js')}`;
  const module = (await import(/* @vite-ignore */ specifier)) as { handler: T };
  return module.handler;
};

/** Sets (or, for undefined, deletes) these variables, then imports the functions as a new process would. */
export const loadFunctions = async (
  env: Record<string, string | undefined>,
): Promise<LoadedFunctions> => {
  setEnv(env);
  vi.resetModules();
  const show = await import('../../../functions/http/show-image.js');
  const remove = await import('../../../functions/http/delete-image.js');
  const log = await import('../../../lib/log/log.js');
  const transport = await import('../../../lib/http/transport.js');
  const taskShow = await optionalHandler<TaskHandler>('functions/task/show-image.ts');
  const taskDelete = await optionalHandler<TaskHandler>('functions/task/delete-image.ts');
  const queueDelete = await optionalHandler<QueueHandler>('functions/sqs/delete-image.ts');
  // Configuration and providers are built on first use: build them now, from this environment.
  const composition = await import('../../../lib/runtime/composition.js');
  composition.providerFor('modelarts');
  composition.providerFor('bcc');
  return {
    http: {
      show: show.handler as unknown as HttpHandler,
      delete: remove.handler as unknown as HttpHandler,
    },
    task:
      taskShow !== undefined && taskDelete !== undefined
        ? { show: taskShow, delete: taskDelete }
        : undefined,
    queue: queueDelete === undefined ? undefined : { delete: queueDelete },
    setLogSink: log.setLogSink,
    agent: () => transport.sharedDispatcher(),
  };
};

export const setEnv = (env: Record<string, string | undefined>): void => {
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
};

// ---------------------------------------------------------------------------------------------
// Events

export { httpEvent };

export const sqsRecord = (body: string, messageId: string = randomUUID()): SQSRecord => ({
  messageId,
  receiptHandle: `rh-${messageId}`,
  body,
  attributes: {
    ApproximateReceiveCount: '1',
    SentTimestamp: String(Date.now()),
    SenderId: 'AIDAEXAMPLE',
    ApproximateFirstReceiveTimestamp: String(Date.now()),
  },
  messageAttributes: {},
  md5OfBody: '0'.repeat(32),
  eventSource: 'aws:sqs',
  eventSourceARN: 'arn:aws:sqs:eu-central-1:000000000000:image-delete',
  awsRegion: 'eu-central-1',
});

export const sqsEvent = (records: SQSRecord[]): SQSEvent => ({ Records: records });

/**
 * An EventBridge event. "Image Delete Requested" events reach the delete queue through a rule with
 * `InputPath: $.detail` (serverless.yml), so the SQS message body is `JSON.stringify(event.detail)`.
 */
export const eventBridgeEvent = (detail: unknown, detailType = 'Image Delete Requested') => ({
  version: '0',
  id: randomUUID(),
  'detail-type': detailType,
  source: 'test.reliability',
  account: '000000000000',
  time: new Date().toISOString(),
  region: 'eu-central-1',
  resources: [],
  detail,
});

// ---------------------------------------------------------------------------------------------
// What a run leaves behind

/** TCP sockets this process holds open (client and server ends both count: the emulator is in-process). */
export const openTcpSockets = (): number =>
  process.getActiveResourcesInfo().filter((name) => name === 'TCPSocketWrap').length;

export interface PoolFigures {
  connected: number;
  /** Requests in flight or waiting, over all origins. */
  busy: number;
}

export const poolFigures = (agents: readonly Agent[]): PoolFigures => {
  let connected = 0;
  let busy = 0;
  for (const agent of agents) {
    for (const stats of Object.values(agent.stats)) {
      // ClientStats.connected is a boolean, PoolStats.connected a count; `size` counts every
      // request running, pending or queued in either.
      connected += Number(stats.connected);
      busy += stats.size;
    }
  }
  return { connected, busy };
};

/**
 * Waits (up to `timeoutMs`) until nothing is in flight in the agents and every open TCP socket is
 * either a kept-alive pooled connection or the emulator's end of one; returns what it saw last.
 */
export const settleSockets = async (
  agents: readonly Agent[],
  timeoutMs = 1_500,
): Promise<{ settled: boolean; tcp: number; pool: PoolFigures }> => {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const pool = poolFigures(agents);
    const tcp = openTcpSockets();
    const settled = pool.busy === 0 && tcp <= 2 * pool.connected;
    if (settled || Date.now() > until) return { settled, tcp, pool };
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
};

/** Collects unhandled rejections while installed. */
export const watchUnhandled = (): { seen: unknown[]; stop: () => void } => {
  const seen: unknown[] = [];
  const listener = (reason: unknown) => {
    seen.push(reason);
  };
  process.on('unhandledRejection', listener);
  return { seen, stop: () => process.off('unhandledRejection', listener) };
};

/** Counts undici connection attempts (successful or not) to a port. */
export const watchConnects = (port: number): { count: () => number; stop: () => void } => {
  let attempts = 0;
  const onConnect = (message: unknown) => {
    const params = (message as { connectParams?: { port?: unknown } }).connectParams;
    if (String(params?.port) === String(port)) attempts += 1;
  };
  subscribe('undici:client:beforeConnect', onConnect);
  return {
    count: () => attempts,
    stop: () => unsubscribe('undici:client:beforeConnect', onConnect),
  };
};

/** A loopback port with nothing listening on it (bound then closed), for refused connections. */
export const closedPort = async (): Promise<number> => {
  const { createServer } = await import('node:net');
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
};
