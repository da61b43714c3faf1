// `cloud-images run` and `apply --resume` in child processes against the emulator, with a plans
// folder of the test's own: `run` shows a run kept in the folder as GET /retirements/runs/{runId}
// answers it (the same handler read over the same folder), for people as its plan, status, counts
// and outcomes; an apply cut short by a signal says how to resume its run, and resuming it leaves
// the outcomes recorded alone, works on the rest as apply does, and completes the run.

import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { exitStatusOfError } from '../../lib/cli/exit-status.js';
import { localStorage } from '../../lib/cli/storage.js';
import type { Plan } from '../../lib/retirement/plan.js';
import { imageKey } from '../../lib/retirement/planner.js';
import type { RunDocument } from '../../lib/retirement/ports.js';
import { lambdaContext, parseResult, routeEvent } from '../../scripts/lambda-events.js';
import { runChild, spawnChild } from '../support/child.js';
import { useFixture } from '../support/fixture.js';
import { bareEnv, cloudImages, launcher } from './cli-child.js';
import { bccPolicyYaml, deletesByImage, retired, useCliFolders } from './cli-folders.js';

const fixture = useFixture({
  emulator: { seed: { bcc: { images: 30, instances: 4 }, random: 7 } },
  demoEnv: false,
});

const folders = useCliFolders(fixture, 'runs');
const { cli } = folders;

const planOf = (maxDeletions = 6): Promise<Plan> => folders.plan(bccPolicyYaml(maxDeletions));

const deletesSent = (): number =>
  fixture.emulator.requests.filter((request) => request.method === 'DELETE').length;

/** What GET /retirements/runs/{runId} answers, its handler keeping runs in `storeDir`. */
const runOverHttp = async (storeDir: string, runId: string) => {
  const { handler } = await fixture.fresh(
    { RETIREMENT_STORE_DIR: storeDir },
    () => import('../../functions/http/get-run.js'),
  );
  return parseResult(
    await handler(
      routeEvent({ method: 'GET', route: '/retirements/runs/{runId}', pathParameters: { runId } }),
      lambdaContext(),
    ),
  );
};

/** The words a POSIX shell reads from a printed command line. */
const shellWords = async (line: string): Promise<string[]> =>
  (await runChild('sh', ['-c', `set -- ${line}; printf '%s\\n' "$@"`])).stdout
    .trimEnd()
    .split('\n');

describe('cloud-images run', () => {
  it('--json is the body GET /retirements/runs/{runId} answers for the same run; for people, its plan, status, counts and every outcome', async () => {
    // Prepare: a finished run with a deleted and a skipped outcome (one image renamed).
    const plan = await planOf();
    const [changed, ...others] = retired(plan);
    if (changed === undefined) throw new Error('the plan retires nothing');
    const record = fixture.emulator.state.bcc.get(changed.id);
    fixture.emulator.state.bcc.set({ ...record, id: changed.id, name: `${changed.name}-renamed` });
    const applied = await cli(['apply', plan.planId, '--yes', '--json']);
    expect(applied.code, applied.stderr).toBe(0);
    const { runId } = applied.json<RunDocument>().run;

    // Act
    const asJson = await cli(['run', runId, '--json']);
    const forPeople = await cli(['run', runId]);
    const overHttp = await runOverHttp(folders.dir, runId);

    // Assess: the route's body exactly; the summary, and a row per outcome.
    expect(overHttp.status).toBe(200);
    expect(asJson.code, asJson.stderr).toBe(0);
    expect(asJson.json()).toEqual(overHttp.body);
    expect(forPeople.code, forPeople.stderr).toBe(0);
    const total = others.length + 1;
    expect(forPeople.stdout).toMatch(
      new RegExp(
        `^run ${runId} of plan ${plan.planId} \\(policy old-bcc-images, bcc\\): completed\\n` +
          `  ${total} of ${total} decisions have an outcome: ${others.length} deleted, 0 already absent, 1 skipped, 0 failed\\n` +
          '  applied by cli:\\S+ at \\S+Z, completed at \\S+Z\\n' +
          'IMAGE +REGION +NAME +OUTCOME +WHY\\n',
      ),
    );
    expect(forPeople.stdout).toMatch(
      new RegExp(
        `^${changed.id} +bj +${changed.name}-renamed +skipped +.*changed since the plan`,
        'm',
      ),
    );
    for (const image of others) {
      expect(forPeople.stdout).toMatch(
        new RegExp(`^${image.id} +bj +${image.name} +deleted$`, 'm'),
      );
    }
    expect(forPeople.stdout.trimEnd().split('\n')).toHaveLength(4 + total);
  });

  it("names an outcome recorded before its image was seen as its plan's decision did, and leaves the name blank once the plan is gone from the folder", async () => {
    // Prepare: one decision, whose every look at its image answers 503: it fails before the
    // image is seen, and its outcome has no image.
    const plan = await planOf(1);
    const [image] = retired(plan);
    if (image === undefined) throw new Error('the plan retires nothing');
    fixture.emulator.faults.inject({
      match: { provider: 'bcc', operation: 'show' },
      times: 10,
      action: { kind: 'status', status: 503 },
    });
    const applied = await cli(['apply', plan.planId, '--yes', '--json'], {
      UPSTREAM_MAX_ATTEMPTS: '1',
    });
    expect(applied.code, applied.stderr).toBe(exitStatusOfError('UpstreamUnavailable'));
    const { run, outcomes } = applied.json<RunDocument>();
    expect(outcomes).toEqual([
      expect.objectContaining({ outcome: 'failed', error: 'UpstreamUnavailable' }),
    ]);
    expect(outcomes[0]?.image).toBeUndefined();

    // Act: shown with its plan in the folder, then without it.
    const withPlan = await cli(['run', run.runId]);
    const asJson = await cli(['run', run.runId, '--json']);
    await rm(join(folders.dir, 'plans', `${plan.planId}.json`));
    const withoutPlan = await cli(['run', run.runId]);

    // Assess: the plan's name for the image; --json the run's body alone; blank, no error, when
    // the plan is gone.
    expect(withPlan.code, withPlan.stderr).toBe(0);
    expect(withPlan.stdout).toMatch(
      new RegExp(`^${image.id} +bj +${image.name} +failed +\\S`, 'm'),
    );
    expect(asJson.code, asJson.stderr).toBe(0);
    expect(asJson.json()).toEqual((await runOverHttp(folders.dir, run.runId)).body);
    expect(withoutPlan.code, withoutPlan.stderr).toBe(0);
    expect(withoutPlan.stdout).toMatch(new RegExp(`^${image.id} +bj +failed +\\S`, 'm'));
  });

  it('a run not in the folder is PlanNotFound naming the folder; a malformed run ID is InvalidRequest', async () => {
    // Act
    const unknown = await cli(['run', 'run-00000000000000000000', '--json']);
    const malformed = await cli(['run', 'run-0', '--json']);
    const overHttp = await runOverHttp(folders.dir, 'run-00000000000000000000');

    // Assess: the statuses of those names, and the route's error code for the unknown one.
    expect(unknown.code).toBe(exitStatusOfError('PlanNotFound'));
    expect(unknown.errorBody().error).toMatchObject({
      code: (overHttp.body as { error: { code: string } }).error.code,
      message: `no run run-00000000000000000000 is stored in ${folders.dir}`,
    });
    expect(malformed.code).toBe(exitStatusOfError('InvalidRequest'));
    expect(malformed.errorBody().error).toMatchObject({
      code: 'INVALID_REQUEST',
      message: "RUN_ID: must be a run id ('run-' and 20 hex digits)",
    });
  });

  it('a malformed configuration is ConfigurationError naming the variable, as the read-run function fails its requests', async () => {
    // Act
    const run = await cli(['run', 'run-00000000000000000000', '--json'], {
      UPSTREAM_RATE_LIMITS: 'bcc=abc',
    });

    // Assess: before, the run was looked for (here PlanNotFound; a stored one shown, exit 0).
    expect(run.code, run.stderr).toBe(exitStatusOfError('ConfigurationError'));
    expect(run.errorBody().error.message).toContain('UPSTREAM_RATE_LIMITS');
  });
});

describe('cloud-images apply --resume', () => {
  it('resumes a run cut short by SIGTERM: recorded outcomes stand, the others get one, nothing is deleted twice, the run completes', async () => {
    // Prepare: the first delete answers; the second is carried out but its reply never comes,
    // and SIGTERM ends the apply while it waits.
    const plan = await planOf();
    const toRetire = retired(plan);
    expect(toRetire.length).toBeGreaterThan(2);
    const deletes = { provider: 'bcc', operation: 'delete' } as const;
    fixture.emulator.faults.inject({ match: deletes, action: { kind: 'latency', ms: 1 } });
    fixture.emulator.faults.inject({
      match: deletes,
      times: 1,
      action: { kind: 'stall', afterHandling: true },
    });
    const apply = spawnChild(
      process.execPath,
      [launcher, '--emulator', fixture.url, 'apply', plan.planId, '--dir', folders.dir, '--yes'],
      { env: bareEnv() },
    );
    while (deletesSent() < 2) await sleep(20);
    process.kill(apply.pid, 'SIGTERM');
    expect(await apply.exited()).toBe('SIGTERM');
    const runId = /run (run-[0-9a-f]{20}) of plan/.exec(apply.output())?.[1] ?? '';
    const printed = /; to resume it: (.*)$/m.exec(apply.output())?.[1] ?? '';
    const cut = (await cli(['run', runId, '--json'])).json<RunDocument>();
    const shown = await cli(['run', runId]);

    // Act: the command it printed, pasted into a shell (with --yes, from a script).
    const [program, ...args] = await shellWords(printed);
    const resumed = await cloudImages([...args, '--yes', '--json']);

    // Assess: the cut run showed running, with how to resume it.
    expect(program).toBe('cloud-images');
    expect(cut.run).toMatchObject({ status: 'running', counts: { deleted: 1 } });
    expect(shown.stdout).toMatch(/: running\n/);
    expect(shown.stdout).toContain(`  if its apply was cut short, to resume it: ${printed}\n`);
    // The same run, completed, an outcome for each decision.
    expect(resumed.code, resumed.stderr).toBe(0);
    const after = resumed.json<RunDocument>();
    expect(after.run).toMatchObject({
      runId,
      planId: plan.planId,
      status: 'completed',
      counts: { deleted: toRetire.length, 'already-absent': 0, skipped: 0, failed: 0 },
    });
    expect(after.outcomes.every((outcome) => outcome.state === 'final')).toBe(true);
    // The outcome recorded before the signal stands as it was.
    const first = cut.outcomes.find((outcome) => outcome.state === 'final');
    expect(first).toBeDefined();
    expect(after.outcomes.find((outcome) => outcome.imageKey === first?.imageKey)).toEqual(first);
    // The decision whose delete went through unanswered is deleted by that attempt, its image as
    // the plan's decision saw it (the resumed apply found it gone and never saw it).
    const earlier = after.outcomes.filter((outcome) =>
      outcome.reason?.startsWith('deleted by an earlier attempt'),
    );
    expect(earlier).toHaveLength(1);
    expect(earlier[0]?.image).toEqual(
      toRetire.find((image) => imageKey(image) === earlier[0]?.imageKey),
    );
    // Each retired image gone, with one DELETE each: none sent again.
    for (const image of toRetire) {
      expect(fixture.emulator.state.bcc.has(image.id), image.id).toBe(false);
      expect(deletesByImage(fixture.emulator).get(image.id), image.id).toBe(1);
    }
    expect(deletesSent()).toBe(toRetire.length);
  });

  it('refuses a run of another plan (InvalidRequest naming --resume and both plans) and a run not in the folder (PlanNotFound); nothing is deleted', async () => {
    // Prepare: a finished run of one plan, and another plan.
    const first = await planOf(1);
    const applied = await cli(['apply', first.planId, '--yes', '--json']);
    expect(applied.code, applied.stderr).toBe(0);
    const { runId } = applied.json<RunDocument>().run;
    const other = await planOf(2);
    const deletes = deletesSent();

    // Act
    const ofAnother = await cli(['apply', other.planId, '--resume', runId, '--yes', '--json']);
    const unknown = await cli([
      'apply',
      other.planId,
      '--resume',
      'run-00000000000000000000',
      '--yes',
      '--json',
    ]);
    const malformed = await cli(['apply', other.planId, '--resume', 'run-0', '--yes', '--json']);

    // Assess
    expect(ofAnother.code).toBe(exitStatusOfError('InvalidRequest'));
    expect(ofAnother.errorBody().error.message).toBe(
      `--resume: run ${runId} is a run of plan ${first.planId}, not of plan ${other.planId}`,
    );
    expect(unknown.code).toBe(exitStatusOfError('PlanNotFound'));
    expect(unknown.errorBody().error.message).toBe(
      `no run run-00000000000000000000 is stored in ${folders.dir}`,
    );
    expect(malformed.code).toBe(exitStatusOfError('InvalidRequest'));
    expect(malformed.errorBody().error.message).toBe(
      "--resume: must be a run id ('run-' and 20 hex digits)",
    );
    expect(deletesSent()).toBe(deletes);
  });

  it("ends with the status of the failure recorded first, not of the first by image key; DeadlineReached's is UpstreamTimeout's, not a bug's", async () => {
    // Prepare: a run of a three-decision plan whose last decision by image key failed first
    // (DeadlineReached: given up on with no time left), the first by key after it (503s), as
    // deliveries of the stack's queue record them in a shared folder; the third has no outcome.
    const plan = await planOf(3);
    const keys = retired(plan)
      .map((image) => imageKey(image))
      .sort();
    const [byKeyFirst, , byKeyLast] = keys;
    if (byKeyFirst === undefined || byKeyLast === undefined)
      throw new Error('the plan retires fewer than 3');
    const { runs } = localStorage(folders.dir);
    const runId = 'run-0123456789abcdef0123';
    await runs.create({
      runId,
      planId: plan.planId,
      provider: 'bcc',
      policyName: plan.policy.name,
      createdAt: '2026-01-01T00:00:00.000Z',
      createdBy: 'cli:someone',
      total: keys.length,
    });
    await runs.finish(runId, byKeyLast, {
      outcome: 'failed',
      error: 'DeadlineReached',
      reason: 'not worked on: its last delivery came with no time left',
      at: '2026-01-01T00:00:01.000Z',
    });
    await runs.finish(runId, byKeyFirst, {
      outcome: 'failed',
      error: 'UpstreamUnavailable',
      reason: 'bcc answered 503',
      at: '2026-01-01T00:00:02.000Z',
    });

    // Act
    const resumed = await cli(['apply', plan.planId, '--resume', runId, '--yes', '--json']);

    // Assess: the third decision was worked on; the status is that of DeadlineReached, recorded
    // first, and the message names it.
    expect(resumed.json<RunDocument>().run).toMatchObject({
      status: 'completed',
      counts: { deleted: 1, failed: 2 },
    });
    expect(resumed.code, resumed.stderr).toBe(exitStatusOfError('UpstreamTimeout'));
    expect(resumed.errorBody().error.message).toMatch(
      /^2 of 3 retire decisions failed \(first: DeadlineReached\); the run record has each reason: /,
    );
  });

  it('resuming a run that completed deletes nothing and prints the run as it was', async () => {
    // Prepare
    const plan = await planOf(2);
    const applied = await cli(['apply', plan.planId, '--yes', '--json']);
    expect(applied.code, applied.stderr).toBe(0);
    const done = applied.json<RunDocument>();
    const deletes = deletesSent();

    // Act
    const resumed = await cli(['apply', plan.planId, '--resume', done.run.runId, '--json']);

    // Assess: no question (nothing is left to do), no delete, the same run.
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.json()).toEqual(done);
    expect(deletesSent()).toBe(deletes);
  });
});
