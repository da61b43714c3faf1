// An HTTP apply of a plan larger than its time allows: the delete queue is moto's SQS behind a
// proxy that holds each call DELAY_MS (a queue answering slowly), the function has CONTEXT_MS
// left. apply must answer its run in time, having queued what the time allowed and recorded every
// other decision `failed` (DeadlineReached), so that the run completes once the consumer has taken
// what was queued; applying the plan again then retires the rest, deleting nothing twice.
//
// Plans, runs and events are on the local stores (only the queue is the subject); the consumer is
// the stack's (functions/sqs/delete-image.ts), handed what the queue holds as the event source
// mapping would. With the queue's calls 8 at a time, RETIRE decisions take six waves of DELAY_MS:
// longer than the function has, with or without calls side by side. A smaller plan, whose time kept
// for recording is not capped, shows that calls cut at that time start no more.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Plan } from '../../lib/retirement/plan.js';
import type { RunDocument, RunStore } from '../../lib/retirement/ports.js';
import { lambdaContext, parseResult, routeEvent } from '../../scripts/lambda-events.js';
import { type LatencyProxy, startLatencyProxy } from '../../scripts/latency-proxy.js';
import { sqsRecordFromMessage } from '../support/events.js';
import { useFixture } from '../support/fixture.js';
import { MOTO_AWS_ENV, motoClientConfig, skipWithoutMoto } from '../support/moto.js';
import { retiringUnsharedBcc } from './fixtures.js';

const RETIRE = 480;
const DELAY_MS = 700;
/** The function's time left: the HTTP deadline is 500 ms before it, apply's 1.5 s before that. */
const CONTEXT_MS = 4_000;
const HTTP_DEADLINE_MS = CONTEXT_MS - 500;

type Handler = (event: unknown, context: Context) => Promise<unknown>;
type Consumer = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

describe.skipIf(skipWithoutMoto('apply deadline'))(
  'an HTTP apply with less time than its plan needs',
  () => {
    const fixture = useFixture({
      emulator: { seed: { bcc: { images: 2 * RETIRE + 200, instances: 5 }, random: 31 } },
      moto: true,
      // The consumer's pacing is not the subject: far above what it sends here.
      env: { UPSTREAM_RETRY_BASE_MS: '5', UPSTREAM_RATE_LIMITS: 'bcc=5000' },
    });
    let store: string;
    let proxy: LatencyProxy;
    let sqs: SQSClient;
    let queueUrl: string;
    let service: { create: Handler; apply: Handler; consume: Consumer; runs: RunStore };

    beforeAll(async () => {
      store = await mkdtemp(join(tmpdir(), 'cif-apply-deadline-'));
      sqs = new SQSClient(motoClientConfig(fixture.moto.endpoint));
      queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'apply-deadline' })))
        .QueueUrl as string;
      proxy = await startLatencyProxy(fixture.moto.endpoint);
      service = await fixture.fresh(
        {
          ...MOTO_AWS_ENV,
          RETIREMENT_STORE_DIR: store,
          // The SDK sends to the queue URL's host: the proxy's.
          DELETE_QUEUE_URL: `${proxy.endpoint}${new URL(queueUrl).pathname}`,
          AWS_ENDPOINT_URL_SQS: proxy.endpoint,
        },
        async () => ({
          create: (await import('../../functions/http/create-plan.js')).handler as Handler,
          apply: (await import('../../functions/http/apply-plan.js')).handler as Handler,
          consume: (await import('../../functions/sqs/delete-image.js')).handler as Consumer,
          runs: (await import('../../lib/runtime/retirement-services.js')).retirementServices()
            .runs,
        }),
      );
    }, 30_000);

    afterAll(async () => {
      sqs?.destroy();
      await proxy?.close();
      await rm(store, { recursive: true, force: true });
    });

    const apply = async (planId: string, remainingMs: number) =>
      parseResult(
        (await service.apply(
          routeEvent({
            method: 'POST',
            route: '/retirements/plans/{planId}/apply',
            pathParameters: { planId },
          }),
          lambdaContext(remainingMs),
        )) as never,
      );

    /** The event source mapping: every message the queue holds, to the consumer, until none is left. */
    const drain = async (): Promise<void> => {
      for (;;) {
        const { Messages: messages = [] } = await sqs.send(
          new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10 }),
        );
        if (messages.length === 0) return;
        const response = await service.consume(
          { Records: messages.map(sqsRecordFromMessage) },
          lambdaContext(),
        );
        expect(response.batchItemFailures).toEqual([]);
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

    const runOf = async (runId: string): Promise<RunDocument> => {
      const document = await service.runs.read(runId);
      if (document === undefined) throw new Error(`run ${runId} is not stored`);
      return document;
    };

    const idOf = (imageKey: string): string => imageKey.slice(imageKey.indexOf('/') + 1);
    const deletes = (imageKey: string): number =>
      fixture.emulator.state.deleteCount('bcc', idOf(imageKey));

    it('answers in time; every decision ends in one outcome, the run completes, and applying again retires the rest', async () => {
      // Prepare: a plan retiring RETIRE images; the queue answers each call DELAY_MS late.
      const created = parseResult(
        (await service.create(
          routeEvent({
            method: 'POST',
            route: '/retirements/plans',
            body: retiringUnsharedBcc('apply-deadline', RETIRE, fixture.emulator.state.bcc),
          }),
          lambdaContext(),
        )) as never,
      );
      const { planId, totals } = created.body as unknown as Plan;
      expect(totals.retire).toBe(RETIRE);
      proxy.delayMs = DELAY_MS;

      // Act: apply with CONTEXT_MS left; the consumer takes what was queued (calls cut by apply
      // reach the queue late); then, the queue answering at once, apply again and drain.
      const started = performance.now();
      const accepted = await apply(planId, CONTEXT_MS);
      const answeredMs = performance.now() - started;
      await new Promise((resolve) => setTimeout(resolve, DELAY_MS + 200));
      proxy.delayMs = 0;
      await drain();
      const { runId } = accepted.body as { runId?: string };
      if (runId === undefined) {
        throw new Error(`apply answered ${accepted.status}: ${JSON.stringify(accepted.body)}`);
      }
      const first = await runOf(runId);
      const deletesAfterFirst = new Map(
        first.outcomes.map((outcome) => [outcome.imageKey, deletes(outcome.imageKey)]),
      );
      const again = await apply(planId, 29_500);
      await drain();
      const second = await runOf((again.body as { runId: string }).runId);

      console.log(
        `Apply deadline figures: ${JSON.stringify({ answeredMs: Math.round(answeredMs), counts: first.run.counts, again: second.run.counts })}`,
      );

      // Assess: the answer came before the deadline, with the run.
      expect(accepted.status).toBe(202);
      expect(answeredMs).toBeLessThan(HTTP_DEADLINE_MS);
      expect(accepted.body).toMatchObject({ planId, total: RETIRE, status: 'running' });
      // Every decision has exactly one final outcome; the run completed.
      expect(first.run).toMatchObject({ status: 'completed', total: RETIRE });
      expect(first.outcomes).toHaveLength(RETIRE);
      expect(first.outcomes.filter((outcome) => outcome.state !== 'final')).toEqual([]);
      const deleted = first.outcomes.filter((outcome) => outcome.outcome === 'deleted');
      const failed = first.outcomes.filter((outcome) => outcome.outcome === 'failed');
      expect(deleted.length + failed.length).toBe(RETIRE);
      expect(first.run.counts).toMatchObject({ deleted: deleted.length, failed: failed.length });
      // Some were queued and deleted, the rest not queued in time, each saying what to do.
      expect(deleted.length).toBeGreaterThan(0);
      expect(failed.length).toBeGreaterThan(0);
      for (const outcome of failed) {
        expect(outcome).toMatchObject({ error: 'DeadlineReached' });
        expect(outcome.reason).toContain('apply the plan again');
      }
      // Upstream: one delete per `deleted`, none for a decision recorded failed (a message whose
      // send apply cut reached the queue all the same: its consumer found the outcome recorded).
      for (const outcome of first.outcomes) {
        expect(deletesAfterFirst.get(outcome.imageKey), outcome.imageKey).toBe(
          outcome.outcome === 'deleted' ? 1 : 0,
        );
      }
      // The second run: what the first deleted is already absent (not deleted again), the rest
      // deleted now.
      expect(again.status).toBe(202);
      expect(second.run).toMatchObject({ status: 'completed', total: RETIRE });
      expect(second.run.counts).toEqual({
        deleted: failed.length,
        'already-absent': deleted.length,
        skipped: 0,
        failed: 0,
      });
      for (const outcome of first.outcomes)
        expect(deletes(outcome.imageKey), outcome.imageKey).toBe(1);
    }, 60_000);

    it('starts no send once its calls are cut: the time left is for recording what they held', async () => {
      // Prepare: a plan of 12 batches (more than the 8 calls in flight) small enough that the
      // time kept for recording it is not capped; the queue holds each call past the cut.
      const retire = 120;
      const created = parseResult(
        (await service.create(
          routeEvent({
            method: 'POST',
            route: '/retirements/plans',
            body: retiringUnsharedBcc('apply-cut', retire, fixture.emulator.state.bcc),
          }),
          lambdaContext(),
        )) as never,
      );
      const { planId } = created.body as unknown as Plan;
      proxy.delayMs = 5_000;
      const passedBefore = proxy.passed;

      // Act: 6 s for apply (8 s left): the first 8 calls are cut after some 4.1 s.
      const accepted = await apply(planId, 8_000);
      await new Promise((resolve) => setTimeout(resolve, proxy.delayMs + 200));
      proxy.delayMs = 0;
      await drain();

      // Assess: only the first 8 calls were made; every decision has its outcome.
      expect(accepted.status).toBe(202);
      expect(proxy.passed - passedBefore).toBe(8);
      const { runId } = accepted.body as { runId: string };
      const run = await runOf(runId);
      expect(run.run).toMatchObject({ status: 'completed', counts: { failed: retire } });
      // The cut calls' messages reached the consumer, which found each decision recorded and did
      // nothing: no failure of its own, so no error line and no error dimension for them.
      const handedOn = fixture.log.linesWhere({ runId, duplicate: true });
      expect(handedOn).toHaveLength(80);
      for (const line of handedOn) {
        expect(line).toMatchObject({ level: 'info', outcome: 'duplicate', runOutcome: 'failed' });
      }
      expect(handedOn.filter((line) => line.error !== undefined)).toEqual([]);
    }, 60_000);
  },
);
