// `cloud-images run` in child processes against the emulator, with a plans folder of the test's
// own: it shows a run kept in the folder as GET /retirements/runs/{runId} answers it (the same
// handler read over the same folder), for people as its plan, status, counts and outcomes.

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { exitStatusOfError } from '../../lib/cli/exit-status.js';
import { type Plan, planSchema } from '../../lib/retirement/plan.js';
import type { RunDocument } from '../../lib/retirement/ports.js';
import { lambdaContext, parseResult, routeEvent } from '../../scripts/lambda-events.js';
import { useFixture } from '../support/fixture.js';
import { type CliRun, cloudImages } from './cli-child.js';

const fixture = useFixture({
  emulator: { seed: { bcc: { images: 30, instances: 4 }, random: 7 } },
  demoEnv: false,
});

let work: string;
/** A fresh plans folder for each test. */
let dir: string;
let tests = 0;

const POLICY_YAML = `name: old-bcc-images
provider: bcc
regions: [bj]
select:
  olderThanDays: 30
keep:
  newestPerFamily: 1
limits:
  maxDeletions: 6
  maxPercent: 50
`;

const cli = (args: readonly string[], env: Record<string, string> = {}): Promise<CliRun> =>
  cloudImages(['--emulator', fixture.url, ...args, '--dir', dir], env);

const planOf = async (maxDeletions = 6): Promise<Plan> => {
  const policy = join(work, `policy-${tests}-${maxDeletions}.yaml`);
  await writeFile(policy, POLICY_YAML.replace('maxDeletions: 6', `maxDeletions: ${maxDeletions}`));
  const run = await cli(['plan', policy, '--json']);
  expect(run.code, run.stderr).toBe(0);
  return planSchema.parse(run.json());
};

const retired = (plan: Plan) =>
  plan.decisions.filter((decision) => decision.decision === 'retire').map((d) => d.image);

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

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'cloud-images-runs-'));
});

beforeEach(() => {
  tests += 1;
  dir = join(work, `plans-${tests}`);
});

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

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
    const overHttp = await runOverHttp(dir, runId);

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

  it('a run not in the folder is PlanNotFound naming the folder; a malformed run ID is InvalidRequest', async () => {
    // Act
    const unknown = await cli(['run', 'run-00000000000000000000', '--json']);
    const malformed = await cli(['run', 'run-0', '--json']);
    const overHttp = await runOverHttp(dir, 'run-00000000000000000000');

    // Assess: the statuses of those names, and the route's error code for the unknown one.
    expect(unknown.code).toBe(exitStatusOfError('PlanNotFound'));
    expect(unknown.errorBody().error).toMatchObject({
      code: (overHttp.body as { error: { code: string } }).error.code,
      message: `no run run-00000000000000000000 is stored in ${dir}`,
    });
    expect(malformed.code).toBe(exitStatusOfError('InvalidRequest'));
    expect(malformed.errorBody().error).toMatchObject({
      code: 'INVALID_REQUEST',
      message: "runId: must be a run id ('run-' and 20 hex digits)",
    });
  });
});
