// A large plan leaves the plan routes gzipped when the caller accepts gzip: as JSON, a plan passes
// Lambda's 6 MB response limit at about 15,000 images, so a body over COMPRESS_ABOVE_BYTES is
// sent compressed (base64, as API Gateway carries binary bodies) to a caller that allows it, and
// as it is to one that does not.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { handler as createHandler } from '../../functions/http/create-plan.js';
import { handler as getPlanHandler } from '../../functions/http/get-plan.js';
import type { Plan } from '../../lib/retirement/plan.js';
import {
  acceptsGzip,
  COMPRESS_ABOVE_BYTES,
  type HttpResult,
  prefersHtml,
} from '../../lib/triggers/http.js';
import { lambdaContext, type RouteRequest, routeEvent } from '../../scripts/lambda-events.js';
import { useFixture } from '../support/fixture.js';

const store = await mkdtemp(join(tmpdir(), 'cif-large-plan-'));

useFixture({
  emulator: { seed: { bcc: { images: 4_000, instances: 20 }, random: 5 } },
  env: { RETIREMENT_STORE_DIR: store },
});

afterAll(async () => {
  await rm(store, { recursive: true, force: true });
});

const POLICY = {
  name: 'every-old-bcc-image',
  provider: 'bcc',
  regions: ['bj'],
  select: { kind: 'custom', olderThanDays: 1 },
  limits: { maxDeletions: 10, maxPercent: 5 },
};

const signed = (request: RouteRequest) =>
  routeEvent({ ...request, callerArn: 'arn:aws:iam::123456789012:user/planner' });

const createPlan = (headers: Record<string, string>) =>
  createHandler(
    signed({ method: 'POST', route: '/retirements/plans', body: POLICY, headers }),
    lambdaContext(),
  ) as Promise<HttpResult>;

/** The body as the caller reads it: decoded and gunzipped when the response says so. */
const bodyText = (response: HttpResult): string => {
  const body = response.body ?? '';
  if (response.isBase64Encoded !== true) return body;
  expect(response.headers?.['content-encoding']).toBe('gzip');
  return gunzipSync(Buffer.from(body, 'base64')).toString('utf8');
};

describe('large plans', () => {
  it('are created gzipped for a caller that accepts gzip, and as JSON for one that does not', async () => {
    // Act
    const gzipped = await createPlan({ 'accept-encoding': 'gzip, deflate, br' });
    const plain = await createPlan({});

    // Assess
    expect(gzipped.statusCode, gzipped.isBase64Encoded ? '' : gzipped.body).toBe(201);
    expect(gzipped.isBase64Encoded).toBe(true);
    expect(gzipped.headers?.vary).toBe('accept-encoding');
    const text = bodyText(gzipped);
    expect(Buffer.byteLength(text)).toBeGreaterThan(COMPRESS_ABOVE_BYTES);
    expect(gzipped.body?.length ?? 0).toBeLessThan(Buffer.byteLength(text) / 4);
    const plan = JSON.parse(text) as Plan;
    expect(plan.decisions.length).toBeGreaterThanOrEqual(4_000);
    expect(gzipped.headers?.location).toBe(`/retirements/plans/${plan.planId}`);

    expect(plain.statusCode).toBe(201);
    expect(plain.isBase64Encoded ?? false).toBe(false);
    expect(plain.headers?.['content-encoding']).toBeUndefined();
    // The same policy and inventory: the same plan (its ID derives from them).
    expect((JSON.parse(plain.body ?? '') as Plan).planId).toBe(plan.planId);
  });

  it('read back gzipped when over the bound, as JSON and as the HTML report, when the caller accepts gzip', async () => {
    // Prepare
    const plan = JSON.parse((await createPlan({})).body ?? '') as Plan;
    const read = (headers: Record<string, string>) =>
      getPlanHandler(
        signed({
          method: 'GET',
          route: '/retirements/plans/{planId}',
          pathParameters: { planId: plan.planId },
          headers,
        }),
        lambdaContext(),
      ) as Promise<HttpResult>;

    // Act
    const json = await read({ 'accept-encoding': 'gzip' });
    const html = await read({ accept: 'text/html', 'accept-encoding': 'gzip' });
    const refused = await read({ 'accept-encoding': 'gzip;q=0, identity' });

    // Assess
    expect(json.isBase64Encoded).toBe(true);
    expect(JSON.parse(bodyText(json))).toEqual(plan);
    // The report carries its decisions as data, a fraction of the JSON plan: gzipped only when
    // over the same bound.
    expect(html.isBase64Encoded ?? false).toBe(
      Buffer.byteLength(bodyText(html)) > COMPRESS_ABOVE_BYTES,
    );
    expect(html.headers?.['content-type']).toMatch(/^text\/html/);
    expect(bodyText(html)).toContain(plan.planId);
    expect(refused.isBase64Encoded ?? false).toBe(false);
    expect(JSON.parse(refused.body ?? '')).toEqual(plan);
    // Gzipped or not, JSON or the report: a cache keys each on both headers.
    for (const answer of [json, html, refused]) {
      expect(answer.headers?.vary).toBe('accept, accept-encoding');
    }
  });
});

describe('Accept', () => {
  const html = (value: string | undefined) =>
    prefersHtml(
      routeEvent({
        method: 'GET',
        route: '/x',
        headers: value === undefined ? {} : { accept: value },
      }),
    );

  it('chooses the HTML report only when text/html weighs more than JSON, or as much and first', () => {
    expect(html('text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8')).toBe(true);
    expect(html('text/html;q=0.9, application/json;q=0.9')).toBe(true);
    expect(html('application/json;q=0.1, text/html')).toBe(true);
    expect(html(undefined)).toBe(false);
    expect(html('application/json')).toBe(false);
    expect(html('text/html;q=0')).toBe(false);
    // Neither taken (q=0 both): JSON, the default, even with text/html named first.
    expect(html('text/html;q=0, application/json;q=0')).toBe(false);
    expect(html('text/html;q=0.5, application/json')).toBe(false);
    expect(html('application/json, text/html')).toBe(false);
    expect(html('text/html;q=abc')).toBe(false);
  });

  it('reads media ranges as RFC 9110 does: the most specific range naming a type gives its q-value', () => {
    // text/* takes the report; anything alike (curl's */*) stays JSON.
    expect(html('text/*')).toBe(true);
    expect(html('text/*, application/json;q=0.9')).toBe(true);
    expect(html('text/html, */*')).toBe(true);
    expect(html('*/*')).toBe(false);
    expect(html('application/json, text/*')).toBe(false);
    expect(html('application/*, text/*;q=0.5')).toBe(false);
    expect(html('text/html;q=0, text/*')).toBe(false);
    expect(html('text/html;q=0.5, */*')).toBe(false);
  });
});

describe('Accept-Encoding', () => {
  const accepts = (value: string | undefined) =>
    acceptsGzip(
      routeEvent({
        method: 'GET',
        route: '/x',
        headers: value === undefined ? {} : { 'accept-encoding': value },
      }),
    );

  it('allows gzip when listed or by `*`, unless its q-value is 0', () => {
    // `*` stands for the codings not listed: gzip refused by name stays refused.
    expect(accepts('gzip;q=0, *')).toBe(false);
    expect(accepts('*;q=0, gzip')).toBe(true);
    expect(accepts('gzip')).toBe(true);
    expect(accepts('br, GZIP;q=0.5')).toBe(true);
    expect(accepts('*')).toBe(true);
    expect(accepts(undefined)).toBe(false);
    expect(accepts('identity')).toBe(false);
    expect(accepts('gzip;q=0')).toBe(false);
    expect(accepts('x-gzip-ish')).toBe(false);
  });
});
