// `cloud-images plan` and `apply` in child processes against the emulator, with a policy file and
// a plans folder of the test's own: the plan is the plan operation's (stored, with its report),
// applying retires exactly its retire decisions and looks again before each delete, a second apply
// deletes nothing more, a plan file edited by hand is refused, a plan that could not see everything
// decides nothing, and a delete that keeps failing ends the run with that error's exit status.

import { copyFile, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { exitStatusOfError } from '../../lib/cli/exit-status.js';
import { type Plan, planSchema } from '../../lib/retirement/plan.js';
import { planIdOf } from '../../lib/retirement/plan-id.js';
import { countTotals } from '../../lib/retirement/planner.js';
import type { ImageOutcome, Run } from '../../lib/retirement/ports.js';
import { runChild, spawnChild } from '../support/child.js';
import { eventsPublishedLocally } from '../support/events.js';
import { useFixture } from '../support/fixture.js';
import { bareEnv, type CliRun, cloudImages, launcher } from './cli-child.js';
import { bccPolicyYaml, retired, useCliFolders } from './cli-folders.js';

const fixture = useFixture({
  emulator: { seed: { bcc: { images: 30, instances: 4 }, random: 7 } },
  demoEnv: false,
});

const folders = useCliFolders(fixture, 'retire');
const { cli } = folders;
const POLICY_YAML = bccPolicyYaml(6);

const policyFile = async (text = POLICY_YAML): Promise<string> => {
  const path = join(folders.work, `policy-${folders.tests}.yaml`);
  await writeFile(path, text);
  return path;
};

const planOf = (run: CliRun): Plan => {
  expect(run.code, run.stderr).toBe(0);
  return planSchema.parse(run.json());
};

/** A plan of the policy with its limits at one deletion (the rest deferred `over-limit`). */
const planRetiringOne = async (): Promise<Plan> =>
  planOf(
    await cli([
      'plan',
      await policyFile(POLICY_YAML.replace('maxDeletions: 6', 'maxDeletions: 1')),
      '--json',
    ]),
  );

const deletesSent = (): number =>
  fixture.emulator.requests.filter((request) => request.method === 'DELETE').length;

/** The run journals and run records in the plans folder (none: no run was started). */
const runFilesKept = async (): Promise<string[]> => {
  const kept = async (folder: string) => readdir(join(folders.dir, folder)).catch(() => []);
  return [...(await kept('run-journals')), ...(await kept('runs'))];
};

describe('cloud-images plan', () => {
  it('--json prints the plan, the one stored in the folder with its HTML report beside it', async () => {
    const run = await cli(['plan', await policyFile(), '--json']);

    const plan = planOf(run);
    expect(plan.complete).toBe(true);
    expect(plan.policy.name).toBe('old-bcc-images');
    expect(plan.createdBy).toMatch(/^cli/);
    expect(plan.decisions).toHaveLength(fixture.emulator.state.bcc.size);
    expect(retired(plan).length).toBeGreaterThan(0);
    const stored = JSON.parse(
      await readFile(join(folders.dir, 'plans', `${plan.planId}.json`), 'utf8'),
    );
    expect(stored).toEqual(plan);
    const report = await readFile(join(folders.dir, 'plans', `${plan.planId}.html`), 'utf8');
    expect(report).toContain(plan.planId);
    expect(deletesSent()).toBe(0);
  });

  it('for people: the summary, where the plan and report are, and how to apply it', async () => {
    const run = await cli(['plan', await policyFile()]);

    expect(run.code, run.stderr).toBe(0);
    const planId = /^plan (plan-[0-9a-f]{24}) of policy old-bcc-images \(bcc: bj\)$/m.exec(
      run.stdout,
    )?.[1];
    expect(planId).toBeDefined();
    expect(run.stdout).toMatch(/^ {2}\d+ images: \d+ to retire, \d+ deferred, \d+ kept$/m);
    expect(run.stdout).toContain(`  report: ${join(folders.dir, 'plans', `${planId}.html`)}\n`);
    expect(run.stdout).toContain(
      `  apply:  cloud-images --emulator ${fixture.url} apply ${planId} --dir ${folders.dir}\n`,
    );
  });

  it('the apply command it prints, pasted into a shell, applies that plan: npx in a checkout, an odd folder quoted', async () => {
    // Prepare: a plans folder whose name a shell would split, the command run through npx.
    folders.dir = join(folders.work, `plans ${folders.tests} it's`);
    const run = await cli(['plan', await policyFile()], { npm_command: 'exec' });
    expect(run.code, run.stderr).toBe(0);
    const printed = /^ {2}apply: {2}(.*)$/m.exec(run.stdout)?.[1] ?? '';

    // Act: the words a POSIX shell reads from the printed line, then that command (with --yes).
    const words = await runChild('sh', ['-c', `set -- ${printed}; printf '%s\\n' "$@"`]);
    const [npx, program, ...args] = words.stdout.trimEnd().split('\n');
    const applied = await cloudImages([...(args ?? []), '--yes', '--json']);

    // Assess: npx cloud-images, and the plan applied from the folder the plan was stored in.
    expect([npx, program]).toEqual(['npx', 'cloud-images']);
    expect(args).toContain(folders.dir);
    expect(applied.code, applied.stderr).toBe(0);
    const planId = /^plan (plan-[0-9a-f]{24}) /m.exec(run.stdout)?.[1];
    expect(applied.json<{ run: Run }>().run.planId).toBe(planId);
  });

  it('a policy that is not one is InvalidRequest naming the field; nothing is sent upstream', async () => {
    const noLimits = await cli([
      'plan',
      await policyFile(POLICY_YAML.replace(/limits:[\s\S]*$/, '')),
      '--json',
    ]);
    const missing = await cli(['plan', join(folders.work, 'no-such-policy.yaml'), '--json']);

    expect(noLimits.code).toBe(exitStatusOfError('InvalidRequest'));
    expect(noLimits.errorBody().error.message).toBe('limits: is required');
    expect(missing.code).toBe(exitStatusOfError('InvalidRequest'));
    expect(missing.errorBody().error.message).toMatch(/^policy: cannot read .*no such file/);
    expect(fixture.emulator.requests).toHaveLength(0);
  });

  it('a folder that cannot be written is ConfigurationError naming the settings that chose it (--dir, CLOUD_IMAGES_DIR)', async () => {
    // Prepare: the plans folder is a file.
    await writeFile(folders.dir, 'not a folder');

    // Act
    const run = await cli(['plan', await policyFile(), '--json']);

    // Assess: not RETIREMENT_STORE_DIR, which sends events elsewhere and would not help.
    expect(run.code, run.stderr).toBe(exitStatusOfError('ConfigurationError'));
    const { message } = run.errorBody().error;
    expect(message).toMatch(/--dir.*CLOUD_IMAGES_DIR/);
    expect(message).not.toContain('RETIREMENT_STORE_DIR');
  });

  it('a --dir under a folder that cannot hold folders (/proc) ends at once as ConfigurationError, not a hang', async () => {
    // Prepare: Node's recursive mkdir retries ENOENT there for ever.
    const unmakeable = '/proc/cloud-images-test/state';

    // Act
    const run = await cloudImages([
      '--emulator',
      fixture.url,
      'plan',
      await policyFile(),
      '--json',
      '--dir',
      unmakeable,
    ]);

    // Assess
    expect(run.code, run.stderr).toBe(exitStatusOfError('ConfigurationError'));
    expect(run.errorBody().error.message).toMatch(/--dir.*CLOUD_IMAGES_DIR.*ENOENT/);
  }, 20_000);

  it('CLOUD_IMAGES_DIR set but empty is not set: the plan goes to ./.cloud-images, not into ./plans', async () => {
    // Prepare: a working folder of this test's own.
    const here = join(folders.work, `cwd-${folders.tests}`);
    await mkdir(here);

    // Act
    const run = await cloudImages(
      ['--emulator', fixture.url, 'plan', await policyFile(), '--json'],
      { CLOUD_IMAGES_DIR: '' },
      here,
    );

    // Assess
    const plan = planOf(run);
    expect(await readdir(here)).toEqual(['.cloud-images']);
    expect(await readdir(join(here, '.cloud-images', 'plans'))).toContain(`${plan.planId}.json`);
  });

  it('a plan that could not read everything in time decides nothing and ends as UpstreamTimeout', async () => {
    fixture.emulator.seed({ bcc: { images: 3_000 }, random: 7 });
    fixture.emulator.faults.inject({
      match: { provider: 'bcc', operation: 'list-images' },
      times: 10,
      action: { kind: 'latency', ms: 700 },
    });

    const run = await cli(['plan', await policyFile(), '--json'], {
      CLOUD_IMAGES_TIMEOUT_MS: '2600',
    });

    expect(run.code).toBe(exitStatusOfError('UpstreamTimeout'));
    const plan = planSchema.parse(run.json());
    expect(plan.complete).toBe(false);
    expect(plan.decisions).toEqual([]);
    expect(run.errorBody().error.message).toMatch(/^the plan is incomplete and decides nothing/);
  });
});

describe('cloud-images apply', () => {
  it('retires exactly the retire decisions, prints the run, and a second apply deletes nothing more', async () => {
    const plan = planOf(await cli(['plan', await policyFile(), '--json']));
    const toRetire = retired(plan);

    const first = await cli(['apply', plan.planId, '--yes', '--json']);
    const deletes = deletesSent();
    const again = await cli(['apply', plan.planId, '--yes', '--json']);

    expect(first.code, first.stderr).toBe(0);
    const run = first.json<{ run: Run; outcomes: ImageOutcome[] }>();
    expect(run.run).toMatchObject({
      planId: plan.planId,
      total: toRetire.length,
      status: 'completed',
    });
    expect(run.run.counts.deleted).toBe(toRetire.length);
    for (const image of toRetire)
      expect(fixture.emulator.state.bcc.has(image.id), image.id).toBe(false);
    const kept = plan.decisions.filter((decision) => decision.decision !== 'retire');
    for (const { image } of kept)
      expect(fixture.emulator.state.bcc.has(image.id), image.id).toBe(true);
    const record = JSON.parse(
      await readFile(join(folders.dir, 'runs', `${run.run.runId}.json`), 'utf8'),
    ) as unknown;
    expect(record).toEqual(run);

    expect(again.code, again.stderr).toBe(0);
    expect(again.json<{ run: Run }>().run.counts).toEqual({
      deleted: 0,
      'already-absent': toRetire.length,
      skipped: 0,
      failed: 0,
    });
    expect(deletesSent()).toBe(deletes);
  });

  it('plan and apply publish their events as the service does, where the configuration sends events', async () => {
    // Prepare: events to a local folder, as RETIREMENT_STORE_DIR says.
    const events = join(folders.work, `events-${folders.tests}`);
    const env = { RETIREMENT_STORE_DIR: events };

    // Act
    const plan = planOf(await cli(['plan', await policyFile(), '--json'], env));
    const applied = await cli(['apply', plan.planId, '--yes', '--json'], env);

    // Assess: the plan, one outcome per retire decision, the run's completion.
    expect(applied.code, applied.stderr).toBe(0);
    const { run } = applied.json<{ run: Run }>();
    const published = await eventsPublishedLocally(events);
    const retire = retired(plan).length;
    expect(published.map((event) => event.detailType)).toEqual([
      'Retirement Planned',
      ...Array(retire).fill('Image Deleted'),
      'Retirement Run Completed',
    ]);
    expect(published[0]?.detail).toMatchObject({ planId: plan.planId, trigger: 'cli' });
    for (const event of published.slice(1, -1)) {
      expect(event.detail).toMatchObject({ trigger: 'run', runId: run.runId, outcome: 'deleted' });
    }
    expect(published.at(-1)?.detail).toMatchObject({
      runId: run.runId,
      counts: { deleted: retire },
    });
  });

  it('skips an image that changed since the plan, and says why', async () => {
    const plan = planOf(await cli(['plan', await policyFile(), '--json']));
    const [changed, ...others] = retired(plan);
    if (changed === undefined) throw new Error('the plan retires nothing');
    const record = fixture.emulator.state.bcc.get(changed.id);
    fixture.emulator.state.bcc.set({ ...record, id: changed.id, name: `${changed.name}-renamed` });

    const run = await cli(['apply', plan.planId, '--yes']);

    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(
      new RegExp(`: ${others.length} deleted, 0 already absent, 1 skipped, 0 failed$`, 'm'),
    );
    expect(run.stdout).toMatch(
      new RegExp(`^${changed.id} +bj +${changed.name} +skipped +.*changed since the plan`, 'm'),
    );
    expect(fixture.emulator.state.bcc.has(changed.id)).toBe(true);
  });

  it('from a script without --yes it refuses (exit 2) and deletes nothing', async () => {
    const plan = planOf(await cli(['plan', await policyFile(), '--json']));

    const run = await cli(['apply', plan.planId]);

    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^UsageError: apply asks for confirmation/);
    expect(deletesSent()).toBe(0);
  });

  it('a plan file refused from a script without --yes is not kept: the folder is left as it was', async () => {
    // Prepare: the plan as a file outside the folder, and a folder apply has not used yet.
    const plan = planOf(await cli(['plan', await policyFile(), '--json']));
    const copy = join(folders.work, `unasked-${folders.tests}.json`);
    await copyFile(join(folders.dir, 'plans', `${plan.planId}.json`), copy);
    folders.dir = join(folders.work, `untouched-${folders.tests}`);

    // Act
    const run = await cli(['apply', copy]);

    // Assess: refused before the question, as a "no" there: nothing deleted, nothing stored (the
    // plan is kept in the folder once its run starts).
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^UsageError: apply asks for confirmation/);
    expect(deletesSent()).toBe(0);
    expect(await readdir(folders.dir).catch(() => 'no folder')).toBe('no folder');
  });

  it('a CLOUD_IMAGES_TIMEOUT_MS too short for any apply is ConfigurationError naming it and the least it takes; no run is started', async () => {
    // Prepare
    const plan = planOf(await cli(['plan', await policyFile(), '--json']));

    // Act
    const run = await cli(['apply', plan.planId, '--yes', '--json'], {
      CLOUD_IMAGES_TIMEOUT_MS: '1500',
    });

    // Assess: refused before a run was started (no journal, no run), nothing deleted.
    expect(run.code, run.stderr).toBe(exitStatusOfError('ConfigurationError'));
    // The words say what it needs, not the value (a ConfigurationError never carries one).
    expect(run.errorBody().error.message).toMatch(
      /CLOUD_IMAGES_TIMEOUT_MS: apply needs at least 2\d{3} ms \(1\d{3} of them are kept for publishing its events\)$/,
    );
    expect(deletesSent()).toBe(0);
    expect(await runFilesKept()).toEqual([]);
  });

  it('a malformed configuration (UPSTREAM_RATE_LIMITS) is ConfigurationError before a run is started or anything sent', async () => {
    // Prepare
    const plan = planOf(await cli(['plan', await policyFile(), '--json']));
    const before = fixture.emulator.requests.length;

    // Act
    const run = await cli(['apply', plan.planId, '--yes', '--json'], {
      UPSTREAM_RATE_LIMITS: 'bcc=0',
    });

    // Assess: before, it deleted every retire decision with exit 0.
    expect(run.code, run.stderr).toBe(exitStatusOfError('ConfigurationError'));
    expect(run.errorBody().error.message).toContain('UPSTREAM_RATE_LIMITS');
    expect(fixture.emulator.requests.length).toBe(before);
    expect(await runFilesKept()).toEqual([]);
  });

  it('paces its upstream requests to UPSTREAM_RATE_LIMITS, as the queue consumer does', async () => {
    // Prepare: 10 requests a second to BCC, so each starts at least 100 ms after the one before.
    const plan = planOf(await cli(['plan', await policyFile(), '--json']));
    const before = fixture.emulator.requests.length;

    // Act
    const run = await cli(['apply', plan.planId, '--yes', '--json'], {
      UPSTREAM_RATE_LIMITS: 'bcc=10',
    });

    // Assess: before, every request went at once (the exploratory test saw 60 deletes a second).
    expect(run.code, run.stderr).toBe(0);
    const times = fixture.emulator.requests
      .slice(before)
      .filter((request) => request.provider === 'bcc')
      .map((request) => Date.parse(request.time));
    expect(times.length).toBeGreaterThan(retired(plan).length);
    // Each request is recorded on arrival, some milliseconds after the pacer let it start (the
    // first one's connection, on a loaded machine, up to tens of them): the whole span is what the
    // pacing guarantees (n requests, n - 1 intervals of 100 ms), less that slack. Unpaced, the
    // same requests arrived within about 100 ms.
    const span = Math.max(...times) - Math.min(...times);
    expect(span).toBeGreaterThanOrEqual((times.length - 1) * 100 - 250);
  });

  it('applies a plan file, and refuses one edited by hand', async () => {
    const plan = planOf(await cli(['plan', await policyFile(), '--json']));
    const copy = join(folders.work, `copy-${folders.tests}.json`);
    await copyFile(join(folders.dir, 'plans', `${plan.planId}.json`), copy);
    const edited = join(folders.work, `edited-${folders.tests}.json`);
    const widened: Plan = {
      ...plan,
      decisions: plan.decisions.map((decision) =>
        decision.image.kind === 'custom' ? { ...decision, decision: 'retire' } : decision,
      ),
    };
    await writeFile(edited, JSON.stringify(widened));

    const refused = await cli(['apply', edited, '--yes', '--json']);
    const applied = await cli(['apply', copy, '--yes', '--json']);

    expect(refused.code).toBe(exitStatusOfError('InvalidRequest'));
    expect(refused.errorBody().error.message).toMatch(/has been altered since it was made/);
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.json<{ run: Run }>().run.counts.deleted).toBe(retired(plan).length);
  });

  it('refuses a stored plan edited by hand (a decision widened, or its totals lowered to skip the prompt)', async () => {
    // Prepare: two plans in the folder, one with a decision widened, one with totals.retire 0.
    const stored = (planId: string) => join(folders.dir, 'plans', `${planId}.json`);
    const widenedPlan = planOf(await cli(['plan', await policyFile(), '--json']));
    const keep = widenedPlan.decisions.findIndex((decision) => decision.decision === 'keep');
    const widened: Plan = {
      ...widenedPlan,
      decisions: widenedPlan.decisions.map((decision, index) =>
        index === keep ? { ...decision, decision: 'retire', reason: 'retire' } : decision,
      ),
    };
    await writeFile(stored(widened.planId), JSON.stringify(widened));
    const lowered = planOf(
      await cli([
        'plan',
        await policyFile(POLICY_YAML.replace('maxDeletions: 6', 'maxDeletions: 2')),
        '--json',
      ]),
    );
    await writeFile(
      stored(lowered.planId),
      JSON.stringify({ ...lowered, totals: { ...lowered.totals, retire: 0 } }),
    );

    // Act
    const byIdWidened = await cli(['apply', widened.planId, '--yes', '--json']);
    const byIdLowered = await cli(['apply', lowered.planId]);

    // Assess
    expect(byIdWidened.code).toBe(exitStatusOfError('InvalidRequest'));
    expect(byIdWidened.errorBody().error.message).toMatch(
      /altered since it was made \(its policy or decisions/,
    );
    expect(byIdLowered.code).toBe(exitStatusOfError('InvalidRequest'));
    expect(byIdLowered.stderr).toMatch(/its totals do not match its decisions/);
    expect(deletesSent()).toBe(0);
  });

  it('refuses a plan file widened with its digest and totals made anew: its decisions are not its policy\u2019s', async () => {
    // Prepare: a plan whose limits defer some images; a copy with those turned `retire`, its ID
    // and totals computed again by the published recipe.
    const plan = await planRetiringOne();
    const decisions = plan.decisions.map((decision) =>
      decision.reason === 'over-limit'
        ? { ...decision, decision: 'retire' as const, reason: 'retire' as const }
        : decision,
    );
    expect(decisions.filter((decision) => decision.decision === 'retire').length).toBeGreaterThan(
      1,
    );
    const forged: Plan = {
      ...plan,
      decisions,
      totals: countTotals(decisions),
      planId: planIdOf(plan.policy, decisions),
    };
    const file = join(folders.work, `forged-${folders.tests}.json`);
    await writeFile(file, JSON.stringify(forged));

    // Act
    const run = await cli(['apply', file, '--yes', '--json']);

    // Assess
    expect(run.code, run.stderr).toBe(exitStatusOfError('InvalidRequest'));
    expect(run.errorBody().error.message).toMatch(/where its policy gives over-limit/);
    expect(deletesSent()).toBe(0);
  });

  it('a run record that cannot be written ends apply with that error (it does not deliver again for ever)', async () => {
    // Prepare: a plan of one decision; then <dir>/runs is a stray file, not a folder.
    const plan = await planRetiringOne();
    await writeFile(join(folders.dir, 'runs'), 'not a folder');

    // Act
    const run = await cli(['apply', plan.planId, '--yes', '--json']);

    // Assess: the command ends, with the store's error and its exit status.
    expect(run.code, run.stderr).toBe(exitStatusOfError('ConfigurationError'));
    expect(run.errorBody().error).toMatchObject({
      code: 'CONFIGURATION_ERROR',
      message: expect.stringMatching(/stopped after 0 of 1 decisions/),
    });
  });

  it('SIGTERM while it retires ends it there, with two lines on stderr: the run, its outcomes so far, where it is kept, how to resume it', async () => {
    // Prepare: a plan retiring several images; the first delete answers, the second never does.
    const plan = planOf(await cli(['plan', await policyFile(), '--json']));
    const total = retired(plan).length;
    expect(total).toBeGreaterThan(1);
    const deletes = { provider: 'bcc', operation: 'delete' } as const;
    fixture.emulator.faults.inject({ match: deletes, action: { kind: 'latency', ms: 1 } });
    fixture.emulator.faults.inject({ match: deletes, times: 10, action: { kind: 'stall' } });
    const apply = spawnChild(
      process.execPath,
      [launcher, '--emulator', fixture.url, 'apply', plan.planId, '--dir', folders.dir, '--yes'],
      { env: bareEnv() },
    );
    // The second delete sent: the first decision's outcome is recorded.
    while (deletesSent() < 2) await sleep(20);

    // Act
    process.kill(apply.pid, 'SIGTERM');

    // Assess: ended by the signal as before, after saying how far the run got.
    expect(await apply.exited()).toBe('SIGTERM');
    const [journal] = await readdir(join(folders.dir, 'run-journals'));
    const runId = journal?.replace(/\.jsonl$/, '');
    expect(apply.output()).toBe(
      `apply interrupted (SIGTERM): run ${runId} of plan ${plan.planId} has an outcome for 1 of ${total} decisions (1 deleted, 0 already absent, 0 skipped, 0 failed); the others have none and the run stays running\n` +
        `  its journal: ${join(folders.dir, 'run-journals', `${runId}.jsonl`)}; to resume it: cloud-images --emulator ${fixture.url} apply ${plan.planId} --resume ${runId} --dir ${folders.dir}\n`,
    );
    expect(deletesSent()).toBe(2);
  });

  it('a plan ID not in the folder is PlanNotFound', async () => {
    const run = await cli(['apply', 'plan-000000000000000000000000', '--yes', '--json']);

    expect(run.code).toBe(exitStatusOfError('PlanNotFound'));
    expect(run.errorBody().error.code).toBe('PLAN_NOT_FOUND');
  });

  it('a delete that failed, then an image changed before the next delivery: skipped, as the stack would record it, and the command ends well', async () => {
    // Prepare: one decision; its first DELETE answers 503 (one attempt); the image is renamed
    // while the command waits to deliver it again (the reply of that DELETE said nothing of it).
    const plan = await planRetiringOne();
    const [image] = retired(plan);
    if (image === undefined) throw new Error('the plan retires nothing');
    fixture.emulator.faults.inject({
      match: { provider: 'bcc', operation: 'delete' },
      action: { kind: 'status', status: 503 },
    });
    const renameAfterTheDelete = setInterval(() => {
      if (deletesSent() === 0) return;
      clearInterval(renameAfterTheDelete);
      const record = fixture.emulator.state.bcc.get(image.id);
      fixture.emulator.state.bcc.set({ ...record, id: image.id, name: `${image.name}-renamed` });
    }, 5);

    // Act
    const run = await cli(['apply', plan.planId, '--yes', '--json'], {
      UPSTREAM_MAX_ATTEMPTS: '1',
    }).finally(() => clearInterval(renameAfterTheDelete));

    // Assess: the decision's outcome is recorded (no crash over the delete it noted sending).
    expect(run.code, run.stderr).toBe(0);
    const body = run.json<{ run: Run; outcomes: ImageOutcome[] }>();
    expect(body.run).toMatchObject({ status: 'completed', counts: { skipped: 1 } });
    expect(body.outcomes[0]).toMatchObject({ outcome: 'skipped', error: 'ImageChanged' });
    expect(fixture.emulator.state.bcc.has(image.id)).toBe(true);
  });

  it('a delete that keeps failing is recorded failed and the run ends with its exit status', async () => {
    const plan = await planRetiringOne();
    const [image] = retired(plan);
    if (image === undefined) throw new Error('the plan retires nothing');
    fixture.emulator.faults.inject({
      match: { provider: 'bcc', operation: 'delete' },
      times: 10,
      action: { kind: 'status', status: 503 },
    });

    const run = await cli(['apply', plan.planId, '--yes', '--json'], {
      UPSTREAM_MAX_ATTEMPTS: '1',
    });

    expect(run.code).toBe(exitStatusOfError('UpstreamUnavailable'));
    const body = run.json<{ run: Run; outcomes: ImageOutcome[] }>();
    expect(body.run.counts.failed).toBe(1);
    expect(body.outcomes[0]).toMatchObject({ outcome: 'failed', error: 'UpstreamUnavailable' });
    // Delivered as often as the stack's queue would before giving up.
    expect(deletesSent()).toBe(3);
    expect(fixture.emulator.state.bcc.has(image.id)).toBe(true);
  });

  it('once its time is up, each decision left is recorded failed at once, not after pauses between deliveries', async () => {
    // Prepare: six retire decisions, and each look at an image slower than the time apply has.
    const plan = planOf(await cli(['plan', await policyFile(), '--json']));
    expect(retired(plan)).toHaveLength(6);
    fixture.emulator.faults.inject({
      match: { provider: 'bcc', operation: 'show' },
      times: 100,
      action: { kind: 'latency', ms: 700 },
    });

    // Act: 1,100 ms of work (2,600 less the 1,500 kept for its events).
    const run = await cli(['apply', plan.planId, '--yes', '--json'], {
      CLOUD_IMAGES_TIMEOUT_MS: '2600',
    });

    // Assess: the decisions it had no time for are failed as UpstreamTimeout, and the run ends
    // soon after the time is up (it paused 1.5 s per such decision, as if another delivery could
    // still work on it).
    expect(run.code, run.stderr).toBe(exitStatusOfError('UpstreamTimeout'));
    const body = run.json<{ run: Run; outcomes: ImageOutcome[] }>();
    expect(body.run.status).toBe('completed');
    expect(body.run.counts.failed).toBeGreaterThanOrEqual(4);
    const took = Date.parse(body.run.completedAt ?? '') - Date.parse(body.run.createdAt);
    expect(took).toBeLessThan(5_000);
  });
});
