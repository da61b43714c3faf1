// The one log line per request, captured through lib/log.ts's sink: for show and delete, success
// and failure, over HTTP, SQS and task invocations, it carries provider, operation, region (as
// resolved), image id, outcome, upstream status and request id, upstream calls and retries, duration and the
// correlation ids, and it is at the same time a valid CloudWatch Embedded Metric Format document
// (upstream latency, calls, retries and outcomes by provider and operation).

import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { afterAll, describe, expect, it } from 'vitest';
import { DEMO_BCC, DEMO_MODELARTS, SEEDED } from '../../emulator/demo.js';
import { handler as httpDelete } from '../../functions/http/delete-image.js';
import { handler as httpShow } from '../../functions/http/show-image.js';
import { handler as sqsDelete } from '../../functions/sqs/delete-image.js';
import { handler as taskShow } from '../../functions/task/show-image.js';
import { DEFAULT_NAMESPACE } from '../../lib/runtime/metrics.js';
import { HTTP_TRIGGER, jsonResponse } from '../../lib/triggers/http.js';
import {
  httpEvent,
  lambdaContext,
  parseResult,
  type RouteRequest,
  routeEvent,
} from '../../scripts/lambda-events.js';
import { sqsRecord } from '../support/events.js';
import { useFixture } from '../support/fixture.js';

type Line = Record<string, unknown>;

const fixture = useFixture({
  env: { UPSTREAM_RETRY_BASE_MS: '5', UPSTREAM_THROTTLE_BASE_MS: '5' },
});

const TRACE = 'Root=1-6745a2b1-0123456789abcdef01234567;Parent=53995c3f42cd8ad8;Sampled=1';
const TRACE_ROOT = '1-6745a2b1-0123456789abcdef01234567';

interface MetricDirective {
  Namespace: string;
  Dimensions: string[][];
  Metrics: Array<{ Name: string; Unit: string }>;
}

/** When this file started: every line it checks was written after. */
const FILE_STARTED = Date.now();

/**
 * The CloudWatch EMF rules (docs: CloudWatch_Embedded_Metric_Format_Specification): `_aws` with a
 * millisecond Timestamp and metric directives; every dimension named is a top-level string
 * member, every metric a top-level number; at most 30 dimensions per set, 100 metrics.
 */
const emfOf = (line: Line): MetricDirective => {
  const aws = line._aws as { Timestamp: unknown; CloudWatchMetrics: unknown } | undefined;
  expect(aws, 'the line carries an EMF _aws member').toBeDefined();
  expect(typeof aws?.Timestamp).toBe('number');
  // Stamped while this file ran: between its start and now.
  expect(Number(aws?.Timestamp)).toBeGreaterThanOrEqual(FILE_STARTED);
  expect(Number(aws?.Timestamp)).toBeLessThanOrEqual(Date.now());
  const directives = aws?.CloudWatchMetrics as MetricDirective[];
  expect(directives).toHaveLength(1);
  const [directive] = directives as [MetricDirective];
  expect(directive.Namespace).toBe(DEFAULT_NAMESPACE);
  expect(directive.Metrics.length).toBeGreaterThan(0);
  expect(directive.Metrics.length).toBeLessThanOrEqual(100);
  for (const set of directive.Dimensions) {
    expect(set.length).toBeLessThanOrEqual(30);
    for (const name of set) expect(typeof line[name], `dimension ${name}`).toBe('string');
  }
  for (const metric of directive.Metrics) {
    expect(typeof line[metric.Name], `metric ${metric.Name}`).toBe('number');
  }
  return directive;
};

const metricNames = (directive: MetricDirective) => directive.Metrics.map((metric) => metric.Name);

const tracedHttpEvent = (...args: Parameters<typeof httpEvent>) => {
  const event = httpEvent(...args);
  event.headers = { ...event.headers, 'x-amzn-trace-id': TRACE };
  return event;
};

describe('HTTP: one line per request, with the request metrics embedded', () => {
  it('show, success: region resolved to the default, upstream status and request id, attempts, ids', async () => {
    const event = tracedHttpEvent('GET', 'bcc', SEEDED.bcc.custom);
    const context = lambdaContext();
    const response = parseResult(await httpShow(event, context));
    expect(response.status).toBe(200);

    const line = fixture.log.only();
    expect(line).toMatchObject({
      level: 'info',
      message: 'request completed',
      trigger: 'http',
      operation: 'show',
      provider: 'bcc',
      imageId: SEEDED.bcc.custom,
      // No region in the request: the line names the default it resolved to.
      region: DEMO_BCC.region,
      outcome: 'shown',
      status: 200,
      upstreamStatus: 200,
      upstreamCalls: 1,
      upstreamRetries: 0,
      requestId: context.awsRequestId,
      correlationId: event.requestContext.requestId,
      traceId: TRACE_ROOT,
    });
    expect(line.upstreamRequestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(typeof line.durationMs).toBe('number');
    expect(typeof line.time).toBe('string');

    const emf = emfOf(line);
    expect(emf.Dimensions).toEqual([
      ['service', 'provider', 'operation', 'outcome'],
      ['service', 'provider', 'operation'],
    ]);
    expect(metricNames(emf)).toEqual([
      'Requests',
      'UpstreamLatency',
      'UpstreamCalls',
      'UpstreamRetries',
    ]);
    expect(emf.Metrics.map((metric) => metric.Unit)).toEqual([
      'Count',
      'Milliseconds',
      'Count',
      'Count',
    ]);
    expect(line).toMatchObject({
      Requests: 1,
      UpstreamCalls: 1,
      UpstreamRetries: 0,
      service: 'cloud-image-functions',
    });
    expect(line.UpstreamLatency).toBeGreaterThanOrEqual(0);
  });

  it('show, failure: the error, the last upstream status and every attempt, at error level', async () => {
    fixture.emulator.faults.inject({ times: 3, action: { kind: 'status', status: 503 } });
    const response = parseResult(
      await httpShow(tracedHttpEvent('GET', 'modelarts', SEEDED.modelarts.custom), lambdaContext()),
    );
    expect(response.status).toBe(502);

    const line = fixture.log.only();
    expect(line).toMatchObject({
      level: 'error',
      message: 'request failed',
      operation: 'show',
      provider: 'modelarts',
      imageId: SEEDED.modelarts.custom,
      region: DEMO_MODELARTS.region,
      outcome: 'failed',
      error: 'UpstreamUnavailable',
      status: 502,
      upstreamStatus: 503,
      upstreamCalls: 1,
      upstreamRetries: 2,
      traceId: TRACE_ROOT,
    });
    const emf = emfOf(line);
    expect(emf.Dimensions).toContainEqual(['service', 'provider', 'operation', 'error']);
    expect(line).toMatchObject({ Requests: 1, UpstreamCalls: 1, UpstreamRetries: 2 });
  });

  it('delete, success: every upstream exchange counted (show, usage scan, delete), the delete status last', async () => {
    const response = parseResult(
      await httpDelete(httpEvent('DELETE', 'modelarts', SEEDED.modelarts.custom), lambdaContext()),
    );
    expect(response.status).toBe(200);

    const line = fixture.log.only();
    expect(line).toMatchObject({
      level: 'info',
      operation: 'delete',
      provider: 'modelarts',
      imageId: SEEDED.modelarts.custom,
      region: DEMO_MODELARTS.region,
      outcome: 'deleted',
      status: 200,
      upstreamCalls: 3,
      // The show, the usage scan and the delete, none retried: an alarm on retries stays quiet.
      upstreamRetries: 0,
    });
    expect(line.upstreamStatus).toBeGreaterThanOrEqual(200);
    expect(line.upstreamStatus).toBeLessThan(300);
    const emf = emfOf(line);
    expect(emf.Dimensions[0]).toEqual(['service', 'provider', 'operation', 'outcome']);
    expect(line).toMatchObject({
      outcome: 'deleted',
      Requests: 1,
      UpstreamCalls: 3,
      UpstreamRetries: 0,
    });
  });

  it("is what the README's Logs and metrics section describes: every upstream field and every metric", async () => {
    // Prepare
    const readme = await readFile(new URL('../../README.md', import.meta.url), 'utf8');
    const section = readme.split('**7. Logs and metrics.**')[1]?.split('**8.')[0] ?? '';

    // Act
    await httpDelete(httpEvent('DELETE', 'modelarts', SEEDED.modelarts.custom), lambdaContext());
    const line = fixture.log.only();

    // Assess
    const upstreamFields = Object.keys(line).filter((key) => key.startsWith('upstream'));
    expect(upstreamFields.length).toBeGreaterThan(0);
    for (const field of [...upstreamFields, 'durationMs', 'correlationId']) {
      expect(section, `README names the line's ${field}`).toContain(`\`${field}\``);
    }
    for (const metric of metricNames(emfOf(line))) {
      expect(section, `README names the metric ${metric}`).toContain(`\`${metric}\``);
    }
  });

  it('delete, failure: a protected image is a warning naming the error, with the show it took', async () => {
    const response = parseResult(
      await httpDelete(
        httpEvent('DELETE', 'modelarts', SEEDED.modelarts.builtIn, { dryRun: 'true' }),
        lambdaContext(),
      ),
    );
    expect(response.status).toBe(403);

    const line = fixture.log.only();
    expect(line).toMatchObject({
      level: 'warn',
      operation: 'delete',
      provider: 'modelarts',
      imageId: SEEDED.modelarts.builtIn,
      region: DEMO_MODELARTS.region,
      outcome: 'failed',
      error: 'ImageProtected',
      status: 403,
      upstreamStatus: 200,
      upstreamCalls: 1,
      upstreamRetries: 0,
    });
    emfOf(line);
    expect(line).toMatchObject({ error: 'ImageProtected', Requests: 1 });
  });

  it('a caller-supplied provider never becomes a metric dimension', async () => {
    const response = parseResult(
      await httpShow(httpEvent('GET', 'nope', 'm-abc'), lambdaContext()),
    );
    expect(response.status).toBe(400);

    const line = fixture.log.only();
    expect(line).toMatchObject({ provider: 'nope', error: 'InvalidRequest', upstreamCalls: 0 });
    const emf = emfOf(line);
    for (const set of emf.Dimensions) expect(set).not.toContain('provider');
    // Nothing went upstream: no latency, calls or retries to report.
    expect(metricNames(emf)).toEqual(['Requests']);
  });
});

describe("the outcome an HTTP line reports is the response body's", () => {
  it('whether the response is the last one built, an earlier one, or one whose body changed since', () => {
    // Prepare
    const earlier = jsonResponse(200, { outcome: 'deleted' });
    const changed = jsonResponse(200, { outcome: 'deleted' });
    changed.body = JSON.stringify({ outcome: 'already-absent' });
    // Act
    const ofChanged = HTTP_TRIGGER.outcomeOf(changed, 'delete');
    const last = jsonResponse(200, { outcome: 'dry-run' });
    const ofEarlier = HTTP_TRIGGER.outcomeOf(earlier, 'delete');
    const ofLast = HTTP_TRIGGER.outcomeOf(last, 'delete');
    // Assess
    expect(ofChanged, 'read from the serialisation the body no longer carries').toBe(
      'already-absent',
    );
    expect(ofEarlier, "an earlier response took the later one's outcome").toBe('deleted');
    expect(ofLast).toBe('dry-run');
    expect(HTTP_TRIGGER.outcomeOf(jsonResponse(200, { image: {} }), 'show')).toBe('shown');
  });
});

describe('SQS and task invocations', () => {
  it('SQS: one line per record, correlated by message id and the trace the message carried', async () => {
    const record = sqsRecord(
      'msg-1',
      JSON.stringify({ provider: 'bcc', imageId: SEEDED.bcc.custom, dryRun: true }),
    );
    record.attributes.AWSTraceHeader = TRACE;
    const event: SQSEvent = { Records: [record] };
    const response = await (sqsDelete as (e: SQSEvent, c: Context) => Promise<SQSBatchResponse>)(
      event,
      lambdaContext(30_000),
    );
    expect(response.batchItemFailures).toEqual([]);

    const [line] = fixture.log.linesWhere({ messageId: 'msg-1' });
    expect(line).toMatchObject({
      trigger: 'sqs',
      operation: 'delete',
      provider: 'bcc',
      imageId: SEEDED.bcc.custom,
      region: DEMO_BCC.region,
      outcome: 'dry-run',
      correlationId: 'msg-1',
      traceId: TRACE_ROOT,
      upstreamStatus: 200,
      // The show and the usage scan (a dry run checks usage too).
      upstreamCalls: 2,
      upstreamRetries: 0,
    });
    const emf = emfOf(line as Line);
    expect(metricNames(emf)).toContain('UpstreamLatency');
  });

  it("SQS: UpstreamLatency is the time spent with the cloud, not the wait for the consumer's pacing", async () => {
    // Prepare: one request a second to BCC for this process; the emulator answers at once.
    const consume = (await fixture.fresh(
      { UPSTREAM_RATE_LIMITS: 'bcc=1', SQS_MAX_CONCURRENCY: '1' },
      async () => (await import('../../functions/sqs/delete-image.js')).handler,
    )) as unknown as (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;
    const body = JSON.stringify({ provider: 'bcc', imageId: SEEDED.bcc.custom, dryRun: true });
    const records = ['paced-1', 'paced-2', 'paced-3'].map((id) => sqsRecord(id, body));

    // Act
    const response = await consume({ Records: records }, lambdaContext(30_000));

    // Assess: the requests waited their turn (seconds), the cloud took milliseconds.
    expect(response.batchItemFailures).toEqual([]);
    const lines = fixture.log.linesWhere({ message: 'message processed' });
    expect(lines).toHaveLength(3);
    expect(Math.max(...lines.map((line) => Number(line.durationMs)))).toBeGreaterThan(1_000);
    for (const line of lines)
      expect(line.UpstreamLatency, String(line.messageId)).toBeLessThan(400);
  });

  it('task (direct invocation, Step Functions): the X-Ray trace id Lambda sets, and the metrics', async () => {
    fixture.setEnv({ _X_AMZN_TRACE_ID: TRACE });
    await (taskShow as (e: unknown, c: Context) => Promise<unknown>)(
      { provider: 'modelarts', imageId: SEEDED.modelarts.builtIn },
      lambdaContext(),
    );
    const line = fixture.log.only();
    expect(line).toMatchObject({
      trigger: 'task',
      operation: 'show',
      provider: 'modelarts',
      region: DEMO_MODELARTS.region,
      outcome: 'shown',
      traceId: TRACE_ROOT,
      upstreamStatus: 200,
      upstreamCalls: 1,
      upstreamRetries: 0,
    });
    emfOf(line);
  });
});

describe('plan and apply: by provider, as every other operation', () => {
  const store = mkdtemp(join(tmpdir(), 'cif-request-log-'));
  afterAll(async () => {
    await rm(await store, { recursive: true, force: true });
  });

  /** The retirement handlers of a process whose plans and runs are kept in a local folder. */
  const retirementHandlers = async () =>
    fixture.fresh({ RETIREMENT_STORE_DIR: await store }, async () => ({
      create: (await import('../../functions/http/create-plan.js')).handler,
      apply: (await import('../../functions/http/apply-plan.js')).handler,
      readPlan: (await import('../../functions/http/get-plan.js')).handler,
      readRun: (await import('../../functions/http/get-run.js')).handler,
      scheduled: (await import('../../functions/schedule/plan-policy.js')).handler as (
        event: unknown,
        context: Context,
      ) => Promise<unknown>,
    }));
  const route = (request: RouteRequest) => routeEvent(request);
  const policy = {
    name: 'stale-bcc-images',
    provider: 'bcc',
    regions: ['bj'],
    select: { kind: 'custom', olderThanDays: 0 },
    limits: { maxDeletions: 1, maxPercent: 100 },
  };
  const BY_PROVIDER = [
    ['service', 'provider', 'operation', 'outcome'],
    ['service', 'provider', 'operation'],
  ];

  it("HTTP: a plan and its apply are counted with the policy's provider, their line names it", async () => {
    // Prepare
    const { create, apply } = await retirementHandlers();

    // Act
    const planned = parseResult(
      await create(
        route({ method: 'POST', route: '/retirements/plans', body: policy }),
        lambdaContext(),
      ),
    );
    const planId = String(planned.body.planId);
    const applied = parseResult(
      await apply(
        route({
          method: 'POST',
          route: '/retirements/plans/{planId}/apply',
          pathParameters: { planId },
        }),
        lambdaContext(),
      ),
    );

    // Assess
    expect([planned.status, applied.status]).toEqual([201, 202]);
    for (const operation of ['plan', 'apply']) {
      const [line] = fixture.log.linesWhere({ message: 'request completed', operation });
      expect(line, operation).toMatchObject({ provider: 'bcc', Requests: 1 });
      expect(emfOf(line as Line).Dimensions, operation).toEqual(BY_PROVIDER);
    }
  });

  it('HTTP: a plan that fails upstream is counted with its provider and error', async () => {
    // Prepare
    const { create } = await retirementHandlers();
    fixture.emulator.faults.inject({ times: 3, action: { kind: 'status', status: 503 } });

    // Act
    const response = parseResult(
      await create(
        route({ method: 'POST', route: '/retirements/plans', body: policy }),
        lambdaContext(),
      ),
    );

    // Assess
    expect(response.status).toBe(502);
    const line = fixture.log.only();
    expect(line).toMatchObject({
      operation: 'plan',
      provider: 'bcc',
      error: 'UpstreamUnavailable',
      Requests: 1,
    });
    expect(emfOf(line).Dimensions).toEqual([
      ...BY_PROVIDER,
      ['service', 'provider', 'operation', 'error'],
    ]);
  });

  it('a scheduled firing that plans and applies is counted with its provider', async () => {
    // Prepare
    const { scheduled } = await retirementHandlers();

    // Act
    await scheduled(
      { policy: { ...policy, schedule: 'rate(1 day)', apply: 'auto' } },
      lambdaContext(),
    );

    // Assess
    const line = fixture.log.only();
    expect(line).toMatchObject({ trigger: 'schedule', operation: 'plan', provider: 'bcc' });
    expect(emfOf(line).Dimensions).toEqual(BY_PROVIDER);
  });

  it("HTTP: reading a plan and its run is counted with the plan's provider, their line names it", async () => {
    // Prepare
    const { create, apply, readPlan, readRun } = await retirementHandlers();
    const planned = parseResult(
      await create(
        route({ method: 'POST', route: '/retirements/plans', body: policy }),
        lambdaContext(),
      ),
    );
    const planId = String(planned.body.planId);
    const applied = parseResult(
      await apply(
        route({
          method: 'POST',
          route: '/retirements/plans/{planId}/apply',
          pathParameters: { planId },
        }),
        lambdaContext(),
      ),
    );
    const runId = String(applied.body.runId);

    // Act
    const plan = parseResult(
      await readPlan(
        route({ method: 'GET', route: '/retirements/plans/{planId}', pathParameters: { planId } }),
        lambdaContext(),
      ),
    );
    const run = parseResult(
      await readRun(
        route({ method: 'GET', route: '/retirements/runs/{runId}', pathParameters: { runId } }),
        lambdaContext(),
      ),
    );

    // Assess
    expect([plan.status, run.status]).toEqual([200, 200]);
    for (const operation of ['read-plan', 'read-run']) {
      const [line] = fixture.log.linesWhere({ message: 'request completed', operation });
      expect(line, operation).toMatchObject({ provider: 'bcc', Requests: 1 });
      expect(emfOf(line as Line).Dimensions, operation).toEqual(BY_PROVIDER);
    }
  });
});

describe('LOG_LEVEL', () => {
  it('comes from the configuration: at warn, a success writes nothing and a refusal still does', async () => {
    // Fresh modules: the configuration is read once per process (a Lambda sandbox).
    const { handler } = await fixture.fresh(
      { LOG_LEVEL: 'warn' },
      () => import('../../functions/http/delete-image.js'),
    );

    const refusal = () => handler(httpEvent('DELETE', 'bcc', SEEDED.bcc.system), lambdaContext());
    expect((await refusal()).statusCode).toBe(403);
    const dryRun = await handler(
      httpEvent('DELETE', 'bcc', SEEDED.bcc.custom, { dryRun: 'true' }),
      lambdaContext(),
    );
    expect(dryRun.statusCode).toBe(200);
    expect((await refusal()).statusCode).toBe(403);

    // Two refusals logged, the success in between not (its metrics only: the next test).
    const captured = fixture.log.linesWhere((line) => 'message' in line);
    expect(captured.map((line) => [line.level, line.error ?? line.outcome])).toEqual([
      ['warn', 'ImageProtected'],
      ['warn', 'ImageProtected'],
    ]);
    // The first request of a fresh process (a Lambda sandbox) is its cold start.
    expect(captured.map((line) => line.coldStart)).toEqual([true, false]);
  });

  it('above info, a success still counts: its metrics are written alone, with nothing else of its line', async () => {
    // Prepare
    const { handler } = await fixture.fresh(
      { LOG_LEVEL: 'warn' },
      () => import('../../functions/http/show-image.js'),
    );

    // Act
    const shown = await handler(httpEvent('GET', 'bcc', SEEDED.bcc.custom), lambdaContext());

    // Assess: Requests by outcome stays true whatever the level (a dashboard's success rate).
    expect(shown.statusCode).toBe(200);
    const line = fixture.log.only();
    const emf = emfOf(line);
    expect(line).toMatchObject({
      service: 'cloud-image-functions',
      provider: 'bcc',
      operation: 'show',
      outcome: 'shown',
      Requests: 1,
      UpstreamCalls: 1,
      UpstreamRetries: 0,
    });
    const named = new Set(['_aws', ...emf.Dimensions.flat(), ...metricNames(emf)]);
    expect(Object.keys(line).filter((key) => !named.has(key))).toEqual([]);
  });

  it('above warn, an event that is not an SQS event is not written: its metrics are, as for any refused request', async () => {
    // Prepare
    const { consume, httpDelete } = await fixture.fresh({ LOG_LEVEL: 'error' }, async () => ({
      consume: (await import('../../functions/sqs/delete-image.js')).handler as unknown as (
        event: unknown,
        context: Context,
      ) => Promise<SQSBatchResponse>,
      httpDelete: (await import('../../functions/http/delete-image.js')).handler,
    }));

    // Act
    const refused = await consume({ records: [] }, lambdaContext(30_000)).then(
      () => undefined,
      (error: unknown) => error as Error,
    );
    const refusedOverHttp = await httpDelete(httpEvent('DELETE', 'nope', 'm-abc'), lambdaContext());

    // Assess: two refusals below the level, each its metrics alone, counted alike.
    expect(refused?.name).toBe('InvalidRequest');
    expect(refusedOverHttp.statusCode).toBe(400);
    const [batch, request] = fixture.log.lines as [Line, Line];
    expect(fixture.log.lines).toHaveLength(2);
    for (const line of [batch, request]) {
      const emf = emfOf(line);
      const named = new Set(['_aws', ...emf.Dimensions.flat(), ...metricNames(emf)]);
      expect(Object.keys(line).filter((key) => !named.has(key))).toEqual([]);
    }
    expect(batch).toMatchObject({
      operation: 'delete',
      outcome: 'failed',
      error: 'InvalidRequest',
      Requests: 1,
    });
    expect(emfOf(batch).Dimensions).toEqual(emfOf(request).Dimensions);
  });

  it('silent writes nothing, metrics included', async () => {
    const { handler } = await fixture.fresh(
      { LOG_LEVEL: 'silent' },
      () => import('../../functions/http/show-image.js'),
    );

    await handler(httpEvent('GET', 'bcc', SEEDED.bcc.custom), lambdaContext());

    expect(fixture.log.lines).toEqual([]);
  });
});
