// The check a run message passes before the delete queue's consumer works on it, against the
// stores the stack uses (S3 plans and DynamoDB runs, as moto serves them): a genuine message of a
// 10,000-decision plan passes, and its plan is read once per process however many messages are
// checked (at once or one after the other); a message that is not exactly what apply queued is
// refused, naming what differs; a plan or run that could not be read, or that was refused, is read
// again by the next check; only the last few plans are kept. A plan whose decisions are still those
// its ID was made from but that no longer passes its check (made by an earlier version of the
// planner) gives its genuine messages a failure to record (UnverifiablePlan); one whose decisions
// are not its ID's refuses them all.

import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidRequest, StoreUnavailable } from '../../lib/errors/errors.js';
import { newRunId, runMessageOf } from '../../lib/retirement/apply-plan.js';
import type { Plan } from '../../lib/retirement/plan.js';
import { planIdOf } from '../../lib/retirement/plan-id.js';
import { UnverifiablePlan } from '../../lib/retirement/plan-integrity.js';
import { imageKey, planRetirement } from '../../lib/retirement/planner.js';
import type { PlanStore, RunMessage, RunStore } from '../../lib/retirement/ports.js';
import { createRunMessageCheck } from '../../lib/retirement/run-message-check.js';
import { dynamoRunStore } from '../../lib/stores/dynamodb-run-store.js';
import { planKey, s3PlanStore } from '../../lib/stores/plan-store.js';
import { createRunsTable } from '../../scripts/runs-table.js';
import { useFixture } from '../support/fixture.js';
import { motoClientConfig, skipWithoutMoto } from '../support/moto.js';
import { daysAgo, modelartsImage, planInput, policyOf } from './fixtures.js';

const DECISIONS = 10_000;
const CALLER = 'arn:aws:iam::123456789012:user/approver';

/** A plan retiring `count` ModelArts images (no limit binds, no family keeps any). */
const retiringPlan = (count: number, name = 'check-test'): Plan =>
  planRetirement(
    planInput(
      policyOf({ name }),
      Array.from({ length: count }, (_, index) =>
        modelartsImage({ name: `train-${name}-${index}`, createdAt: daysAgo(400) }),
      ),
      { createdBy: CALLER },
    ),
  );

/** The messages apply queues for the plan's retire decisions in this run. */
const messagesOf = (plan: Plan, runId: string): RunMessage[] =>
  plan.decisions
    .filter((decision) => decision.decision === 'retire')
    .map((decision) =>
      runMessageOf(decision.image, {
        planId: plan.planId,
        runId,
        force: plan.policy.force === true,
        identity: CALLER,
      }),
    );

/** The store, counting its reads; `failReads` makes the next reads fail as a throttled S3 does. */
const countingPlans = (store: PlanStore) => {
  const counted = { reads: 0, failReads: 0 };
  const plans: PlanStore = {
    ...store,
    get: async (planId) => {
      counted.reads += 1;
      if (counted.failReads > 0) {
        counted.failReads -= 1;
        throw new StoreUnavailable('Could not read from the plans bucket (PLANS_BUCKET) for now');
      }
      return store.get(planId);
    },
  };
  return { plans, counted };
};

const countingRuns = (store: RunStore) => {
  const counted = { reads: 0 };
  const runs: RunStore = {
    ...store,
    readRun: (runId) => {
      counted.reads += 1;
      return store.readRun(runId);
    },
  };
  return { runs, counted };
};

/** The error a check ends with (undefined when it passes). */
const refusalOf = (check: Promise<unknown>): Promise<Error | undefined> =>
  check.then(
    () => undefined,
    (error: unknown) => error as Error,
  );

describe.skipIf(skipWithoutMoto('run message check'))(
  'the run message check (moto S3, DynamoDB)',
  () => {
    const fixture = useFixture({ emulator: false, moto: true });
    let s3: S3Client;
    let dynamodb: DynamoDBClient;
    let bucket: string;
    let plans: PlanStore;
    let runs: RunStore;

    beforeAll(async () => {
      const config = motoClientConfig(fixture.moto.endpoint);
      s3 = new S3Client({ ...config, forcePathStyle: true });
      dynamodb = new DynamoDBClient(config);
      const suffix = randomUUID().slice(0, 8);
      bucket = `plans-${suffix}`;
      await s3.send(new CreateBucketCommand({ Bucket: bucket }));
      await createRunsTable(dynamodb, `runs-${suffix}`);
      plans = s3PlanStore({ bucket, client: s3 });
      runs = dynamoRunStore({ table: `runs-${suffix}`, client: dynamodb });
    });

    afterAll(() => {
      s3?.destroy();
      dynamodb?.destroy();
    });

    /** The plan stored and a run of it created, as apply does. */
    const applied = async (plan: Plan): Promise<string> => {
      await plans.put(plan);
      const runId = newRunId();
      await runs.create({
        runId,
        planId: plan.planId,
        provider: plan.policy.provider,
        policyName: plan.policy.name,
        createdAt: new Date().toISOString(),
        createdBy: CALLER,
        total: plan.totals.retire,
      });
      return runId;
    };

    it(`reads a ${DECISIONS.toLocaleString('en')}-decision plan once per process, not once per message`, async () => {
      // Prepare: the plan stored, its run created, every message apply would queue.
      const plan = retiringPlan(DECISIONS);
      expect(plan.totals.retire).toBe(DECISIONS);
      const runId = await applied(plan);
      const messages = messagesOf(plan, runId);
      const store = countingPlans(plans);
      const runStore = countingRuns(runs);
      const check = createRunMessageCheck({ plans: store.plans, runs: runStore.runs });

      // Act: the first ten at once (a batch's lanes start together), then every message.
      const first = await Promise.all(
        messages.slice(0, 10).map((message) => refusalOf(check(message))),
      );
      const refusals: Error[] = [];
      for (const message of messages) {
        const refusal = await refusalOf(check(message));
        if (refusal !== undefined) refusals.push(refusal);
      }

      // Assess
      expect(first).toEqual(Array(10).fill(undefined));
      expect(refusals).toEqual([]);
      expect(store.counted.reads, 'plan reads').toBe(1);
      expect(runStore.counted.reads, 'run reads').toBe(1);
    }, 120_000);

    it('refuses what apply did not queue, naming what differs, with the plan read once', async () => {
      // Prepare: a plan that keeps one image (the newest of its family) and retires two.
      const images = [400, 300, 200].map((days) =>
        modelartsImage({ name: 'train-family', createdAt: daysAgo(days) }),
      );
      const plan = planRetirement(
        planInput(policyOf({ name: 'keeps-one', keep: { newestPerFamily: 1 } }), images, {
          createdBy: CALLER,
        }),
      );
      const runId = await applied(plan);
      const [genuine, other] = messagesOf(plan, runId) as [RunMessage, RunMessage];
      const kept = plan.decisions.find((decision) => decision.decision === 'keep');
      if (kept === undefined) throw new Error('the plan keeps no image');
      expect(kept.reason).toBe('newest-in-family');
      const keptMessage = runMessageOf(kept.image, {
        planId: plan.planId,
        runId,
        force: false,
        identity: CALLER,
      });
      const otherPlan = retiringPlan(1, 'another');
      await plans.put(otherPlan);
      const store = countingPlans(plans);
      const check = createRunMessageCheck({ plans: store.plans, runs });

      // Act
      const refused = {
        kept: await refusalOf(check(keptMessage)),
        imageId: await refusalOf(check({ ...genuine, imageId: other.imageId })),
        expected: await refusalOf(
          check({ ...genuine, expected: { ...genuine.expected, name: 'renamed-since' } }),
        ),
        updatedAt: await refusalOf(
          check({
            ...genuine,
            expected: { ...genuine.expected, updatedAt: '2099-01-01T00:00:00.000Z' },
          }),
        ),
        status: await refusalOf(
          check({ ...genuine, expected: { ...genuine.expected, status: 'failed' } }),
        ),
        force: await refusalOf(check({ ...genuine, force: true })),
        identity: await refusalOf(check({ ...genuine, identity: 'arn:aws:iam::1:user/mallory' })),
        otherPlan: await refusalOf(check({ ...genuine, planId: otherPlan.planId })),
        noRun: await refusalOf(check({ ...genuine, runId: newRunId() })),
      };
      const passed = await refusalOf(check(genuine));
      const image = await check(genuine);

      // Assess
      for (const refusal of Object.values(refused)) expect(refusal).toBeInstanceOf(InvalidRequest);
      expect(refused.kept?.message).toBe(
        `imageKey: plan ${plan.planId} has no retire decision for ${keptMessage.imageKey}`,
      );
      expect(refused.imageId?.message).toBe(
        `imageId: not as plan ${plan.planId} decided to retire ${genuine.imageKey}`,
      );
      expect(refused.expected?.message).toMatch(/^expected\.name: /);
      expect(refused.updatedAt?.message).toMatch(/^expected\.updatedAt: /);
      expect(refused.status?.message).toMatch(/^expected\.status: /);
      expect(refused.force?.message).toMatch(/^force: /);
      expect(refused.identity?.message).toMatch(/^identity: /);
      expect(refused.otherPlan?.message).toBe(`planId: run ${runId} is of another plan`);
      expect(refused.noRun?.message).toMatch(/^runId: no run run-[0-9a-f]{20} is stored$/);
      expect(passed).toBeUndefined();
      // The decision as the plan knew it: a delivery that finds it gone records it so.
      expect(image).toEqual(
        plan.decisions.find((decision) => imageKey(decision.image) === genuine.imageKey)?.image,
      );
      expect(store.counted.reads).toBe(1);
    });

    it("takes the genuine messages of a force policy's run, and refuses them without force", async () => {
      // Prepare: a policy that deletes with force (ModelArts: its SWR content too).
      const plan = planRetirement(
        planInput(
          policyOf({ name: 'with-force', force: true }),
          [modelartsImage({ name: 'train-forced', createdAt: daysAgo(400) })],
          { createdBy: CALLER },
        ),
      );
      const runId = await applied(plan);
      const [genuine] = messagesOf(plan, runId) as [RunMessage];
      expect(genuine.force).toBe(true);
      const check = createRunMessageCheck({ plans, runs });

      // Act
      const passed = await refusalOf(check(genuine));
      const { force: _force, ...withoutForce } = genuine;
      const refused = await refusalOf(check(withoutForce));

      // Assess
      expect(passed).toBeUndefined();
      expect(refused?.message).toMatch(/^force: /);
    });

    it('reads again after a read that failed, or a plan it refused; keeps only the last few plans', async () => {
      // Prepare: three plans, each with a run; one plan not stored yet.
      const [a, b, c] = ['lru-a', 'lru-b', 'lru-c'].map((name) => retiringPlan(2, name)) as [
        Plan,
        Plan,
        Plan,
      ];
      const [runA, runB] = [await applied(a), await applied(b)];
      const runC = newRunId();
      await runs.create({
        runId: runC,
        planId: c.planId,
        provider: 'modelarts',
        policyName: c.policy.name,
        createdAt: new Date().toISOString(),
        createdBy: CALLER,
        total: 2,
      });
      const store = countingPlans(plans);
      const check = createRunMessageCheck({ plans: store.plans, runs }, { plans: 2 });
      const [messageA] = messagesOf(a, runA) as [RunMessage];
      const [messageB] = messagesOf(b, runB) as [RunMessage];
      const [messageC] = messagesOf(c, runC) as [RunMessage];

      // Act + Assess: a throttled read fails the check as it failed, and is not kept.
      store.counted.failReads = 1;
      expect(await refusalOf(check(messageA))).toBeInstanceOf(StoreUnavailable);
      expect(await refusalOf(check(messageA))).toBeUndefined();
      expect(store.counted.reads).toBe(2);

      // A plan not stored is refused, and read again once it is.
      expect((await refusalOf(check(messageC)))?.message).toBe(
        `planId: no plan ${c.planId} is stored`,
      );
      await plans.put(c);
      expect(await refusalOf(check(messageC))).toBeUndefined();
      expect(store.counted.reads).toBe(4);

      // Two plans kept: A (least recently used) makes way for B, and is read again.
      expect(await refusalOf(check(messageB))).toBeUndefined();
      expect(await refusalOf(check(messageC))).toBeUndefined();
      expect(store.counted.reads).toBe(5);
      expect(await refusalOf(check(messageA))).toBeUndefined();
      expect(store.counted.reads).toBe(6);
    });

    it('refuses every message of a plan altered in the store since it was made', async () => {
      // Prepare: a run of a plan, then the stored plan edited to retire what it kept.
      const images = [400, 300].map((days) =>
        modelartsImage({ name: 'train-altered', createdAt: daysAgo(days) }),
      );
      const plan = planRetirement(
        planInput(policyOf({ name: 'altered', keep: { newestPerFamily: 1 } }), images, {
          createdBy: CALLER,
        }),
      );
      const runId = await applied(plan);
      const edited: Plan = {
        ...plan,
        decisions: plan.decisions.map((decision) => ({
          ...decision,
          decision: 'retire',
          reason: 'retire',
        })),
      };
      await s3.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: planKey(plan.planId),
          Body: JSON.stringify(edited),
        }),
      );
      const check = createRunMessageCheck({ plans, runs });

      // Act
      const refusal = await refusalOf(check(messagesOf(edited, runId)[0] as RunMessage));

      // Assess: its decisions are not those its ID was made from, so none is known to be the
      // run's: refused, no failure to record.
      expect(refusal).toBeInstanceOf(InvalidRequest);
      expect(refusal).not.toBeInstanceOf(UnverifiablePlan);
      expect(refusal?.message).toMatch(
        new RegExp(`^planId: plan ${plan.planId} has been altered since it was made`),
      );
    });

    it('gives the genuine messages of a plan its check no longer passes a failure to record, and refuses the rest', async () => {
      // Prepare: a run of a plan that keeps one image and retires two; then the stored plan as an
      // earlier planner would have left it: the same policy and decisions under the same ID (its
      // digest holds), but today's planner, run again on it, decides otherwise (its clock moved
      // back 20 years: every image too new).
      const images = [400, 300, 200].map((days) =>
        modelartsImage({ name: 'train-earlier', createdAt: daysAgo(days) }),
      );
      const plan = planRetirement(
        planInput(
          policyOf({
            name: 'earlier',
            keep: { newestPerFamily: 1 },
            select: { olderThanDays: 30 },
          }),
          images,
          { createdBy: CALLER },
        ),
      );
      const runId = await applied(plan);
      const stored: Plan = { ...plan, createdAt: daysAgo(365 * 20) };
      expect(planIdOf(stored.policy, stored.decisions)).toBe(plan.planId);
      await s3.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: planKey(plan.planId),
          Body: JSON.stringify(stored),
        }),
      );
      const [genuine, second] = messagesOf(plan, runId) as [RunMessage, RunMessage];
      const kept = plan.decisions.find((decision) => decision.decision === 'keep');
      if (kept === undefined) throw new Error('the plan keeps no image');
      const store = countingPlans(plans);
      const check = createRunMessageCheck({ plans: store.plans, runs });

      // Act
      const unverifiable = [await refusalOf(check(genuine)), await refusalOf(check(second))];
      const refused = {
        kept: await refusalOf(
          check(
            runMessageOf(kept.image, {
              planId: plan.planId,
              runId,
              force: false,
              identity: CALLER,
            }),
          ),
        ),
        expected: await refusalOf(
          check({ ...genuine, expected: { ...genuine.expected, name: 'renamed-since' } }),
        ),
        identity: await refusalOf(check({ ...genuine, identity: 'arn:aws:iam::1:user/mallory' })),
        noRun: await refusalOf(check({ ...genuine, runId: newRunId() })),
      };

      // Assess: each genuine message fails with the reason (an InvalidRequest to a caller that
      // knows nothing of it); anything not exactly a retire decision of the stored plan is refused
      // as before; the plan was read once.
      for (const failure of unverifiable) {
        expect(failure).toBeInstanceOf(UnverifiablePlan);
        expect(failure).toBeInstanceOf(InvalidRequest);
        expect(failure?.message).toMatch(
          new RegExp(
            `^planId: plan ${plan.planId} can no longer be verified: its decision for .+ \\(edited, or made by an earlier version of the planner\\); none of its decisions is carried out: make a new plan$`,
          ),
        );
      }
      for (const refusal of Object.values(refused)) {
        expect(refusal).toBeInstanceOf(InvalidRequest);
        expect(refusal).not.toBeInstanceOf(UnverifiablePlan);
      }
      expect(refused.kept?.message).toMatch(/^imageKey: /);
      expect(refused.expected?.message).toMatch(/^expected\.name: /);
      expect(refused.identity?.message).toMatch(/^identity: /);
      expect(refused.noRun?.message).toMatch(/^runId: /);
      expect(store.counted.reads).toBe(1);
    });
  },
);
