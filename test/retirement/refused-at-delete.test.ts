// A retire decision whose image may no longer be deleted when its message is worked on: what the
// plan saw is checked again just before the delete (status, name and update time), and a refusal
// of the image's state, ours or the cloud's, is `skipped`, not `failed`: nothing to try again.
// Through the real handlers on the local stores and the local queue, against the emulator
// (ModelArts, whose images carry an update time).

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEMO_MODELARTS, SEEDED } from '../../emulator/demo.js';
import { handler as applyHandler } from '../../functions/http/apply-plan.js';
import { handler as createHandler } from '../../functions/http/create-plan.js';
import { handler as getRunHandler } from '../../functions/http/get-run.js';
import type { Plan } from '../../lib/retirement/plan.js';
import type { RunDocument } from '../../lib/retirement/ports.js';
import { lambdaContext, parseResult, routeEvent } from '../../scripts/lambda-events.js';
import { drainLocalQueue } from '../../scripts/local-queue.js';
import { useFixture } from '../support/fixture.js';
import { colleagueNotebook } from '../support/sample-notebook.js';

const store = await mkdtemp(join(tmpdir(), 'cif-refused-at-delete-'));

const fixture = useFixture({
  env: { RETIREMENT_STORE_DIR: store, UPSTREAM_RETRY_BASE_MS: '5' },
});

afterAll(async () => {
  await rm(store, { recursive: true, force: true });
});

const CUSTOM = SEEDED.modelarts.custom;
const KEY = `${DEMO_MODELARTS.region}/${CUSTOM}`;

/** A plan retiring the seeded ModelArts custom image; its run applied, its message queued. */
const appliedRun = async (): Promise<string> => {
  const created = parseResult(
    await createHandler(
      routeEvent({
        method: 'POST',
        route: '/retirements/plans',
        body: {
          name: 'refused-at-delete',
          provider: 'modelarts',
          regions: [DEMO_MODELARTS.region],
          select: { kind: 'custom', status: ['available'] },
          limits: { maxDeletions: 10, maxPercent: 100 },
        },
      }),
      lambdaContext(),
    ),
  );
  expect(created.status).toBe(201);
  const plan = created.body as unknown as Plan;
  expect(
    plan.decisions.find((decision) => decision.image.id === CUSTOM)?.decision,
    'the seeded custom image is retired by the plan',
  ).toBe('retire');
  const accepted = parseResult(
    await applyHandler(
      routeEvent({
        method: 'POST',
        route: '/retirements/plans/{planId}/apply',
        pathParameters: { planId: plan.planId },
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

const seededCustom = () => {
  const record = fixture.emulator.state.modelarts.get(CUSTOM);
  if (record === undefined) throw new Error(`emulator has no seeded image ${CUSTOM}`);
  return record;
};

describe('a retire decision whose image changed or is refused when its message is worked on', () => {
  it('is `skipped` (ImageChanged) when only its update time moved since the plan: it is not deleted', async () => {
    // Prepare: the image updated after the plan (same status, same name).
    const runId = await appliedRun();
    const record = seededCustom();
    fixture.emulator.state.modelarts.set({
      ...record,
      update_at: Number(record.update_at ?? record.create_at) + 60_000,
    });

    // Act
    await drainLocalQueue({ dir: store });

    // Assess
    const run = await runOf(runId);
    expect(run.outcomes.find((outcome) => outcome.imageKey === KEY)).toMatchObject({
      outcome: 'skipped',
      error: 'ImageChanged',
    });
    expect(fixture.emulator.state.deleteCount('modelarts', CUSTOM)).toBe(0);
  });

  it('is `skipped` (ImageBusy), not ImageChanged, when it came into use since the plan', async () => {
    // Prepare: a notebook starts using the image after the plan (the image itself is unchanged).
    const runId = await appliedRun();
    fixture.emulator.state.notebooks.set(colleagueNotebook(CUSTOM));

    // Act
    await drainLocalQueue({ dir: store });

    // Assess: refused as in use (plan again changes nothing while it is), and kept.
    const run = await runOf(runId);
    expect(run.outcomes.find((outcome) => outcome.imageKey === KEY)).toMatchObject({
      outcome: 'skipped',
      error: 'ImageBusy',
    });
    expect(fixture.emulator.state.modelarts.has(CUSTOM)).toBe(true);
  });

  it('is `skipped` (ImageProtected), not `failed`, when the cloud refuses to delete the image', async () => {
    // Prepare: ModelArts refuses the delete with a 403 it does not document (IMAGE_PROTECTED).
    const runId = await appliedRun();
    fixture.emulator.faults.inject({
      match: { method: 'DELETE', imageId: CUSTOM },
      action: {
        kind: 'status',
        status: 403,
        body: { error_code: 'ModelArts.6999', error_msg: 'the image is locked' },
      },
    });

    // Act
    await drainLocalQueue({ dir: store });

    // Assess: one outcome, a refusal of the image's state (not a failure to try again).
    const run = await runOf(runId);
    expect(run.outcomes.find((outcome) => outcome.imageKey === KEY)).toMatchObject({
      outcome: 'skipped',
      error: 'ImageProtected',
    });
    expect(run.run.counts.failed).toBe(0);
    expect(fixture.emulator.state.modelarts.has(CUSTOM)).toBe(true);
  });
});
