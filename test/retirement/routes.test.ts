// Plans and runs through the real handlers, on the local stores (a temporary directory, as
// `npm start` keeps them) and the local queue, against a seeded emulator: a plan of the seeded
// inventory gives every reason; the plan reads back as JSON and as the HTML report; applying it
// deletes exactly the retire decisions, each with one outcome and its event; a second apply
// deletes nothing more; an image that changed after the plan is skipped.

import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handler as applyHandler } from '../../functions/http/apply-plan.js';
import { handler as createHandler } from '../../functions/http/create-plan.js';
import { handler as getPlanHandler } from '../../functions/http/get-plan.js';
import { handler as getRunHandler } from '../../functions/http/get-run.js';
import { handler as scheduledHandler } from '../../functions/schedule/plan-policy.js';
import type { Plan } from '../../lib/retirement/plan.js';
import { REASON_PRECEDENCE } from '../../lib/retirement/plan.js';
import { planIdOf } from '../../lib/retirement/plan-id.js';
import { countTotals } from '../../lib/retirement/planner.js';
import { parsePolicy } from '../../lib/retirement/policy.js';
import type { RunDocument, RunMessage } from '../../lib/retirement/ports.js';
import { startInvocation } from '../../lib/runtime/invocation.js';
import {
  applyReported,
  retireReported,
  type ScheduledResult,
  scheduledReported,
} from '../../lib/runtime/reported-retirement.js';
import { retirementServices } from '../../lib/runtime/retirement-services.js';
import {
  lambdaContext,
  parseResult,
  type RouteRequest,
  routeEvent,
} from '../../scripts/lambda-events.js';
import { drainLocalQueue } from '../../scripts/local-queue.js';
import { eventsPublishedLocally } from '../support/events.js';
import { useFixture } from '../support/fixture.js';
import { rejectionOf } from '../support/outcomes.js';

const store = await mkdtemp(join(tmpdir(), 'cif-retirement-'));
const CALLER = 'arn:aws:iam::123456789012:user/planner';

const fixture = useFixture({
  emulator: { seed: { bcc: { images: 400, instances: 60 }, random: 11 } },
  env: { RETIREMENT_STORE_DIR: store, UPSTREAM_RETRY_BASE_MS: '5' },
});

afterAll(async () => {
  await rm(store, { recursive: true, force: true });
});

/** An API Gateway event for a retirement route, signed by CALLER. */
const signedEvent = (request: RouteRequest) => routeEvent({ ...request, callerArn: CALLER });

const policy = (overrides: Record<string, unknown> = {}) => ({
  name: 'stale-bcc-images',
  provider: 'bcc',
  regions: ['bj'],
  select: { kind: 'custom', olderThanDays: 30 },
  keep: { newestPerFamily: 1 },
  exclude: { names: ['*-golden'] },
  limits: { maxDeletions: 5, maxPercent: 50 },
  ...overrides,
});

const createPlan = async (body: unknown) =>
  parseResult(
    await createHandler(
      signedEvent({ method: 'POST', route: '/retirements/plans', body }),
      lambdaContext(),
    ),
  );

/** GET /retirements/plans/{planId}, signed, with these request headers. */
const getPlan = (planId: string, headers: Record<string, string> = {}) =>
  getPlanHandler(
    signedEvent({
      method: 'GET',
      route: '/retirements/plans/{planId}',
      pathParameters: { planId },
      headers,
    }),
    lambdaContext(),
  );

const events = () => eventsPublishedLocally(store);

describe('plans', () => {
  let protectedId: string;

  beforeAll(() => {
    // An operator-protected custom image, so that every reason shows.
    const custom = fixture.emulator.state.bcc
      .list()
      .find((record) => record.type === 'Custom' && record.status === 'Available');
    protectedId = String(custom?.id);
    fixture.setEnv({ PROTECTED_IMAGE_IDS: protectedId });
  });

  it('POST /retirements/plans answers 201 with the plan and its Location; every reason shows', async () => {
    const response = await createPlan(policy());
    expect(response.status).toBe(201);
    const plan = response.body as unknown as Plan;
    expect(response.headers.location).toBe(`/retirements/plans/${plan.planId}`);
    expect(plan).toMatchObject({ complete: true, createdBy: CALLER });
    const reasons = new Set(plan.decisions.map((decision) => decision.reason));
    expect([...reasons].sort()).toEqual([...REASON_PRECEDENCE].sort());
    expect(plan.totals.retire).toBe(5);
    expect(plan.decisions.find((d) => d.image.id === protectedId)?.reason).toBe('protected');
    const planned = (await events()).filter((event) => event.detailType === 'Retirement Planned');
    expect(planned.at(-1)?.detail).toMatchObject({ planId: plan.planId, createdBy: CALLER });
  });

  it('a plan made on request of an "apply": "auto" policy is announced as waiting for a person: nothing applies it', async () => {
    // Prepare
    const auto = policy({ name: 'auto-on-request', schedule: 'rate(1 day)', apply: 'auto' });

    // Act
    const response = await createPlan(auto);

    // Assess
    expect(response.status).toBe(201);
    const plan = response.body as unknown as Plan;
    expect(plan.policy.apply).toBe('auto');
    expect(plan.totals.retire).toBeGreaterThan(0);
    const published = await events();
    const planned = published.find(
      (event) => event.detailType === 'Retirement Planned' && event.detail.planId === plan.planId,
    );
    expect(planned?.detail).toMatchObject({ trigger: 'http', apply: 'manual' });
    const ofThePlan = published.filter(
      (event) => 'planId' in event.detail && event.detail.planId === plan.planId,
    );
    expect(ofThePlan.map((event) => event.detailType)).toEqual(['Retirement Planned']);
    expect(fixture.emulator.requests.filter((request) => request.method === 'DELETE')).toEqual([]);
  });

  it('an invalid policy is a 400 naming the field, and nothing is sent upstream', async () => {
    for (const [body, field] of [
      [policy({ limits: undefined }), 'limits'],
      [policy({ select: { kind: 'system' } }), 'select.kind'],
      [policy({ provider: 'aws' }), 'provider'],
      [policy({ regions: ['Mars'] }), 'regions'],
      // A region the deployment has no project for: named as the policy has it.
      [policy({ provider: 'modelarts', regions: ['eu-de'] }), "regions: 'eu-de' is not configured"],
      [JSON.stringify('not an object'), 'policy: must be an object'],
    ] as const) {
      const response = await createPlan(body);
      expect(response.status, field).toBe(400);
      expect((response.body.error as { message: string }).message).toContain(field);
    }
    expect(fixture.emulator.requests).toEqual([]);
  });

  it('a policy value of the wrong type is a 400 saying in words what it must be, not zod', async () => {
    const response = await createPlan(
      policy({
        name: 7,
        regions: 'bj',
        select: { kind: 'custom', olderThanDays: '30' },
        keep: [],
        limits: { maxDeletions: 2.5, maxPercent: 50 },
        force: 'yes',
      }),
    );

    expect(response.status).toBe(400);
    expect((response.body.error as { message: string }).message).toBe(
      'name: must be a string; regions: must be a list; select.olderThanDays: must be a number; keep: must be an object; limits.maxDeletions: must be a whole number; force: must be true or false',
    );
    expect(fixture.emulator.requests).toEqual([]);
  });

  it('a body that is not JSON is a 400 saying what broke it and where; nothing is sent upstream', async () => {
    const response = await createPlan('{"name": "stale-bcc-images",\n "provider": bcc}');

    expect(response.status).toBe(400);
    expect(response.body.error).toMatchObject({
      code: 'INVALID_REQUEST',
      message: 'body: is not valid JSON: expected a value (line 2, column 14)',
    });
    expect(fixture.emulator.requests).toEqual([]);
  });

  it('a policy with a key written twice is a 400 naming its path and where; nothing is sent upstream', async () => {
    const body = JSON.stringify(policy()).replace(
      '"maxDeletions":5',
      '"maxDeletions":5,"maxDeletions":500',
    );

    const response = await createPlan(body);

    expect(response.status).toBe(400);
    expect(response.body.error).toMatchObject({
      code: 'INVALID_REQUEST',
      message: `limits.maxDeletions: is written twice (the second at line 1, column ${body.lastIndexOf('"maxDeletions"') + 1})`,
    });
    expect(fixture.emulator.requests).toEqual([]);
  });

  it('GET /retirements/plans/{planId} answers the stored plan, or the HTML report for a browser', async () => {
    const made = (await createPlan(policy())).body as unknown as Plan;
    const get = (headers: Record<string, string> = {}) => getPlan(made.planId, headers);
    const json = parseResult(await get());
    expect(json.body).toEqual(made);
    const html = await get({ accept: 'text/html,application/xhtml+xml' });
    expect(html.statusCode).toBe(200);
    expect(String(html.headers?.['content-type'])).toMatch(/^text\/html/);
    expect(String(html.headers?.['content-security-policy'])).toContain("default-src 'none'");
    expect(html.body).toContain(`data-total-retire="${made.totals.retire}"`);

    const missing = parseResult(
      await getPlanHandler(
        signedEvent({
          method: 'GET',
          route: '/retirements/plans/{planId}',
          pathParameters: { planId: 'plan-000000000000000000000000' },
        }),
        lambdaContext(),
      ),
    );
    expect([missing.status, (missing.body.error as { code: string }).code]).toEqual([
      404,
      'PLAN_NOT_FOUND',
    ]);
    const bad = parseResult(
      await getPlanHandler(
        signedEvent({
          method: 'GET',
          route: '/retirements/plans/{planId}',
          pathParameters: { planId: '../x' },
        }),
        lambdaContext(),
      ),
    );
    expect(bad.status).toBe(400);
  });

  it('GET /retirements/plans/{planId} says that its answer varies with Accept (JSON or the report) and Accept-Encoding', async () => {
    // Prepare
    const made = (await createPlan(policy())).body as unknown as Plan;
    const get = (headers: Record<string, string>) => getPlan(made.planId, headers);

    // Act
    const answers = [
      await get({ accept: 'application/json' }),
      await get({ accept: 'text/html' }),
      await get({ accept: 'text/html', 'accept-encoding': 'gzip' }),
    ];

    // Assess: a cache that keyed on Accept-Encoding alone could hand the report to a script.
    for (const answer of answers) {
      const vary = String(answer.headers?.vary)
        .split(',')
        .map((name) => name.trim().toLowerCase());
      expect(vary.sort()).toEqual(['accept', 'accept-encoding']);
    }
  });
});

describe('applying a plan', () => {
  const apply = async (planId: string) =>
    parseResult(
      await applyHandler(
        signedEvent({
          method: 'POST',
          route: '/retirements/plans/{planId}/apply',
          pathParameters: { planId },
        }),
        lambdaContext(),
      ),
    );
  const run = async (runId: string) =>
    parseResult(
      await getRunHandler(
        signedEvent({
          method: 'GET',
          route: '/retirements/runs/{runId}',
          pathParameters: { runId },
        }),
        lambdaContext(),
      ),
    ).body as unknown as RunDocument;

  it('deletes exactly the retire decisions, one outcome and one event each; a second apply deletes nothing more', async () => {
    const plan = (await createPlan(policy({ limits: { maxDeletions: 12, maxPercent: 50 } })))
      .body as unknown as Plan;
    const retire = plan.decisions.filter((decision) => decision.decision === 'retire');
    expect(retire).toHaveLength(12);
    const before = new Set(fixture.emulator.state.bcc.list().map((record) => record.id));

    const accepted = await apply(plan.planId);
    expect(accepted.status).toBe(202);
    const { runId } = accepted.body as { runId: string };
    expect(accepted.headers.location).toBe(`/retirements/runs/${runId}`);
    expect((await run(runId)).run.status).toBe('running');
    await drainLocalQueue({ dir: store });

    const done = await run(runId);
    expect(done.run).toMatchObject({ status: 'completed', total: 12, createdBy: CALLER });
    // An image shared to other accounts is planned like any custom image (no list shows shares),
    // and the cloud refuses to delete it: the run skips it, with the cloud's reason.
    const sharedToOthers = retire
      .map((decision) => decision.image.id)
      .filter((id) => fixture.emulator.state.bcc.sharedWith(id).length > 0);
    const skipped = done.outcomes.filter((outcome) => outcome.outcome === 'skipped');
    expect(skipped.map((outcome) => outcome.imageKey).sort()).toEqual(
      sharedToOthers.map((id) => `bj/${id}`).sort(),
    );
    for (const outcome of skipped) expect(outcome.reason).toMatch(/shared to others/);
    const deletedCount = 12 - sharedToOthers.length;
    expect(done.run.counts).toEqual({
      deleted: deletedCount,
      'already-absent': 0,
      skipped: sharedToOthers.length,
      failed: 0,
    });
    expect(done.outcomes.map((outcome) => outcome.state)).toEqual(Array(12).fill('final'));
    const after = new Set(fixture.emulator.state.bcc.list().map((record) => record.id));
    const gone = [...before].filter((id) => !after.has(id)).sort();
    expect(gone).toEqual(
      retire
        .map((decision) => decision.image.id)
        .filter((id) => !sharedToOthers.includes(id))
        .sort(),
    );
    for (const id of gone) expect(fixture.emulator.state.deleteCount('bcc', id)).toBe(1);
    const published = (await events()).filter((event) => event.detail.runId === runId);
    expect(published.filter((event) => event.detailType === 'Image Deleted')).toHaveLength(
      deletedCount,
    );
    expect(published.filter((event) => event.detailType === 'Image Delete Refused')).toHaveLength(
      sharedToOthers.length,
    );
    expect(published.filter((event) => event.detailType === 'Retirement Run Completed')).toEqual([
      expect.objectContaining({ detail: expect.objectContaining({ counts: done.run.counts }) }),
    ]);

    // The same plan again: a new run, every decision already absent, no delete sent.
    const imagesBefore = fixture.emulator.state.bcc.list().length;
    const again = (await apply(plan.planId)).body as { runId: string };
    await drainLocalQueue({ dir: store });
    const second = await run(again.runId);
    expect(second.run.counts).toEqual({
      deleted: 0,
      'already-absent': deletedCount,
      skipped: sharedToOthers.length,
      failed: 0,
    });
    // Nothing more deleted (a shared-to-others image is refused by the cloud again).
    expect(fixture.emulator.state.bcc.list()).toHaveLength(imagesBefore);
  });

  it('skips exactly the images that changed after the plan, with the reason', async () => {
    const plan = (await createPlan(policy({ limits: { maxDeletions: 6, maxPercent: 50 } })))
      .body as unknown as Plan;
    const retire = plan.decisions.filter((decision) => decision.decision === 'retire');
    const [renamed, failedNow, usedNow] = retire.map((decision) => decision.image.id);
    const record = (id: string | undefined) =>
      fixture.emulator.state.bcc.get(String(id)) ?? { id: '' };
    fixture.emulator.state.bcc.set({
      ...record(renamed),
      id: String(renamed),
      name: 'renamed-by-someone',
    });
    fixture.emulator.state.bcc.set({
      ...record(failedNow),
      id: String(failedNow),
      status: 'Error',
    });
    fixture.emulator.state.referenceImage('bcc', String(usedNow), {
      id: 'i-late',
      name: 'late',
      status: 'Running',
    });

    const { runId } = (await apply(plan.planId)).body as { runId: string };
    await drainLocalQueue({ dir: store });
    const done = await run(runId);

    expect(done.run.counts).toEqual({ deleted: 3, 'already-absent': 0, skipped: 3, failed: 0 });
    const skipped = done.outcomes.filter((outcome) => outcome.outcome === 'skipped');
    const reasonOf = (id: string | undefined) =>
      skipped.find((outcome) => outcome.imageKey === `bj/${id}`);
    expect(reasonOf(renamed)).toMatchObject({ error: 'ImageChanged' });
    expect(reasonOf(renamed)?.reason).toContain('renamed-by-someone');
    expect(reasonOf(failedNow)?.reason).toContain('status');
    expect(reasonOf(usedNow)?.reason).toContain('in use by instance i-late');
    for (const id of [renamed, failedNow, usedNow]) {
      expect(fixture.emulator.state.bcc.has(String(id))).toBe(true);
    }
    const refused = (await events()).filter(
      (event) => event.detailType === 'Image Delete Refused' && event.detail.runId === runId,
    );
    expect(refused).toHaveLength(3);
  });

  it('a query parameter on a retirement route is a 400 naming it: `?dryRun=true` on apply deletes nothing', async () => {
    // Prepare
    const plan = (await createPlan(policy())).body as unknown as Plan;
    const deletesBefore = fixture.emulator.requests.filter(
      (request) => request.operation === 'delete',
    ).length;
    const withQuery = (route: string, pathParameters: Record<string, string>) =>
      signedEvent({ method: 'GET', route, pathParameters, query: { dryRun: 'true' } });

    // Act
    const answers = [
      await applyHandler(
        signedEvent({
          method: 'POST',
          route: '/retirements/plans/{planId}/apply',
          pathParameters: { planId: plan.planId },
          query: { dryRun: 'true' },
        }),
        lambdaContext(),
      ),
      await createHandler(
        signedEvent({
          method: 'POST',
          route: '/retirements/plans',
          body: policy(),
          query: { dryRun: 'true' },
        }),
        lambdaContext(),
      ),
      await getPlanHandler(
        withQuery('/retirements/plans/{planId}', { planId: plan.planId }),
        lambdaContext(),
      ),
      await getRunHandler(
        withQuery('/retirements/runs/{runId}', { runId: 'run-00000000000000000000' }),
        lambdaContext(),
      ),
    ].map(parseResult);

    // Assess
    for (const answer of answers) {
      expect(answer.status, JSON.stringify(answer.body)).toBe(400);
      expect(String((answer.body.error as { message: string }).message)).toMatch(/dryRun/);
    }
    await drainLocalQueue({ dir: store });
    expect(
      fixture.emulator.requests.filter((request) => request.operation === 'delete'),
    ).toHaveLength(deletesBefore);
  });

  it('a body on apply, or on reading a plan or run, is a 400 naming body and no query parameter: `{"dryRun":true}` starts no run', async () => {
    // Prepare
    const plan = (await createPlan(policy())).body as unknown as Plan;
    const deletesBefore = fixture.emulator.requests.filter(
      (request) => request.operation === 'delete',
    ).length;
    const withBody = (
      method: 'GET' | 'POST',
      route: string,
      pathParameters: Record<string, string>,
    ) => signedEvent({ method, route, pathParameters, body: { dryRun: true } });

    // Act
    const answers = [
      await applyHandler(
        withBody('POST', '/retirements/plans/{planId}/apply', { planId: plan.planId }),
        lambdaContext(),
      ),
      await getPlanHandler(
        withBody('GET', '/retirements/plans/{planId}', { planId: plan.planId }),
        lambdaContext(),
      ),
      await getRunHandler(
        withBody('GET', '/retirements/runs/{runId}', { runId: 'run-00000000000000000000' }),
        lambdaContext(),
      ),
    ].map(parseResult);

    // Assess
    for (const answer of answers) {
      expect(answer.status, JSON.stringify(answer.body)).toBe(400);
      expect((answer.body.error as { message: string }).message).toBe(
        'body: this route takes no body (its only input is its path)',
      );
    }
    await drainLocalQueue({ dir: store });
    expect(
      fixture.emulator.requests.filter((request) => request.operation === 'delete'),
    ).toHaveLength(deletesBefore);
  });

  it('a stored plan edited since it was made (a keep turned into retire) is refused at apply: 400, nothing deleted', async () => {
    // Prepare
    const plan = (await createPlan(policy({ name: 'edited-in-the-store' })))
      .body as unknown as Plan;
    const keep = plan.decisions.findIndex((decision) => decision.decision === 'keep');
    const edited: Plan = {
      ...plan,
      decisions: plan.decisions.map((decision, index) =>
        index === keep ? { ...decision, decision: 'retire', reason: 'retire' } : decision,
      ),
    };
    await writeFile(join(store, 'plans', `${plan.planId}.json`), JSON.stringify(edited));
    const deletesBefore = fixture.emulator.requests.filter(
      (request) => request.operation === 'delete',
    ).length;

    // Act
    const response = await apply(plan.planId);
    await drainLocalQueue({ dir: store });

    // Assess
    expect(response.status).toBe(400);
    expect(String((response.body.error as { message: string }).message)).toMatch(
      /^planId: plan plan-[0-9a-f]{24} has been altered since it was made \(its policy or decisions/,
    );
    expect(
      fixture.emulator.requests.filter((request) => request.operation === 'delete'),
    ).toHaveLength(deletesBefore);
  });

  it('a policy with a 200,000-character unknown key is refused with its name cut short', async () => {
    const response = await createPlan({ ...policy(), ['k'.repeat(200_000)]: 1 });
    expect(response.status).toBe(400);
    const message = String((response.body.error as { message: string }).message);
    expect(message).toMatch(/^policy: unknown field\(s\): k{64}\u2026 \(200000 characters\)$/);
  });

  /** Old custom BCC images named `oddball-...` (the cloud lists them as given). */
  const seedOddballs = (images: ReadonlyArray<readonly [id: string, name: string]>) => {
    const template = fixture.emulator.state.bcc.get('m-custom01') ?? { id: '' };
    for (const [id, name] of images) {
      fixture.emulator.state.bcc.set({
        ...template,
        id,
        name,
        type: 'Custom',
        status: 'Available',
        createTime: '2020-01-01T00:00:00Z',
      });
    }
  };
  const oddballs = (name: string) => ({
    name,
    provider: 'bcc',
    regions: ['bj'],
    select: { kind: 'custom', name: 'oddball-*' },
    limits: { maxDeletions: 5, maxPercent: 100 },
  });
  const LONG_NAME = `oddball-${'x'.repeat(1_100)}`;

  it('an image whose ID or name the delete queue would refuse is kept (not-selected), taking no deletion', async () => {
    // Prepare: old custom images the cloud lists but whose run message the queue's schema would
    // refuse: one with an ID outside BCC's format, one with a name over 1,024 characters.
    seedOddballs([
      ['m-odd_id.1', 'oddball-b'],
      ['m-oddlong1', LONG_NAME],
    ]);

    // Act
    const plan = (await createPlan(oddballs('oddballs'))).body as unknown as Plan;

    // Assess: both kept, saying which field; nothing for apply to queue or record failed.
    expect(plan.totals.retire).toBe(0);
    expect(
      plan.decisions
        .filter((decision) => decision.image.name.startsWith('oddball-'))
        .map(({ image, decision, reason, detail }) => [image.id, decision, reason, detail]),
    ).toEqual([
      [
        'm-odd_id.1',
        'keep',
        'not-selected',
        expect.stringMatching(/^image ID is not .* no delete could name it, so it is kept$/),
      ],
      [
        'm-oddlong1',
        'keep',
        'not-selected',
        'name is 1108 characters, more than the 1024 the delete queue takes: no delete could be queued for it, so it is kept',
      ],
    ]);
  });

  it('a retire decision the queue would refuse is recorded failed at once, and the run completes', async () => {
    // Prepare: the planner keeps every image whose run message fields the queue would refuse
    // (above), so what is left to refuse is what no plan sees: the applier's identity, which the
    // message carries and the queue's schema bounds (2,048 characters; IAM makes no longer ARN,
    // but the bound is the queue's to keep). (A plan made before the planner kept such images is
    // refused at apply as a whole: the next test.)
    seedOddballs([['m-oddplain1', 'oddball-plain']]);
    const plan = (await createPlan(oddballs('oddball-plain'))).body as unknown as Plan;
    expect(plan.totals.retire).toBe(1);
    const applier = `arn:aws:iam::123456789012:user/${'x'.repeat(2_048)}`;

    // Act
    const accepted = parseResult(
      await applyHandler(
        routeEvent({
          method: 'POST',
          route: '/retirements/plans/{planId}/apply',
          pathParameters: { planId: plan.planId },
          callerArn: applier,
        }),
        lambdaContext(),
      ),
    );

    // Assess: nothing queued, the retire decision failed with the reason, the run completed, one
    // event.
    expect(accepted.status).toBe(202);
    expect(accepted.body).toMatchObject({ status: 'completed', total: 1 });
    const { runId } = accepted.body as { runId: string };
    const document = await run(runId);
    expect(document.run).toMatchObject({ status: 'completed', counts: { failed: 1 } });
    expect(document.outcomes.map((outcome) => outcome.error)).toEqual(['InvalidRequest']);
    expect(document.outcomes[0]?.reason).toMatch(
      /^not queued: the delete queue would refuse it \(identity: /,
    );
    const failedEvents = (await eventsPublishedLocally(store)).filter(
      (event) => event.detailType === 'Image Delete Failed' && event.detail.runId === runId,
    );
    expect(failedEvents).toHaveLength(1);
    const completions = (await eventsPublishedLocally(store)).filter(
      (event) => event.detailType === 'Retirement Run Completed' && event.detail.runId === runId,
    );
    expect(completions).toHaveLength(1);
    expect(await drainLocalQueue({ dir: store })).toMatchObject({ processed: 0 });
  });

  it('a plan made before the planner kept an image the queue would refuse (one retiring it) is refused at apply: 400, nothing queued', async () => {
    // Prepare: the plan an earlier planner made, retiring the image whose name is over 1,024
    // characters, with its ID and totals as that planner stored them.
    seedOddballs([['m-oddlong2', LONG_NAME]]);
    const today = (await createPlan(oddballs('oddball-long'))).body as unknown as Plan;
    const decisions = today.decisions.map((decision) =>
      decision.image.id === 'm-oddlong2'
        ? { ...decision, decision: 'retire' as const, reason: 'retire' as const, detail: undefined }
        : decision,
    );
    const earlier: Plan = {
      ...today,
      decisions,
      totals: countTotals(decisions),
      limits: { ...today.limits, wouldRetire: today.limits.wouldRetire + 1 },
      planId: planIdOf(today.policy, decisions),
    };
    await writeFile(join(store, 'plans', `${earlier.planId}.json`), JSON.stringify(earlier));
    const deletesBefore = fixture.emulator.requests.filter(
      (request) => request.operation === 'delete',
    ).length;

    // Act
    const response = await apply(earlier.planId);

    // Assess: refused naming the decision; no run to record a `failed` in, nothing queued.
    expect(response.status).toBe(400);
    expect(String((response.body.error as { message: string }).message)).toContain(
      'its decision for bj/m-oddlong2 is retire where its policy gives not-selected (edited, or made by an earlier version of the planner)',
    );
    expect(await drainLocalQueue({ dir: store })).toMatchObject({ processed: 0 });
    expect(
      fixture.emulator.requests.filter((request) => request.operation === 'delete'),
    ).toHaveLength(deletesBefore);
  });

  it('an unknown or incomplete plan is refused before anything is queued', async () => {
    const unknown = await apply('plan-000000000000000000000000');
    expect([unknown.status, (unknown.body.error as { code: string }).code]).toEqual([
      404,
      'PLAN_NOT_FOUND',
    ]);
    const badRun = parseResult(
      await getRunHandler(
        signedEvent({
          method: 'GET',
          route: '/retirements/runs/{runId}',
          pathParameters: { runId: 'run-0' },
        }),
        lambdaContext(),
      ),
    );
    expect(badRun.status).toBe(400);
  });
});

describe('a scheduled policy', () => {
  it('plans on its schedule, and applies at once when it says "apply": "auto"', async () => {
    const result = (await scheduledHandler(
      {
        policy: policy({
          name: 'nightly',
          schedule: 'cron(0 3 * * ? *)',
          apply: 'auto',
          limits: { maxDeletions: 2, maxPercent: 50 },
        }),
      },
      lambdaContext(),
    )) as { planId: string; runId?: string; retire: number };
    expect(result.retire).toBe(2);
    expect(result.runId).toMatch(/^run-/);
    await drainLocalQueue({ dir: store });
    const planned = (await events()).find(
      (event) => event.detailType === 'Retirement Planned' && event.detail.planId === result.planId,
    );
    expect(planned?.detail).toMatchObject({
      trigger: 'schedule',
      createdBy: 'schedule:nightly',
      apply: 'auto',
    });
    const completed = (await events()).find(
      (event) =>
        event.detailType === 'Retirement Run Completed' && event.detail.runId === result.runId,
    );
    expect(completed?.detail).toMatchObject({ counts: { deleted: 2 } });
  });

  it('a firing with a bad policy is InvalidRequest naming the field as its input has it, before anything is sent upstream', async () => {
    // Act
    const failure = await rejectionOf(
      scheduledHandler(
        { policy: policy({ name: 'nightly-bad', limits: undefined }), scheduledTime: 'x' },
        lambdaContext(),
      ),
    );

    // Assess
    expect(failure.name).toBe('InvalidRequest');
    expect(failure.message).toBe('policy.limits: is required');
    expect(fixture.emulator.requests).toHaveLength(0);
  });

  it("a firing whose input is out of bounds is refused in words, not zod's", async () => {
    const failure = await rejectionOf(
      scheduledHandler(
        {
          policy: policy({ name: 'nightly-bounds' }),
          scheduledTime: '',
          identity: 'i'.repeat(257),
        },
        lambdaContext(),
      ),
    );

    expect(failure.name).toBe('InvalidRequest');
    expect(failure.message).toBe(
      'identity: must be at most 256 characters; scheduledTime: must not be empty',
    );
    expect(fixture.emulator.requests).toHaveLength(0);
  });

  it('a firing whose plan could not read everything in time fails as UpstreamTimeout (announced, nothing applied), and its retry applies', async () => {
    // Prepare: an inventory of many pages, each slow, so that the firing's scan of it runs out of
    // time (the plan incomplete) and not of the first page (which would be an UpstreamTimeout
    // of the scan itself).
    fixture.emulator.seed({ bcc: { images: 3_000 }, random: 7 });
    const input = {
      policy: policy({
        name: 'nightly-incomplete',
        schedule: 'cron(0 3 * * ? *)',
        apply: 'auto',
        limits: { maxDeletions: 2, maxPercent: 50 },
      }),
      scheduledTime: '2026-11-30T03:00:00Z',
    };
    fixture.emulator.faults.inject({
      match: { provider: 'bcc', operation: 'list-images' },
      times: 10,
      action: { kind: 'latency', ms: 700 },
    });
    const deletesBefore = fixture.emulator.requests.filter(
      (request) => request.operation === 'delete',
    ).length;

    // Act
    const failure = await rejectionOf(scheduledHandler(input, lambdaContext(3_100)));
    fixture.emulator.faults.clear();
    await drainLocalQueue({ dir: store });
    const deletesAfterFailure = fixture.emulator.requests.filter(
      (request) => request.operation === 'delete',
    ).length;
    const retried = (await scheduledHandler(input, lambdaContext())) as ScheduledResult;

    // Assess: the firing failed with the table's name, its plan announced as incomplete.
    expect(failure.name).toBe('UpstreamTimeout');
    expect(failure.message).toMatch(
      /^plan plan-\w+ of policy nightly-incomplete is incomplete and decides nothing: .+; nothing was applied$/,
    );
    expect(deletesAfterFailure, 'nothing deleted by the failed firing').toBe(deletesBefore);
    const planned = (await events()).filter(
      (event) =>
        event.detailType === 'Retirement Planned' &&
        event.detail.policyName === 'nightly-incomplete',
    );
    expect(planned.map((event) => event.detail.complete)).toEqual([false, true]);
    expect(fixture.log.lines.find((line) => line.message === 'schedule failed')).toMatchObject({
      level: 'error',
      error: 'UpstreamTimeout',
      policyName: 'nightly-incomplete',
    });
    // Lambda's retry of the firing plans again (no run was started) and applies.
    expect(retried).toMatchObject({ complete: true, retire: 2 });
    expect(retried.runId).toMatch(/^run-/);
  });

  it('a firing delivered twice (the same scheduled time, another request id) applies once', async () => {
    // Prepare
    const input = {
      policy: policy({
        name: 'nightly-delivered-twice',
        schedule: 'cron(0 3 * * ? *)',
        apply: 'auto',
        limits: { maxDeletions: 2, maxPercent: 50 },
      }),
      scheduledTime: '2026-11-30T03:00:00Z',
    };

    // Act
    const first = (await scheduledHandler(input, lambdaContext())) as ScheduledResult;
    const again = (await scheduledHandler(input, lambdaContext())) as ScheduledResult;
    const nextNight = (await scheduledHandler(
      { ...input, scheduledTime: '2026-12-01T03:00:00Z' },
      lambdaContext(),
    )) as ScheduledResult;

    // Assess
    expect(again).toMatchObject({ runId: first.runId, repeated: true });
    expect(nextNight.runId).not.toBe(first.runId);
    expect(nextNight.repeated).toBeUndefined();
  });

  it('a retried firing whose first attempt stopped after starting its run sends what it had not, and the run completes', async () => {
    // Prepare: the first attempt dies while queueing (after the run was created).
    const nightly = policy({
      name: 'nightly-stopped-partway',
      schedule: 'cron(0 3 * * ? *)',
      apply: 'auto',
      limits: { maxDeletions: 2, maxPercent: 50 },
    });
    const services = retirementServices();
    const invocation = startInvocation(lambdaContext(), { capMs: 29_000 }, { trigger: 'test' });
    const firing = 'nightly-stopped-partway@2026-11-30T03:00:00Z';
    const dying = {
      ...services,
      queue: {
        send: async () => {
          throw new Error('the Lambda sandbox stopped');
        },
      },
    };
    const first = await scheduledReported(
      parsePolicy(nightly),
      invocation,
      'schedule:x',
      firing,
      dying,
    ).then(
      () => undefined,
      (error: unknown) => error as Error,
    );

    // Act
    const retried = await scheduledReported(
      parsePolicy(nightly),
      invocation,
      'schedule:x',
      firing,
      services,
    );
    await drainLocalQueue({ dir: store });

    // Assess
    expect(first?.message).toBe('the Lambda sandbox stopped');
    expect(retried.repeated).toBe(true);
    const done = await services.runs.read(String(retried.runId));
    expect(done?.run).toMatchObject({ status: 'completed', total: 2 });
    expect(done?.outcomes.map((outcome) => outcome.state)).toEqual(['final', 'final']);
  });

  it('a retried firing whose plan no longer passes its check (an upgrade in between) records what it had not queued failed, and the run completes', async () => {
    // Prepare: the first attempt dies while queueing (after the run was created); then its stored
    // plan as an earlier planner would leave it for today's: the same ID and decisions, but other
    // decisions when planned again (its clock 20 years back: every image too new).
    const nightly = policy({
      name: 'nightly-across-upgrade',
      schedule: 'cron(0 3 * * ? *)',
      apply: 'auto',
      limits: { maxDeletions: 2, maxPercent: 50 },
    });
    const services = retirementServices();
    const invocation = startInvocation(lambdaContext(), { capMs: 29_000 }, { trigger: 'test' });
    const firing = 'nightly-across-upgrade@2026-11-30T03:00:00Z';
    const dying = {
      ...services,
      queue: {
        send: async () => {
          throw new Error('the Lambda sandbox stopped');
        },
      },
    };
    await scheduledReported(parsePolicy(nightly), invocation, 'schedule:x', firing, dying).catch(
      () => undefined,
    );
    const started = (await events()).find(
      (event) =>
        event.detailType === 'Retirement Planned' &&
        event.detail.policyName === 'nightly-across-upgrade',
    );
    const planId = String(started?.detail.planId);
    const path = join(store, 'plans', `${planId}.json`);
    const stored = JSON.parse(await readFile(path, 'utf8')) as Plan;
    await writeFile(
      path,
      JSON.stringify({
        ...stored,
        createdAt: new Date(Date.parse(stored.createdAt) - 20 * 365 * 86_400_000).toISOString(),
      }),
    );
    const deletesBefore = fixture.emulator.requests.filter(
      (request) => request.operation === 'delete',
    ).length;

    // Act
    const retried = await scheduledReported(
      parsePolicy(nightly),
      invocation,
      'schedule:x',
      firing,
      services,
    );
    const drained = await drainLocalQueue({ dir: store });
    const newRun = parseResult(
      await applyHandler(
        signedEvent({
          method: 'POST',
          route: '/retirements/plans/{planId}/apply',
          pathParameters: { planId },
        }),
        lambdaContext(),
      ),
    );

    // Assess: nothing queued or deleted; each decision failed with why, its event published. A
    // new run of the plan is refused, as before (make a new plan).
    expect(newRun.status).toBe(400);
    expect(String((newRun.body.error as { message: string }).message)).toMatch(
      /^planId: plan plan-[0-9a-f]{24} has been altered since it was made \(its decision for .+ \(edited, or made by an earlier version of the planner\)\); make a new plan$/,
    );
    expect(retried).toMatchObject({ planId, repeated: true });
    expect(drained).toMatchObject({ processed: 0 });
    expect(
      fixture.emulator.requests.filter((request) => request.operation === 'delete'),
    ).toHaveLength(deletesBefore);
    const done = await services.runs.read(String(retried.runId));
    expect(done?.run).toMatchObject({ status: 'completed', total: 2, counts: { failed: 2 } });
    for (const outcome of done?.outcomes ?? []) {
      expect(outcome).toMatchObject({ outcome: 'failed', error: 'InvalidRequest' });
      expect(outcome.reason).toMatch(
        new RegExp(`^planId: plan ${planId} can no longer be verified: .+: make a new plan$`),
      );
    }
    const runEvents = (await events()).filter((event) => event.detail.runId === retried.runId);
    expect(runEvents.map((event) => event.detailType).sort()).toEqual([
      'Image Delete Failed',
      'Image Delete Failed',
      'Retirement Run Completed',
    ]);
  });

  it("a firing repeated under another identity queues its run's decisions as that run's applier's, and the run completes", async () => {
    // Prepare: the first attempt, by one identity, dies while queueing (after the run was created);
    // the same firing then comes with another identity (a second schedule of the policy's name).
    const nightly = policy({
      name: 'nightly-other-identity',
      schedule: 'cron(0 3 * * ? *)',
      apply: 'auto',
      limits: { maxDeletions: 2, maxPercent: 50 },
    });
    const services = retirementServices();
    const invocation = startInvocation(lambdaContext(), { capMs: 29_000 }, { trigger: 'test' });
    const firing = 'nightly-other-identity@2026-11-30T03:00:00Z';
    const dying = {
      ...services,
      queue: {
        send: async () => {
          throw new Error('the Lambda sandbox stopped');
        },
      },
    };
    await scheduledReported(parsePolicy(nightly), invocation, 'schedule:x', firing, dying).catch(
      () => undefined,
    );

    // Act
    const repeated = await scheduledReported(
      parsePolicy(nightly),
      invocation,
      'schedule:y',
      firing,
      services,
    );
    const drained = await drainLocalQueue({ dir: store });

    // Assess: the consumer took every message as a decision of the run.
    expect(repeated.repeated).toBe(true);
    expect(drained).toMatchObject({ failed: 0, dead: 0 });
    const done = await services.runs.read(String(repeated.runId));
    expect(done?.run).toMatchObject({ status: 'completed', total: 2, createdBy: 'schedule:x' });
    expect(done?.outcomes.map((outcome) => outcome.outcome)).toEqual(['deleted', 'deleted']);
  });

  it('a retried firing (Lambda retries with the same request id) plans and applies nothing again', async () => {
    // Prepare: one firing's context, as Lambda hands it to each retry of an async invocation.
    const firing = lambdaContext();
    const nightly = policy({
      name: 'nightly-retried',
      schedule: 'cron(0 3 * * ? *)',
      apply: 'auto',
      limits: { maxDeletions: 2, maxPercent: 50 },
    });
    const first = (await scheduledHandler({ policy: nightly }, firing)) as ScheduledResult;
    await drainLocalQueue({ dir: store });
    const deletesAfterFirst = fixture.emulator.requests.filter(
      (request) => request.operation === 'delete',
    ).length;

    // Act
    const retried = (await scheduledHandler({ policy: nightly }, firing)) as ScheduledResult;
    await drainLocalQueue({ dir: store });

    // Assess
    expect(retried).toMatchObject({ planId: first.planId, runId: first.runId, repeated: true });
    expect(
      fixture.emulator.requests.filter((request) => request.operation === 'delete'),
      'no image deleted by the retry',
    ).toHaveLength(deletesAfterFirst);
    const planned = (await events()).filter(
      (event) =>
        event.detailType === 'Retirement Planned' && event.detail.policyName === 'nightly-retried',
    );
    expect(planned, 'one plan for the firing').toHaveLength(1);
  });
});

describe('the audit copy of a finished run', () => {
  it('is written by a later delivery when the delivery that completed the run could not write it', async () => {
    // Prepare: a one-decision run whose message is kept here, and its audit path blocked once.
    const plan = (
      await createPlan(
        policy({ name: 'audit-copy-retried', limits: { maxDeletions: 1, maxPercent: 100 } }),
      )
    ).body as unknown as Plan;
    const services = retirementServices();
    const kept: RunMessage[] = [];
    const invocation = startInvocation(lambdaContext(), { capMs: 29_000 }, { trigger: 'test' });
    const applied = await applyReported(plan.planId, invocation, CALLER, {
      ...services,
      queue: {
        send: async (messages) => {
          kept.push(...messages);
          return [];
        },
      },
    });
    const message = kept[0] as RunMessage;
    const audit = join(store, 'runs', `${applied.runId}.json`);
    await mkdir(audit, { recursive: true });
    const deliver = (receiveCount: number) =>
      retireReported(message, invocation, { receiveCount, maxReceiveCount: 5 }, 'req', services);

    // Act
    const first = await deliver(1).then(
      () => undefined,
      (error: unknown) => error as Error,
    );
    await rm(audit, { recursive: true });
    const second = await deliver(2);

    // Assess
    expect(first, 'the first delivery failed to write the audit copy').toBeInstanceOf(Error);
    expect(second).toMatchObject({ outcome: 'deleted', recorded: false });
    const copy = JSON.parse(await readFile(audit, 'utf8')) as RunDocument;
    expect(copy.run).toMatchObject({ runId: applied.runId, status: 'completed' });
  });
});

describe('apply, when the queue seems to refuse what it accepted', () => {
  it('records and publishes no failure for a decision a consumer already recorded (the send replies were lost)', async () => {
    // Prepare: a queue whose send delivers each message (a consumer records it deleted) and then
    // reports every message unsent, as a SendMessageBatch whose replies were lost would.
    const plan = (await createPlan(policy({ name: 'lost-send-replies' }))).body as unknown as Plan;
    const services = retirementServices();
    const lossyQueue = {
      send: async (messages: readonly RunMessage[]) => {
        for (const message of messages) {
          const at = new Date().toISOString();
          await services.runs.claim(message.runId, message.imageKey, at);
          await services.runs.finish(message.runId, message.imageKey, { outcome: 'deleted', at });
        }
        return [...messages];
      },
    };
    const invocation = startInvocation(lambdaContext(), { capMs: 29_000 }, { trigger: 'test' });

    // Act
    const applied = await applyReported(plan.planId, invocation, CALLER, {
      ...services,
      queue: lossyQueue,
    });

    // Assess
    expect(applied.unqueued).toEqual([]);
    const done = await services.runs.read(applied.runId);
    expect(done?.run.counts).toMatchObject({ deleted: plan.totals.retire, failed: 0 });
    const failures = (await events()).filter(
      (event) => event.detailType === 'Image Delete Failed' && event.detail.runId === applied.runId,
    );
    expect(failures).toEqual([]);
  });
});
