// Shared by the reliability suites: every handler loaded afresh through the fixture (the process
// caches its configuration, providers and HTTP agent, so a different endpoint needs a new module
// graph), and what a run leaves behind (sockets, unhandled rejections, connection attempts).

import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { Agent } from 'undici';
import type { httpEvent } from '../../../scripts/lambda-events.js';
import type { EnvVars, Fixture } from '../../support/fixture.js';

export type HttpResult = { statusCode?: number; headers?: Record<string, unknown>; body?: string };
export type HttpHandler = (
  event: ReturnType<typeof httpEvent>,
  context: Context,
) => Promise<HttpResult>;
export type TaskHandler = (event: unknown, context: Context) => Promise<unknown>;
export type QueueHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

export interface LoadedFunctions {
  http: { show: HttpHandler; delete: HttpHandler };
  task: { show: TaskHandler; delete: TaskHandler };
  queue: { delete: QueueHandler };
  /** This module graph's process-wide undici Agent. */
  agent: () => Agent;
}

/** Every handler, imported as a new process would (a missing or renamed one fails the suite). */
const importFunctions = async (): Promise<LoadedFunctions> => {
  const httpShow = await import('../../../functions/http/show-image.js');
  const httpDelete = await import('../../../functions/http/delete-image.js');
  const taskShow = await import('../../../functions/task/show-image.js');
  const taskDelete = await import('../../../functions/task/delete-image.js');
  const queueDelete = await import('../../../functions/sqs/delete-image.js');
  const transport = await import('../../../lib/http/transport.js');
  // Configuration and providers are built on first use: build them now, from this environment.
  const composition = await import('../../../lib/runtime/composition.js');
  composition.providerFor('modelarts');
  composition.providerFor('bcc');
  return {
    http: {
      show: httpShow.handler as unknown as HttpHandler,
      delete: httpDelete.handler as unknown as HttpHandler,
    },
    task: {
      show: taskShow.handler as unknown as TaskHandler,
      delete: taskDelete.handler as unknown as TaskHandler,
    },
    queue: { delete: queueDelete.handler as unknown as QueueHandler },
    agent: () => transport.sharedDispatcher(),
  };
};

/** Sets these variables (undefined unsets one) and loads the functions in a new module graph. */
export const loadFunctions = (fixture: Fixture, env: EnvVars): Promise<LoadedFunctions> =>
  fixture.fresh(env, importFunctions);

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
