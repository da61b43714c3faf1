// The OpenAPI 3.1 document (lib/openapi.ts): the committed docs/openapi.json is what the code
// generates, it is a valid OpenAPI 3.1 document whose schemas are valid JSON Schema 2020-12, it
// lists the spec's error table, and the handlers' real responses (in-process, against the
// emulator over real HTTP) conform to it for every status they can answer.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SEEDED } from '../../emulator/demo.js';
import { handler as applyPlanHandler } from '../../functions/http/apply-plan.js';
import { handler as createPlanHandler } from '../../functions/http/create-plan.js';
import { handler as deleteHandler } from '../../functions/http/delete-image.js';
import { handler as getPlanHandler } from '../../functions/http/get-plan.js';
import { handler as getRunHandler } from '../../functions/http/get-run.js';
import { handler as usageHandler } from '../../functions/http/image-usage.js';
import { handler as listHandler } from '../../functions/http/list-images.js';
import { handler as openApiHandler } from '../../functions/http/openapi.js';
import { handler as showHandler } from '../../functions/http/show-image.js';
import { ERROR_NAMES } from '../../lib/errors/error-table.js';
import { buildOpenApiDocument } from '../../lib/openapi/openapi.js';
import {
  httpEvent,
  lambdaContext,
  type RouteRequest,
  routeEvent,
} from '../../scripts/lambda-events.js';
import { OPENAPI_FILE, renderOpenApi } from '../../scripts/openapi.js';
import { useFixture } from '../support/fixture.js';
import { type Conformance, openApiConformance } from './conformance.js';

const document = buildOpenApiDocument();
let conformance: Conformance;

beforeAll(() => {
  conformance = openApiConformance(document);
});

describe('docs/openapi.json', () => {
  it('is what `npm run openapi` writes from the zod schemas (not stale)', () => {
    const committed = readFileSync(OPENAPI_FILE, 'utf8');
    // If this fails: run `npm run openapi` and commit docs/openapi.json.
    expect(committed).toBe(renderOpenApi());
    expect(JSON.parse(committed)).toEqual(document);
  });
});

describe('the document', () => {
  it('is valid OpenAPI 3.1 (official schema, @seriousme/openapi-schema-validator)', async () => {
    const result = await conformance.validateDocument(document);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(result.version).toBe('3.1');
  });

  it('the validator bites: a response without a description, or a bad `in`, is refused', async () => {
    interface Editable {
      paths: Record<
        string,
        { parameters: Array<Record<string, unknown>>; get: { responses: Record<string, unknown> } }
      >;
    }
    const copy = (): Editable => JSON.parse(JSON.stringify(document)) as Editable;
    const route = (doc: Editable) => doc.paths['/images/{provider}/{imageId}'];

    const noDescription = copy();
    const noDescriptionRoute = route(noDescription);
    if (noDescriptionRoute) noDescriptionRoute.get.responses['200'] = { content: {} };
    expect((await conformance.validateDocument(noDescription)).valid).toBe(false);

    const badParameter = copy();
    const first = route(badParameter)?.parameters[0];
    if (first) first.in = 'body';
    expect((await conformance.validateDocument(badParameter)).valid).toBe(false);
  });

  it('every schema in it is valid JSON Schema 2020-12 (compiled by ajv)', () => {
    expect(conformance.schemaCount()).toBeGreaterThan(20);
  });

  it('lists the spec error table: each error name with its status and code, per operation', () => {
    const codesAt = (method: 'get' | 'delete', status: string): string[] =>
      conformance.errorCodes('/images/{provider}/{imageId}', method, status);
    const table: Array<[string, string, string]> = [
      ['InvalidRequest', '400', 'INVALID_REQUEST'],
      ['ImageProtected', '403', 'IMAGE_PROTECTED'],
      ['ImageNotFound', '404', 'IMAGE_NOT_FOUND'],
      ['PlanNotFound', '404', 'PLAN_NOT_FOUND'],
      ['ImageBusy', '409', 'IMAGE_BUSY'],
      ['UpstreamAuthFailed', '502', 'UPSTREAM_AUTH_FAILED'],
      ['UpstreamBadResponse', '502', 'UPSTREAM_BAD_RESPONSE'],
      ['UpstreamUnavailable', '502', 'UPSTREAM_UNAVAILABLE'],
      ['UpstreamThrottled', '503', 'UPSTREAM_THROTTLED'],
      ['UpstreamTimeout', '504', 'UPSTREAM_TIMEOUT'],
      ['CredentialsUnavailable', '503', 'CREDENTIALS_UNAVAILABLE'],
      ['ConfigurationError', '500', 'CONFIGURATION_ERROR'],
      ['StoreUnavailable', '503', 'STORE_UNAVAILABLE'],
    ];
    expect(table.map(([name]) => name)).toEqual([...ERROR_NAMES]);
    // A delete can meet every error but a missing plan.
    for (const [name, status, code] of table) {
      if (name === 'PlanNotFound') expect(codesAt('delete', status)).not.toContain(code);
      else expect(codesAt('delete', status)).toContain(code);
    }
    expect(codesAt('get', '403')).toEqual([]);
    expect(codesAt('get', '409')).toEqual([]);
    expect(codesAt('get', '500')).toEqual(['CONFIGURATION_ERROR', 'INTERNAL_ERROR']);
  });

  it('GET /openapi.json answers it', async () => {
    const response = await openApiHandler();
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body ?? '')).toEqual(document);
    conformance.expectConforms('/openapi.json', 'get', response);
  });

  it('GET /openapi.json refuses a body as every route but the plan route does, naming no query option', async () => {
    const response = await openApiHandler(
      routeEvent({ method: 'GET', route: '/openapi.json', body: { dryRun: true } }),
      lambdaContext(),
    );
    expect(response.statusCode).toBe(400);
    expect(JSON.parse(response.body ?? '')).toMatchObject({
      error: {
        code: 'INVALID_REQUEST',
        message: 'body: this route takes no body (it has no input)',
      },
    });
    conformance.expectConforms('/openapi.json', 'get', response);
  });

  it('GET /openapi.json refuses a query parameter as every route does (400, the error body)', async () => {
    const response = await openApiHandler(
      routeEvent({ method: 'GET', route: '/openapi.json', query: { x: '1' } }),
      lambdaContext(),
    );
    expect(response.statusCode).toBe(400);
    expect(JSON.parse(response.body ?? '')).toMatchObject({
      error: { code: 'INVALID_REQUEST', message: 'unknown field(s): x' },
    });
    conformance.expectConforms('/openapi.json', 'get', response);
  });
});

describe('real responses conform to it', () => {
  const store = mkdtempSync(join(tmpdir(), 'cif-openapi-'));
  const fixture = useFixture({
    env: {
      UPSTREAM_RETRY_BASE_MS: '5',
      UPSTREAM_THROTTLE_BASE_MS: '5',
      RETIREMENT_STORE_DIR: store,
    },
  });
  afterAll(() => rmSync(store, { recursive: true, force: true }));

  const ROUTE = '/images/{provider}/{imageId}';
  type Call = () => ReturnType<typeof showHandler>;
  const show =
    (provider: string, imageId: string, query: Record<string, string> = {}, remainingMs?: number) =>
    () =>
      showHandler(httpEvent('GET', provider, imageId, query), lambdaContext(remainingMs));
  const remove =
    (provider: string, imageId: string, query: Record<string, string> = {}): Call =>
    () =>
      deleteHandler(httpEvent('DELETE', provider, imageId, query), lambdaContext());

  const faults = {
    unavailable: () =>
      fixture.emulator.faults.inject({ times: 10, action: { kind: 'status', status: 503 } }),
    throttled: () =>
      fixture.emulator.faults.inject({
        times: 10,
        action: { kind: 'status', status: 429, headers: { 'Retry-After': '0' } },
      }),
    authFailed: () =>
      fixture.emulator.faults.inject({
        times: 5,
        action: { kind: 'status', status: 401, body: { error_code: 'APIGW.0301' } },
      }),
    malformed: () =>
      fixture.emulator.faults.inject({ action: { kind: 'malformed', body: '{"not": "an image"' } }),
    stall: () => fixture.emulator.faults.inject({ times: 10, action: { kind: 'stall' } }),
    none: () => undefined,
  };

  it.each([
    [
      'show a ModelArts image',
      'get',
      200,
      faults.none,
      show('modelarts', SEEDED.modelarts.builtIn),
    ],
    ['show a BCC image', 'get', 200, faults.none, show('bcc', SEEDED.bcc.custom)],
    ['show: a malformed id', 'get', 400, faults.none, show('modelarts', 'not-a-uuid')],
    ['show: an unknown parameter', 'get', 400, faults.none, show('bcc', 'm-a', { x: '1' })],
    ['show: a missing image', 'get', 404, faults.none, show('bcc', 'm-gone')],
    [
      'show: no project for the region',
      'get',
      400,
      faults.none,
      show('modelarts', SEEDED.modelarts.custom, { region: 'mars-north-1' }),
    ],
    [
      'show: credentials rejected',
      'get',
      502,
      faults.authFailed,
      show('modelarts', SEEDED.modelarts.custom),
    ],
    [
      'show: a malformed reply',
      'get',
      502,
      faults.malformed,
      show('modelarts', SEEDED.modelarts.custom),
    ],
    ['show: the provider is down', 'get', 502, faults.unavailable, show('bcc', SEEDED.bcc.custom)],
    ['show: throttled', 'get', 503, faults.throttled, show('bcc', SEEDED.bcc.custom)],
    [
      'show: no answer in time',
      'get',
      504,
      faults.stall,
      show('modelarts', SEEDED.modelarts.custom, {}, 1_500),
    ],
    [
      'delete: dry run',
      'delete',
      200,
      faults.none,
      remove('modelarts', SEEDED.modelarts.custom, { dryRun: 'true' }),
    ],
    ['delete a custom image', 'delete', 200, faults.none, remove('bcc', SEEDED.bcc.custom)],
    ['delete: built-in', 'delete', 403, faults.none, remove('modelarts', SEEDED.modelarts.builtIn)],
    ['delete: a missing image', 'delete', 404, faults.none, remove('bcc', 'm-gone')],
    ['delete: still being created', 'delete', 409, faults.none, remove('bcc', SEEDED.bcc.creating)],
    [
      'delete: force on BCC',
      'delete',
      400,
      faults.none,
      remove('bcc', SEEDED.bcc.custom, { force: 'true' }),
    ],
  ] as const)('%s: %s answers %i as documented', async (_label, method, status, fault, call) => {
    fault();
    const response = await call();
    expect(response.statusCode, response.body).toBe(status);
    conformance.expectConforms(ROUTE, method, response);
  });

  /** Calls a route's handler with an event for that route. */
  const call = (handler: typeof listHandler, request: RouteRequest) => () =>
    handler(routeEvent(request), lambdaContext());
  const list = (query: Record<string, string>) =>
    call(listHandler, {
      method: 'GET',
      route: '/images/{provider}',
      pathParameters: { provider: 'bcc' },
      query,
    });
  const usage = (imageId: string, query: Record<string, string> = {}) =>
    call(usageHandler, {
      method: 'GET',
      route: '/images/{provider}/{imageId}/usage',
      pathParameters: { provider: 'bcc', imageId },
      query,
    });
  const POLICY = {
    name: 'stale',
    provider: 'bcc',
    regions: ['bj'],
    select: { kind: 'custom', olderThanDays: 0 },
    keep: { newestPerFamily: 0 },
    limits: { maxDeletions: 1, maxPercent: 100 },
  };
  const createPlan = (body: unknown) =>
    call(createPlanHandler, { method: 'POST', route: '/retirements/plans', body });
  const planRoute = (handler: typeof listHandler, route: string, planId: string, accept = '') =>
    call(handler, {
      method: route.endsWith('apply') ? 'POST' : 'GET',
      route,
      pathParameters: { planId },
      headers: accept === '' ? {} : { accept },
    });
  const getRun = (runId: string) =>
    call(getRunHandler, {
      method: 'GET',
      route: '/retirements/runs/{runId}',
      pathParameters: { runId },
    });
  const NO_PLAN = 'plan-000000000000000000000000';

  it.each([
    ['list a page', '/images/{provider}', 200, list({ limit: '2' })],
    ['list: a bad limit', '/images/{provider}', 400, list({ limit: '0' })],
    ['usage', '/images/{provider}/{imageId}/usage', 200, usage(SEEDED.bcc.custom)],
    ['usage: a bad id', '/images/{provider}/{imageId}/usage', 400, usage('x y')],
    ['plan: an invalid policy', '/retirements/plans', 400, createPlan({ name: 'x' })],
    [
      'plan: an unknown plan',
      '/retirements/plans/{planId}',
      404,
      planRoute(getPlanHandler, '/retirements/plans/{planId}', NO_PLAN),
    ],
    [
      'apply: an unknown plan',
      '/retirements/plans/{planId}/apply',
      404,
      planRoute(applyPlanHandler, '/retirements/plans/{planId}/apply', NO_PLAN),
    ],
    ['run: a bad id', '/retirements/runs/{runId}', 400, getRun('run-0')],
    ['run: an unknown run', '/retirements/runs/{runId}', 404, getRun('run-00000000000000000000')],
  ] as const)('%s: %s answers %i as documented', async (_label, route, status, act) => {
    const response = await act();
    expect(response.statusCode, response.body).toBe(status);
    conformance.expectConforms(
      route,
      route.includes('apply') || route === '/retirements/plans' ? 'post' : 'get',
      response,
    );
  });

  it('a plan, its report, its apply and its run answer as documented', async () => {
    // Prepare / Act: a plan of the demo inventory, read back as JSON and HTML, applied, followed.
    const created = await createPlan(POLICY)();
    conformance.expectConforms('/retirements/plans', 'post', created);
    const { planId } = JSON.parse(created.body ?? '{}') as { planId: string };
    const read = await planRoute(getPlanHandler, '/retirements/plans/{planId}', planId)();
    const report = await planRoute(
      getPlanHandler,
      '/retirements/plans/{planId}',
      planId,
      'text/html',
    )();
    const applied = await planRoute(
      applyPlanHandler,
      '/retirements/plans/{planId}/apply',
      planId,
    )();
    const { runId } = JSON.parse(applied.body ?? '{}') as { runId: string };
    const run = await getRun(runId)();

    // Assess
    expect([
      created.statusCode,
      read.statusCode,
      report.statusCode,
      applied.statusCode,
      run.statusCode,
    ]).toEqual([201, 200, 200, 202, 200]);
    conformance.expectConforms('/retirements/plans/{planId}', 'get', read);
    conformance.expectConforms('/retirements/plans/{planId}', 'get', report);
    conformance.expectConforms('/retirements/plans/{planId}/apply', 'post', applied);
    conformance.expectConforms('/retirements/runs/{runId}', 'get', run);
  });

  it('an undocumented body is caught (the check bites)', async () => {
    const response = await show('bcc', SEEDED.bcc.custom)();
    const body = JSON.parse(response.body ?? '{}') as { image: Record<string, unknown> };
    body.image.kind = 'golden';
    expect(() =>
      conformance.expectConforms(ROUTE, 'get', { ...response, body: JSON.stringify(body) }),
    ).toThrow(/kind/);
    expect(() =>
      conformance.expectConforms(ROUTE, 'get', { ...response, statusCode: 418 }),
    ).toThrow(/418/);
  });
});
