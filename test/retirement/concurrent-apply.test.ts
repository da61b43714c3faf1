// One plan applied several times at the same moment (two HTTP calls, and a schedule firing of the
// same policy with "apply": "auto", delivered twice), then the queue worked off: each image the
// plan retires is deleted once and nothing else is, and every run ends with one outcome per
// decision and one completion. Through the real handlers on the local stores and queue, against
// the emulator.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Context } from 'aws-lambda';
import { afterAll, describe, expect, it } from 'vitest';
import { handler as applyHandler } from '../../functions/http/apply-plan.js';
import { handler as createHandler } from '../../functions/http/create-plan.js';
import { handler as getRunHandler } from '../../functions/http/get-run.js';
import { handler as scheduleHandler } from '../../functions/schedule/plan-policy.js';
import type { Plan } from '../../lib/retirement/plan.js';
import type { RunDocument } from '../../lib/retirement/ports.js';
import { lambdaContext, parseResult, routeEvent } from '../../scripts/lambda-events.js';
import { drainLocalQueue } from '../../scripts/local-queue.js';
import { eventsPublishedLocally } from '../support/events.js';
import { useFixture } from '../support/fixture.js';
import { retiringUnsharedBcc } from './fixtures.js';

const store = await mkdtemp(join(tmpdir(), 'cif-concurrent-apply-'));
const RETIRE = 6;

const fixture = useFixture({
  emulator: { seed: { bcc: { images: 120, instances: 10 }, random: 17 } },
  env: { RETIREMENT_STORE_DIR: store, UPSTREAM_RETRY_BASE_MS: '5' },
});

afterAll(async () => {
  await rm(store, { recursive: true, force: true });
});

const httpApply = async (planId: string): Promise<string> => {
  const accepted = parseResult(
    await applyHandler(
      routeEvent({
        method: 'POST',
        route: '/retirements/plans/{planId}/apply',
        pathParameters: { planId },
      }),
      lambdaContext(),
    ),
  );
  expect(accepted.status).toBe(202);
  return (accepted.body as { runId: string }).runId;
};

const runOf = async (runId: string): Promise<RunDocument> =>
  parseResult(
    await getRunHandler(
      routeEvent({ method: 'GET', route: '/retirements/runs/{runId}', pathParameters: { runId } }),
      lambdaContext(),
    ),
  ).body as unknown as RunDocument;

describe('one plan applied several times at once', () => {
  it('deletes each retired image once and nothing else; every run ends with one outcome per decision', async () => {
    // Prepare: a plan of a policy that a schedule also applies; the emulator's images before.
    const policy = {
      ...retiringUnsharedBcc('applied-at-once', RETIRE, fixture.emulator.state.bcc),
      schedule: 'cron(0 3 ? * MON *)',
      apply: 'auto',
    };
    const created = parseResult(
      await createHandler(
        routeEvent({ method: 'POST', route: '/retirements/plans', body: policy }),
        lambdaContext(),
      ),
    );
    const plan = created.body as unknown as Plan;
    const retired = plan.decisions
      .filter((decision) => decision.decision === 'retire')
      .map((decision) => decision.image.id);
    expect(retired).toHaveLength(RETIRE);
    const before = fixture.emulator.state.bcc.list().map((record) => record.id);
    const firing = { policy, identity: 'schedule-role', scheduledTime: '2025-06-02T03:00:00Z' };
    const fire = () =>
      (scheduleHandler as (event: unknown, context: Context) => Promise<{ runId?: string }>)(
        firing,
        lambdaContext(),
      );

    // Act: two HTTP applies and the firing delivered twice, at once; then the queue.
    const [first, second, firedOnce, firedTwice] = await Promise.all([
      httpApply(plan.planId),
      httpApply(plan.planId),
      fire(),
      fire(),
    ]);
    await drainLocalQueue({ dir: store });

    // Assess: one run per apply and one per firing; each retired image deleted once, no other.
    expect(firedOnce.runId).toBeDefined();
    expect(firedTwice.runId).toBe(firedOnce.runId);
    const runIds = [first, second, String(firedOnce.runId)];
    expect(new Set(runIds).size).toBe(3);
    for (const id of before) {
      expect(fixture.emulator.state.deleteCount('bcc', id), id).toBe(retired.includes(id) ? 1 : 0);
    }
    const runs = await Promise.all(runIds.map(runOf));
    let deleted = 0;
    for (const { run, outcomes } of runs) {
      expect(run).toMatchObject({ status: 'completed', total: RETIRE });
      expect(outcomes.map((outcome) => outcome.state)).toEqual(Array(RETIRE).fill('final'));
      expect(run.counts.skipped + run.counts.failed).toBe(0);
      deleted += run.counts.deleted;
    }
    expect(deleted, 'each image deleted by one run').toBe(RETIRE);
    const events = await eventsPublishedLocally(store);
    for (const runId of runIds) {
      const ofRun = events.filter((event) => event.detail.runId === runId);
      expect(ofRun.filter((event) => event.detailType === 'Retirement Run Completed')).toHaveLength(
        1,
      );
      expect(ofRun.filter((event) => event.detailType === 'Image Deleted')).toHaveLength(RETIRE);
    }
  });
});
