// Run messages apply did not queue: the delete queue takes bodies from more than apply (the detail
// of an `Image Delete Requested` event on the bus, an sqs:SendMessage by any principal allowed to
// send), and a body shaped like a run message must not act as a decision of that run. Through the
// real handlers with the stores the stack uses (S3 plans, DynamoDB runs, the SQS delete queue, as
// moto serves them) against the emulator: forged messages are refused as invalid bodies are (no
// claim, no upstream request, no outcome, no event), the genuine ones then retire exactly what the
// plan said; a plan the store cannot read for now is tried again, not refused. A run whose stored
// plan no longer passes its check (as one made by an earlier version of the planner): each of its
// queued decisions is recorded `failed` once, the run completes and nothing is deleted, while
// messages that are not exactly its retire decisions stay refused.

import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  CreateBucketCommand,
  GetObjectCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handler as applyHandler } from '../../functions/http/apply-plan.js';
import { handler as createHandler } from '../../functions/http/create-plan.js';
import { handler as getRunHandler } from '../../functions/http/get-run.js';
import { runMessageOf } from '../../lib/retirement/apply-plan.js';
import type { Plan, PlannedImage } from '../../lib/retirement/plan.js';
import { planIdOf } from '../../lib/retirement/plan-id.js';
import { alterationOf } from '../../lib/retirement/plan-integrity.js';
import type { RunDocument, RunMessage } from '../../lib/retirement/ports.js';
import { DELETE_MAY_HAVE_GONE } from '../../lib/retirement/retire-one.js';
import { dynamoRunStore } from '../../lib/stores/dynamodb-run-store.js';
import { planKey } from '../../lib/stores/plan-store.js';
import { lambdaContext, parseResult, routeEvent } from '../../scripts/lambda-events.js';
import { createRunsTable } from '../../scripts/runs-table.js';
import { type FaultServer, s3Error, startFaultServer } from '../support/aws-fault-server.js';
import { eventsPublishedLocally, sqsRecordFromMessage } from '../support/events.js';
import { useFixture } from '../support/fixture.js';
import { MOTO_AWS_ENV, motoClientConfig, skipWithoutMoto } from '../support/moto.js';
import { retiringUnsharedBcc } from './fixtures.js';

const RETIRE = 3;
const CALLER = 'arn:aws:iam::123456789012:user/approver';
const REFUSED =
  'message rejected: it is not a retire decision its plan made; it will reach the dead-letter queue after maxReceiveCount receives';
/** The same refusal on the queue's last receive. */
const REFUSED_LAST =
  'message rejected: it is not a retire decision its plan made; this was its last receive: the queue moves it to the dead-letter queue';

type Consumer = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

describe.skipIf(skipWithoutMoto('forged run messages'))(
  'run messages apply did not queue (moto)',
  () => {
    const fixture = useFixture({
      emulator: { seed: { bcc: { images: 60, instances: 5 }, random: 11 } },
      env: { UPSTREAM_RETRY_BASE_MS: '5' },
      moto: { serialized: true },
    });
    let sqs: SQSClient;
    let s3: S3Client;
    let dynamodb: DynamoDBClient;
    let bucket: string;
    let table: string;
    let queueUrl: string;
    let store: string;

    beforeAll(async () => {
      const config = motoClientConfig(fixture.moto.endpoint);
      sqs = new SQSClient(config);
      s3 = new S3Client({ ...config, forcePathStyle: true });
      dynamodb = new DynamoDBClient(config);
      const suffix = randomUUID().slice(0, 8);
      bucket = `plans-${suffix}`;
      table = `runs-${suffix}`;
      await s3.send(new CreateBucketCommand({ Bucket: bucket }));
      await createRunsTable(dynamodb, table);
      queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: `delete-${suffix}` })))
        .QueueUrl as string;
      // Events go to the local events file (no bus here), so that a test can read them.
      store = await mkdtemp(join(tmpdir(), 'cif-forged-'));
      const endpoint = fixture.moto.endpoint;
      fixture.setEnv({
        ...MOTO_AWS_ENV,
        PLANS_BUCKET: bucket,
        RUNS_TABLE: table,
        DELETE_QUEUE_URL: queueUrl,
        RETIREMENT_STORE_DIR: store,
        AWS_ENDPOINT_URL_S3: endpoint,
        AWS_ENDPOINT_URL_DYNAMODB: endpoint,
        AWS_ENDPOINT_URL_SQS: endpoint,
      });
    }, 60_000);

    afterAll(async () => {
      sqs?.destroy();
      s3?.destroy();
      dynamodb?.destroy();
      if (store !== undefined) await rm(store, { recursive: true, force: true });
    });

    /** A consumer as a Lambda sandbox loads it (its own stores, its own plan cache). */
    const sandbox = async (env: Record<string, string> = {}): Promise<Consumer> =>
      (await fixture.fresh(env, () => import('../../functions/sqs/delete-image.js')))
        .handler as Consumer;

    /** A plan retiring `count` unshared BCC images, applied by CALLER: the plan and its run. */
    const planAndApply = async (name: string, count: number) => {
      const created = parseResult(
        await createHandler(
          routeEvent({
            method: 'POST',
            route: '/retirements/plans',
            body: retiringUnsharedBcc(name, count, fixture.emulator.state.bcc),
            callerArn: CALLER,
          }),
          lambdaContext(),
        ),
      );
      expect(created.status).toBe(201);
      const plan = created.body as unknown as Plan;
      expect(plan.totals.retire).toBe(count);
      const applied = parseResult(
        await applyHandler(
          routeEvent({
            method: 'POST',
            route: '/retirements/plans/{planId}/apply',
            pathParameters: { planId: plan.planId },
            callerArn: CALLER,
          }),
          lambdaContext(),
        ),
      );
      expect(applied.status).toBe(202);
      return { plan, runId: (applied.body as { runId: string }).runId };
    };

    const runOf = async (runId: string): Promise<RunDocument> =>
      parseResult(
        await getRunHandler(
          routeEvent({
            method: 'GET',
            route: '/retirements/runs/{runId}',
            pathParameters: { runId },
          }),
          lambdaContext(),
        ),
      ).body as unknown as RunDocument;

    /** Every message waiting in the delete queue, taken off it, as the records Lambda gets. */
    const takeQueued = async (): Promise<SQSRecord[]> => {
      const records: SQSRecord[] = [];
      for (;;) {
        const { Messages: messages = [] } = await sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: queueUrl,
            MaxNumberOfMessages: 10,
            VisibilityTimeout: 60,
            MessageSystemAttributeNames: ['All'],
          }),
        );
        if (messages.length === 0) return records;
        records.push(...messages.map(sqsRecordFromMessage));
        await sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl: queueUrl,
            Entries: messages.map((message, index) => ({
              Id: String(index),
              ReceiptHandle: message.ReceiptHandle,
            })),
          }),
        );
      }
    };

    /** Sends bodies to the delete queue as any principal allowed to send there would. */
    const sendForged = async (bodies: Record<string, unknown>): Promise<Map<string, string>> => {
      const sent = await sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: Object.entries(bodies).map(([id, body]) => ({
            Id: id,
            MessageBody: JSON.stringify(body),
          })),
        }),
      );
      expect(sent.Failed ?? []).toEqual([]);
      return new Map(
        (sent.Successful ?? []).map((entry) => [String(entry.Id), String(entry.MessageId)]),
      );
    };

    const eventsOf = async (runId: string) =>
      (await eventsPublishedLocally(store)).filter((event) => event.detail.runId === runId);

    it('refuses forged messages before any claim or request upstream; the genuine ones retire exactly the plan', async () => {
      // Prepare: a plan retiring RETIRE images (others deferred by its limits), applied; its
      // messages taken aside. Then one retired image renamed and a new image made, after the plan.
      const { plan, runId } = await planAndApply('forged', RETIRE);
      const genuine = await takeQueued();
      expect(genuine).toHaveLength(RETIRE);
      const retired = plan.decisions.filter((decision) => decision.decision === 'retire');
      const [renamed, swapped] = retired.map((decision) => decision.image);
      const deferred = plan.decisions.find((decision) => decision.reason === 'over-limit')?.image;
      if (renamed === undefined || swapped === undefined || deferred === undefined) {
        throw new Error('the plan needs two retire decisions and a deferred one');
      }
      const bcc = fixture.emulator.state.bcc;
      const renamedRecord = bcc.get(renamed.id);
      bcc.set({ ...renamedRecord, id: renamed.id, name: 'renamed-since-the-plan' });
      const added = { ...bcc.get(deferred.id), id: 'm-madeafterplan', name: 'made-after-the-plan' };
      bcc.set(added);
      const asApplied = (image: PlannedImage): RunMessage =>
        runMessageOf(image, { planId: plan.planId, runId, force: false, identity: CALLER });
      const forgedIds = await sendForged({
        // A decision the plan deferred (its limits), as apply would have sent it.
        deferred: asApplied(deferred),
        // An image the plan never saw.
        added: asApplied({ ...deferred, id: added.id, name: added.name }),
        // A retire decision's key, another image's ID.
        swapped: { ...asApplied(swapped), imageId: deferred.id },
        // A retire decision as its image is now, not as the plan saw it.
        renamed: {
          ...asApplied(renamed),
          expected: { ...asApplied(renamed).expected, name: 'renamed-since-the-plan' },
        },
        // A retire decision with force the policy did not give.
        forced: { ...asApplied(swapped), force: true },
      });
      const forged = await takeQueued();
      const requestsBefore = fixture.emulator.requests.length;
      const consume = await sandbox();

      // Act: the forged messages, then the genuine ones.
      const refused = await consume({ Records: forged }, lambdaContext(30_000));
      const runAfterForged = await runOf(runId);
      const eventsAfterForged = await eventsOf(runId);
      const requestsAfterForged = fixture.emulator.requests.length;
      const accepted = await consume({ Records: genuine }, lambdaContext(30_000));

      // Assess: each forged message failed as an invalid body does, with one line naming what
      // differs; nothing reached the cloud, the run or the bus.
      expect(refused.batchItemFailures.map((item) => item.itemIdentifier).sort()).toEqual(
        [...forgedIds.values()].sort(),
      );
      const lineOf = (name: string) =>
        fixture.log.lines.filter((line) => line.messageId === forgedIds.get(name));
      for (const name of forgedIds.keys()) {
        expect(lineOf(name)).toEqual([
          expect.objectContaining({
            level: 'error',
            message: REFUSED,
            outcome: 'failed',
            error: 'InvalidRequest',
            runId,
            planId: plan.planId,
          }),
        ]);
      }
      expect(lineOf('deferred')[0]?.errorMessage).toBe(
        `imageKey: plan ${plan.planId} has no retire decision for bj/${deferred.id}`,
      );
      expect(lineOf('added')[0]?.errorMessage).toBe(
        `imageKey: plan ${plan.planId} has no retire decision for bj/${added.id}`,
      );
      expect(lineOf('swapped')[0]?.errorMessage).toMatch(/^imageId: /);
      expect(lineOf('renamed')[0]?.errorMessage).toMatch(/^expected\.name: /);
      expect(lineOf('forced')[0]?.errorMessage).toMatch(/^force: /);
      expect(requestsAfterForged, 'no request upstream for a forged message').toBe(requestsBefore);
      expect(runAfterForged.run).toMatchObject({
        status: 'running',
        total: RETIRE,
        counts: { deleted: 0, 'already-absent': 0, skipped: 0, failed: 0 },
      });
      expect(runAfterForged.outcomes, 'nothing claimed').toEqual([]);
      expect(eventsAfterForged).toEqual([]);

      // The genuine messages: every retire decision has its outcome, the renamed image is skipped
      // (changed since the plan), and no other image was touched.
      expect(accepted.batchItemFailures).toEqual([]);
      const run = await runOf(runId);
      expect(run.run).toMatchObject({
        status: 'completed',
        counts: { deleted: RETIRE - 1, 'already-absent': 0, skipped: 1, failed: 0 },
      });
      expect(run.outcomes.map((outcome) => outcome.imageKey).sort()).toEqual(
        retired.map((decision) => `bj/${decision.image.id}`).sort(),
      );
      expect(run.outcomes.find((outcome) => outcome.imageKey === `bj/${renamed.id}`)).toMatchObject(
        {
          outcome: 'skipped',
          error: 'ImageChanged',
        },
      );
      for (const kept of [renamed.id, deferred.id, added.id]) expect(bcc.has(kept)).toBe(true);
      for (const decision of retired.filter((each) => each.image.id !== renamed.id)) {
        expect(bcc.has(decision.image.id)).toBe(false);
      }
    });

    it('refuses a forged message on its last receive with no time left: no `failed` is recorded for it', async () => {
      // Prepare: a run of one decision, and a message for an image its plan deferred, on the
      // queue's last receive, delivered with too little time to work on it.
      const { plan, runId } = await planAndApply('forged-last', 1);
      const [genuine] = await takeQueued();
      const deferred = plan.decisions.find((decision) => decision.reason === 'over-limit')?.image;
      if (genuine === undefined || deferred === undefined) throw new Error('no deferred decision');
      await sendForged({
        deferred: runMessageOf(deferred, {
          planId: plan.planId,
          runId,
          force: false,
          identity: CALLER,
        }),
      });
      const [forged] = await takeQueued();
      if (forged === undefined) throw new Error('the forged message was not queued');
      const lastReceive = {
        ...forged,
        attributes: { ...forged.attributes, ApproximateReceiveCount: '5' },
      };
      const consume = await sandbox();

      // Act: 0.6 s left (0.1 s after the response margin: too little to start).
      const response = await consume({ Records: [lastReceive] }, lambdaContext(600));

      // Assess
      expect(response.batchItemFailures).toEqual([{ itemIdentifier: forged.messageId }]);
      expect(fixture.log.linesWhere({ message: REFUSED_LAST })).toHaveLength(1);
      const run = await runOf(runId);
      expect(run.run.counts).toEqual({ deleted: 0, 'already-absent': 0, skipped: 0, failed: 0 });
      expect(run.outcomes).toEqual([]);
      expect(await eventsOf(runId)).toEqual([]);
    });

    describe('a run whose stored plan no longer passes its check', () => {
      const FAILED_LINE = 'message processed: its decision is recorded failed';

      /**
       * The stored plan as a planner that decided otherwise would have left it: the same policy and
       * decisions under the same ID (its digest holds, its retire decisions stay), but today's
       * planner, run again on it, gives other decisions. Its clock set 20 years back is the
       * simplest such change (every image too new then); a planner whose rules changed since is
       * the same to the check.
       */
      const asAnEarlierPlannerMadeIt = async (plan: Plan): Promise<Plan> => {
        const read = await s3.send(
          new GetObjectCommand({ Bucket: bucket, Key: planKey(plan.planId) }),
        );
        const stored = JSON.parse(await (read.Body?.transformToString() ?? '')) as Plan;
        const earlier: Plan = {
          ...stored,
          createdAt: new Date(Date.parse(stored.createdAt) - 20 * 365 * 86_400_000).toISOString(),
        };
        await s3.send(
          new PutObjectCommand({
            Bucket: bucket,
            Key: planKey(plan.planId),
            Body: JSON.stringify(earlier),
          }),
        );
        expect(planIdOf(earlier.policy, earlier.decisions), 'its digest holds').toBe(plan.planId);
        expect(alterationOf(earlier, plan.planId)).toMatch(/made by an earlier version/);
        return earlier;
      };

      it('records each queued decision failed once (its event published, the run completed), deletes nothing, and still refuses what is not its decision', async () => {
        // Prepare: a plan retiring RETIRE images, applied; its messages taken aside; then the
        // stored plan as an earlier planner made it, and messages that are not its decisions.
        const { plan, runId } = await planAndApply('earlier-planner', RETIRE);
        const genuine = await takeQueued();
        expect(genuine).toHaveLength(RETIRE);
        await asAnEarlierPlannerMadeIt(plan);
        const retired = plan.decisions.filter((decision) => decision.decision === 'retire');
        const [first] = retired.map((decision) => decision.image);
        const deferred = plan.decisions.find((decision) => decision.reason === 'over-limit')?.image;
        if (first === undefined || deferred === undefined) {
          throw new Error('the plan needs a retire decision and a deferred one');
        }
        const asApplied = (image: PlannedImage): RunMessage =>
          runMessageOf(image, { planId: plan.planId, runId, force: false, identity: CALLER });
        const forgedIds = await sendForged({
          // An image the stored plan does not retire (its limits deferred it).
          deferred: asApplied(deferred),
          // A retire decision as its image is not in the plan.
          renamed: {
            ...asApplied(first),
            expected: { ...asApplied(first).expected, name: 'renamed-since-the-plan' },
          },
          // A retire decision with another applier.
          identity: { ...asApplied(first), identity: 'arn:aws:iam::123456789012:user/mallory' },
        });
        const forged = await takeQueued();
        const requestsBefore = fixture.emulator.requests.length;
        const consume = await sandbox();

        // Act: the forged messages, the genuine ones, then one genuine message delivered again.
        const refused = await consume({ Records: forged }, lambdaContext(30_000));
        const runAfterForged = await runOf(runId);
        const eventsAfterForged = await eventsOf(runId);
        const accepted = await consume({ Records: genuine }, lambdaContext(30_000));
        const eventsAfterGenuine = await eventsOf(runId);
        const [again] = genuine;
        if (again === undefined) throw new Error('nothing was queued');
        const redelivered = await consume(
          {
            Records: [
              { ...again, attributes: { ...again.attributes, ApproximateReceiveCount: '2' } },
            ],
          },
          lambdaContext(30_000),
        );

        // Assess: the forged messages refused as before, nothing recorded or published for them.
        expect(refused.batchItemFailures.map((item) => item.itemIdentifier).sort()).toEqual(
          [...forgedIds.values()].sort(),
        );
        expect(fixture.log.linesWhere({ message: REFUSED })).toHaveLength(forgedIds.size);
        expect(runAfterForged.outcomes).toEqual([]);
        expect(eventsAfterForged).toEqual([]);

        // Each genuine message acknowledged (none left to the dead-letter queue), its decision
        // recorded failed with why, once; the run completed.
        expect(accepted.batchItemFailures).toEqual([]);
        expect(redelivered.batchItemFailures).toEqual([]);
        const run = await runOf(runId);
        expect(run.run).toMatchObject({
          status: 'completed',
          total: RETIRE,
          counts: { deleted: 0, 'already-absent': 0, skipped: 0, failed: RETIRE },
        });
        const why = new RegExp(
          `^planId: plan ${plan.planId} can no longer be verified: its decision for .+ \\(edited, or made by an earlier version of the planner\\); none of its decisions is carried out: make a new plan$`,
        );
        expect(run.outcomes.map((outcome) => outcome.imageKey).sort()).toEqual(
          retired.map((decision) => `bj/${decision.image.id}`).sort(),
        );
        for (const outcome of run.outcomes) {
          expect(outcome).toMatchObject({
            state: 'final',
            outcome: 'failed',
            error: 'InvalidRequest',
          });
          expect(outcome.reason).toMatch(why);
        }
        expect(fixture.log.linesWhere({ message: FAILED_LINE })).toEqual(
          Array.from({ length: RETIRE }, () =>
            expect.objectContaining({ level: 'warn', error: 'InvalidRequest', runId }),
          ),
        );

        // One failure event per decision and the run's completion, none again on the redelivery.
        const failures = eventsAfterGenuine.filter(
          (event) => event.detailType === 'Image Delete Failed',
        );
        expect(failures).toHaveLength(RETIRE);
        for (const event of failures) {
          expect(event.detail).toMatchObject({
            error: 'InvalidRequest',
            retryable: false,
            trigger: 'run',
            planId: plan.planId,
            runId,
          });
          expect(event.detail.message).toMatch(why);
        }
        expect(
          eventsAfterGenuine.filter((event) => event.detailType === 'Retirement Run Completed'),
        ).toHaveLength(1);
        expect(eventsAfterGenuine).toHaveLength(RETIRE + 1);
        expect(await eventsOf(runId)).toEqual(eventsAfterGenuine);

        // Nothing reached the cloud; every image the plan retired is still there.
        expect(fixture.emulator.requests.length, 'no request upstream').toBe(requestsBefore);
        for (const decision of retired) {
          expect(fixture.emulator.state.bcc.has(decision.image.id)).toBe(true);
        }
      });

      it('records a decision delivered for the last time with no time left failed for its plan, not for the time', async () => {
        // Prepare: a run of one decision whose stored plan no longer passes its check; its
        // message on the queue's last receive.
        const { plan, runId } = await planAndApply('earlier-planner-last', 1);
        const [record] = await takeQueued();
        if (record === undefined) throw new Error('nothing was queued');
        await asAnEarlierPlannerMadeIt(plan);
        const lastReceive = {
          ...record,
          attributes: { ...record.attributes, ApproximateReceiveCount: '5' },
        };
        const consume = await sandbox();

        // Act: 0.6 s left (too little to start working on it).
        const response = await consume({ Records: [lastReceive] }, lambdaContext(600));

        // Assess
        expect(response.batchItemFailures).toEqual([]);
        const run = await runOf(runId);
        expect(run.run).toMatchObject({ status: 'completed', counts: { failed: 1 } });
        expect(run.outcomes).toEqual([
          expect.objectContaining({
            outcome: 'failed',
            error: 'InvalidRequest',
            reason: expect.stringMatching(/can no longer be verified/),
          }),
        ]);
        expect((await eventsOf(runId)).map((event) => event.detailType).sort()).toEqual([
          'Image Delete Failed',
          'Retirement Run Completed',
        ]);
      });

      it('records nothing over a delete an earlier delivery noted sending until the last working receive, which says the image may be gone', async () => {
        // Prepare: a run of one decision whose delete a delivery noted sending (a consumer of the
        // earlier version, which stopped or is still at it); then its plan as that version made it.
        const { plan, runId } = await planAndApply('earlier-planner-sending', 1);
        const [record] = await takeQueued();
        const imageId = plan.decisions.find((decision) => decision.decision === 'retire')?.image.id;
        if (record === undefined || imageId === undefined) throw new Error('nothing was queued');
        const runs = dynamoRunStore({ table, client: dynamodb });
        expect(await runs.markDeleteSent(runId, `bj/${imageId}`, new Date().toISOString())).toBe(
          true,
        );
        await asAnEarlierPlannerMadeIt(plan);
        const consume = await sandbox();
        const receivedAs = (count: number) => ({
          ...record,
          attributes: { ...record.attributes, ApproximateReceiveCount: String(count) },
        });

        // Act: its first receive, then the last working one (the queue's fifth is its last).
        const first = await consume({ Records: [receivedAs(1)] }, lambdaContext(30_000));
        const runAfterFirst = await runOf(runId);
        const lastWorking = await consume({ Records: [receivedAs(4)] }, lambdaContext(30_000));

        // Assess: the first comes back with nothing recorded (that delete's result would be the
        // outcome); the last working one records the failure, saying the image may be gone.
        expect(first.batchItemFailures).toEqual([{ itemIdentifier: record.messageId }]);
        expect(runAfterFirst.run.counts.failed).toBe(0);
        expect(runAfterFirst.outcomes.map((outcome) => outcome.state)).toEqual(['claimed']);
        expect(lastWorking.batchItemFailures).toEqual([]);
        const run = await runOf(runId);
        expect(run.run).toMatchObject({ status: 'completed', counts: { failed: 1 } });
        expect(run.outcomes[0]?.reason).toMatch(/can no longer be verified/);
        expect(run.outcomes[0]?.reason?.endsWith(`; ${DELETE_MAY_HAVE_GONE}`)).toBe(true);
      });
    });

    describe('a plan the store cannot read for now', () => {
      let flaky: FaultServer;
      /** While true, every S3 request is answered 503 SlowDown; otherwise passed on to moto. */
      let throttled = true;

      beforeAll(async () => {
        flaky = await startFaultServer(async (request) => {
          if (throttled) {
            return {
              status: 503,
              body: s3Error('SlowDown', 'Please reduce your request rate.'),
              contentType: 'application/xml',
            };
          }
          // Signed for this server: moto reads who signed, not the signature.
          const { host, connection, 'content-length': length, ...headers } = request.headers;
          const answer = await fetch(`${fixture.moto.endpoint}${request.path}`, {
            method: request.method,
            headers,
            ...(request.method === 'GET' || request.method === 'HEAD'
              ? {}
              : { body: request.body }),
          });
          return {
            status: answer.status,
            body: await answer.text(),
            contentType: answer.headers.get('content-type') ?? 'application/xml',
          };
        });
      });

      afterAll(async () => {
        await flaky?.close();
      });

      it('is tried again (the queue redelivers the decision), not refused; then the decision is worked on', async () => {
        // Prepare: a run of one decision; a consumer whose S3 is throttled.
        const { plan, runId } = await planAndApply('flaky-plan-read', 1);
        const [record] = await takeQueued();
        if (record === undefined) throw new Error('nothing was queued');
        const imageId = plan.decisions.find((decision) => decision.decision === 'retire')?.image.id;
        const consume = await sandbox({ AWS_ENDPOINT_URL_S3: flaky.endpoint });

        // Act: one delivery while S3 is throttled, the redelivery once it is not.
        throttled = true;
        const first = await consume({ Records: [record] }, lambdaContext(30_000));
        const runAfterFirst = await runOf(runId);
        throttled = false;
        const again = {
          ...record,
          attributes: { ...record.attributes, ApproximateReceiveCount: '2' },
        };
        const second = await consume({ Records: [again] }, lambdaContext(30_000));

        // Assess: the first failed as transient (a warning: it comes back), claiming nothing; the
        // second deleted the image.
        expect(first.batchItemFailures).toEqual([{ itemIdentifier: record.messageId }]);
        expect(fixture.log.linesWhere({ message: REFUSED })).toEqual([]);
        expect(
          fixture.log.linesWhere({ message: 'message failed (transient); it will be redelivered' }),
        ).toEqual([expect.objectContaining({ error: 'StoreUnavailable', runId })]);
        expect(runAfterFirst.outcomes).toEqual([]);
        expect(second.batchItemFailures).toEqual([]);
        const run = await runOf(runId);
        expect(run.run).toMatchObject({ status: 'completed', counts: { deleted: 1 } });
        expect(fixture.emulator.state.bcc.has(String(imageId))).toBe(false);
      });
    });
  },
);
