// Sections 1, 2 and the latency half of 5: the real middy handlers, in this process, warm, against
// the minimal upstream (another process), compared with a bare `undici.request` of the same request
// signed once, through the same process-wide agent the handlers use.

import { openSync, writeSync } from 'node:fs';
import { BasicCredentials } from '@huaweicloud/huaweicloud-sdk-core/auth/BasicCredentials.js';
import { HcClient } from '@huaweicloud/huaweicloud-sdk-core/HcClient.js';
import { DefaultHttpClient } from '@huaweicloud/huaweicloud-sdk-core/http/DefaultHttpClient.js';
import type {
  APIGatewayProxyEventV2,
  APIGatewayProxyStructuredResultV2,
  Context,
} from 'aws-lambda';
import { request } from 'undici';
import { DEMO_MODELARTS } from '../emulator/demo.js';
import { sharedDispatcher } from '../lib/http/transport.js';
import { setLogSink } from '../lib/log/log.js';
import { httpEvent, lambdaContext } from '../scripts/lambda-events.js';
import {
  functionEnv,
  IMAGE_ID,
  secretEnv,
  signedWireRequest,
  type WireRequest,
} from './lib/fixtures.js';
import { median, percentile } from './lib/stats.js';
import type { Upstream } from './lib/upstream.js';

type HttpHandler = (
  event: APIGatewayProxyEventV2,
  context: Context,
) => Promise<APIGatewayProxyStructuredResultV2>;

export interface Handlers {
  show: HttpHandler;
  delete: HttpHandler;
}

/**
 * The deployed handlers' code, configured from the environment the way Lambda configures them.
 * Log lines are still built (redaction, JSON) and written, to /dev/null instead of the terminal.
 */
export const loadHandlers = async (origin: string): Promise<Handlers> => {
  Object.assign(process.env, functionEnv(origin));
  delete process.env.IMAGE_CREDENTIALS_SECRET_ID;
  const devNull = openSync('/dev/null', 'w');
  setLogSink((line) => {
    writeSync(devNull, `${line}\n`);
  });
  const show = (await import('../functions/http/show-image.js')).handler;
  const remove = (await import('../functions/http/delete-image.js')).handler;
  return {
    show: (event, context) => show(event, context),
    delete: (event, context) => remove(event, context),
  };
};

const expectOk = (what: string, status: number | undefined): void => {
  if (status !== 200) throw new Error(`${what} answered ${status}, not 200`);
};

/** The bare client: one request through the given agent, body read to the end. */
const bareSend = async (wire: WireRequest): Promise<void> => {
  const response = await request(wire.url, {
    method: wire.method,
    headers: wire.headers,
    dispatcher: sharedDispatcher(),
  });
  await response.body.text();
  expectOk(`bare ${wire.method}`, response.statusCode);
};

interface Path {
  /** Builds the inputs (outside the timed part). */
  prepare(): () => Promise<void>;
}

const handlerPath = (handler: HttpHandler, method: 'GET' | 'DELETE'): Path => ({
  prepare: () => {
    const event = httpEvent(method, 'modelarts', IMAGE_ID);
    const context = lambdaContext();
    return async () => {
      const result = await handler(event, context);
      expectOk(`handler ${method}`, result.statusCode);
    };
  },
});

const barePath = (wires: readonly WireRequest[]): Path => ({
  prepare: () => async () => {
    for (const wire of wires) await bareSend(wire);
  },
});

export interface LatencyRun {
  handlerP50Us: number;
  handlerP99Us: number;
  bareP50Us: number;
  bareP99Us: number;
  ratioP50: number;
  ratioP99: number;
}

export interface LatencySummary {
  operation: string;
  samplesPerRun: number;
  runs: LatencyRun[];
  median: LatencyRun;
}

const summarise = (runs: LatencyRun[]): LatencyRun => ({
  handlerP50Us: median(runs.map((run) => run.handlerP50Us)),
  handlerP99Us: median(runs.map((run) => run.handlerP99Us)),
  bareP50Us: median(runs.map((run) => run.bareP50Us)),
  bareP99Us: median(runs.map((run) => run.bareP99Us)),
  ratioP50: median(runs.map((run) => run.ratioP50)),
  ratioP99: median(runs.map((run) => run.ratioP99)),
});

/** Sequential requests, the two paths interleaved one by one so that noise hits both alike. */
const interleaved = async (a: Path, b: Path, samples: number): Promise<[number[], number[]]> => {
  const timesA: number[] = [];
  const timesB: number[] = [];
  const measure = async (path: Path, into: number[]) => {
    const run = path.prepare();
    const started = performance.now();
    await run();
    into.push((performance.now() - started) * 1000);
  };
  for (let i = 0; i < samples; i++) {
    if (i % 2 === 0) {
      await measure(a, timesA);
      await measure(b, timesB);
    } else {
      await measure(b, timesB);
      await measure(a, timesA);
    }
  }
  return [timesA, timesB];
};

const latencyRuns = async (
  operation: string,
  handler: Path,
  bare: Path,
  options: { runs: number; samples: number; warmup: number },
): Promise<LatencySummary> => {
  await interleaved(handler, bare, options.warmup);
  const runs: LatencyRun[] = [];
  for (let run = 0; run < options.runs; run++) {
    const [ours, theirs] = await interleaved(handler, bare, options.samples);
    const result = {
      handlerP50Us: percentile(ours, 50),
      handlerP99Us: percentile(ours, 99),
      bareP50Us: percentile(theirs, 50),
      bareP99Us: percentile(theirs, 99),
      ratioP50: 0,
      ratioP99: 0,
    };
    result.ratioP50 = result.handlerP50Us / result.bareP50Us;
    result.ratioP99 = result.handlerP99Us / result.bareP99Us;
    runs.push(result);
  }
  return { operation, samplesPerRun: options.samples, runs, median: summarise(runs) };
};

/** Section 1: warm show and delete, handler vs bare client. */
export const warmOverhead = async (
  upstream: Upstream,
  handlers: Handlers,
  options: { runs: number; samples: number; warmup: number },
): Promise<LatencySummary[]> => {
  const show = signedWireRequest(upstream.origin, 'GET');
  const remove = signedWireRequest(upstream.origin, 'DELETE');
  return [
    await latencyRuns('show', handlerPath(handlers.show, 'GET'), barePath([show]), options),
    // The handler's delete looks first (show) and then deletes: the bare client does the same two.
    await latencyRuns(
      'delete',
      handlerPath(handlers.delete, 'DELETE'),
      barePath([show, remove]),
      options,
    ),
  ];
};

/**
 * Section 1 in the deployed configuration: credentials from the Secrets Manager secret (served by
 * the loopback upstream; fetched once, then cached by the credential store) instead of the
 * providers' environment variables. The environment is restored afterwards.
 */
export const warmOverheadWithSecret = async (
  upstream: Upstream,
  handlers: Handlers,
  options: { runs: number; samples: number; warmup: number },
): Promise<LatencySummary> => {
  const before = { ...process.env };
  Object.assign(process.env, secretEnv(upstream.origin));
  try {
    const show = signedWireRequest(upstream.origin, 'GET');
    return await latencyRuns(
      'show (credentials from the secret)',
      handlerPath(handlers.show, 'GET'),
      barePath([show]),
      options,
    );
  } finally {
    for (const name of Object.keys(process.env)) {
      if (!(name in before)) delete process.env[name];
    }
    Object.assign(process.env, before);
  }
};

export interface ConcurrencyPhase {
  requestsPerSecond: number;
  upstreamRequests: number;
  newConnections: number;
  reuseShare: number;
}

export interface ConcurrencyRun {
  handler: ConcurrencyPhase;
  bare: ConcurrencyPhase;
  throughputRatio: number;
}

export interface ConcurrencySummary {
  inFlight: number;
  requestsPerPhase: number;
  runs: ConcurrencyRun[];
  /** Informative: one run against an upstream that takes `upstreamDelayMs` to answer. */
  withLatency: { upstreamDelayMs: number; requests: number; run: ConcurrencyRun };
  median: {
    handlerRps: number;
    bareRps: number;
    throughputRatio: number;
    handlerReuseShare: number;
    bareReuseShare: number;
    handlerNewConnections: number;
    bareNewConnections: number;
  };
}

/** `count` calls with `inFlight` running at any time; the calls' inputs are built beforehand. */
const drive = async (
  calls: ReadonlyArray<() => Promise<void>>,
  inFlight: number,
): Promise<number> => {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < calls.length) {
        const call = calls[next];
        next += 1;
        if (call) await call();
      }
    }),
  );
  return performance.now() - started;
};

const phase = async (
  upstream: Upstream,
  path: Path,
  count: number,
  inFlight: number,
): Promise<ConcurrencyPhase> => {
  const calls = Array.from({ length: count }, () => path.prepare());
  // Every phase starts with no open connection: what it reuses, it opened itself.
  await upstream.reset();
  const elapsedMs = await drive(calls, inFlight);
  const stats = await upstream.stats();
  return {
    requestsPerSecond: count / (elapsedMs / 1000),
    upstreamRequests: stats.requests,
    newConnections: stats.connections,
    reuseShare: 1 - stats.connections / Math.max(1, stats.requests),
  };
};

/** Section 2: `inFlight` shows at a time, handler vs bare client on the same agent. */
export const concurrency = async (
  upstream: Upstream,
  handlers: Handlers,
  options: {
    runs: number;
    requests: number;
    inFlight: number;
    upstreamDelayMs: number;
    delayedRequests: number;
  },
): Promise<ConcurrencySummary> => {
  const handler = handlerPath(handlers.show, 'GET');
  const bare = barePath([signedWireRequest(upstream.origin, 'GET')]);
  // Warm-up at full concurrency (JIT, pool) before anything counts.
  await phase(upstream, handler, Math.min(1_000, options.requests), options.inFlight);
  await phase(upstream, bare, Math.min(1_000, options.requests), options.inFlight);
  const runs: ConcurrencyRun[] = [];
  for (let run = 0; run < options.runs; run++) {
    const handlerFirst = run % 2 === 0;
    const first = await phase(
      upstream,
      handlerFirst ? handler : bare,
      options.requests,
      options.inFlight,
    );
    const second = await phase(
      upstream,
      handlerFirst ? bare : handler,
      options.requests,
      options.inFlight,
    );
    const [ours, theirs] = handlerFirst ? [first, second] : [second, first];
    runs.push({
      handler: ours,
      bare: theirs,
      throughputRatio: ours.requestsPerSecond / theirs.requestsPerSecond,
    });
  }
  await upstream.setDelay(options.upstreamDelayMs);
  let delayed: ConcurrencyRun;
  try {
    const ours = await phase(upstream, handler, options.delayedRequests, options.inFlight);
    const theirs = await phase(upstream, bare, options.delayedRequests, options.inFlight);
    delayed = {
      handler: ours,
      bare: theirs,
      throughputRatio: ours.requestsPerSecond / theirs.requestsPerSecond,
    };
  } finally {
    await upstream.setDelay(0);
  }
  return {
    inFlight: options.inFlight,
    requestsPerPhase: options.requests,
    runs,
    withLatency: {
      upstreamDelayMs: options.upstreamDelayMs,
      requests: options.delayedRequests,
      run: delayed,
    },
    median: {
      handlerRps: median(runs.map((run) => run.handler.requestsPerSecond)),
      bareRps: median(runs.map((run) => run.bare.requestsPerSecond)),
      throughputRatio: median(runs.map((run) => run.throughputRatio)),
      handlerReuseShare: median(runs.map((run) => run.handler.reuseShare)),
      bareReuseShare: median(runs.map((run) => run.bare.reuseShare)),
      handlerNewConnections: median(runs.map((run) => run.handler.newConnections)),
      bareNewConnections: median(runs.map((run) => run.bare.newConnections)),
    },
  };
};

/**
 * Section 5, latency: the same show through the official Huawei SDK core's generic client
 * (HcClient over its axios DefaultHttpClient, BasicCredentials signing each request) against
 * our handler. ClientBuilder itself cannot be loaded (see cold.ts), so the client is assembled the
 * way ClientBuilder.build() assembles it.
 */
export const peerLatency = async (
  upstream: Upstream,
  handlers: Handlers,
  options: { runs: number; samples: number; warmup: number },
): Promise<LatencySummary> => {
  const credentials = new BasicCredentials()
    .withAk(DEMO_MODELARTS.accessKeyId)
    .withSk(DEMO_MODELARTS.secretAccessKey)
    .withProjectId(DEMO_MODELARTS.projectId);
  const client = new HcClient(
    new DefaultHttpClient(
      { disableSslVerification: true, headers: { 'User-Agent': 'huaweicloud-usdk-nodejs/3.0' } },
      [upstream.origin],
    ),
  )
    .withCredential(credentials)
    .withEndpoints([upstream.origin]);
  const sdk: Path = {
    prepare: () => async () => {
      const response = await client.sendRequest({
        method: 'GET',
        url: '/v1/{project_id}/images/{image_id}',
        contentType: 'application/json',
        queryParams: {},
        pathParams: { image_id: IMAGE_ID },
        headers: {},
      });
      expectOk('SDK HcClient GET', response.httpStatusCode);
    },
  };
  // "handler" = ours, "bare" = the SDK: ratio = ours / SDK.
  return latencyRuns(
    'show: ours vs Huawei SDK HcClient',
    handlerPath(handlers.show, 'GET'),
    sdk,
    options,
  );
};
