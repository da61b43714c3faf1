// An HTTP apply of a plan of RETIRE decisions whose delete queue refuses every send (it does not
// exist), with the runs in DynamoDB (moto, serialized: its transactions are not atomic under
// concurrent requests) and API Gateway's time: apply must record every decision `failed` and the
// run must complete. Recorded one by one (4 at a time, some 14 ms each against moto) 2,000 of them
// needed more than the 27 s apply has: it answered 504, decisions left without an outcome and the
// run `running`. FINISH_BATCH at a time (some 7 ms each against moto, most of it moto's own CPU)
// 2,000 took about 14 s on a quiet machine, and more than 27 s in fresh-clone CI runs beside
// another test file on the second core (1,000 took 11.5 s alone on a slower day): the test holds
// 500, within the time on a busy machine too. What batching gains is measured side by side in
// bench/apply-record.ts (2.14x).
//
// Plans and events are on the local store; the queue is moto's SQS, a queue URL it does not have.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Plan } from '../../lib/retirement/plan.js';
import type { RunStore } from '../../lib/retirement/ports.js';
import { lambdaContext, parseResult, routeEvent } from '../../scripts/lambda-events.js';
import { createRunsTable } from '../../scripts/runs-table.js';
import { useFixture } from '../support/fixture.js';
import { MOTO_AWS_ENV, motoClientConfig, skipWithoutMoto } from '../support/moto.js';
import { retiringUnsharedBcc } from './fixtures.js';

const RETIRE = 500;
const TABLE = 'cif-apply-refused-queue';
/** API Gateway's 29 s, less the HTTP trigger's margin: the answer must come before it. */
const HTTP_DEADLINE_MS = 29_000;

type Handler = (event: unknown, context: Context) => Promise<unknown>;

describe.skipIf(skipWithoutMoto('apply with a refusing queue'))(
  'an HTTP apply whose delete queue refuses every send, runs in DynamoDB',
  () => {
    const fixture = useFixture({
      emulator: { seed: { bcc: { images: 2 * RETIRE + 200, instances: 5 }, random: 37 } },
      moto: { serialized: true },
    });
    let store: string;
    let dynamodb: DynamoDBClient;
    let service: { create: Handler; apply: Handler; runs: RunStore };

    beforeAll(async () => {
      store = await mkdtemp(join(tmpdir(), 'cif-apply-refused-'));
      dynamodb = new DynamoDBClient(motoClientConfig(fixture.moto.endpoint));
      await createRunsTable(dynamodb, TABLE);
      service = await fixture.fresh(
        {
          ...MOTO_AWS_ENV,
          RETIREMENT_STORE_DIR: store,
          RUNS_TABLE: TABLE,
          AWS_ENDPOINT_URL_DYNAMODB: fixture.moto.endpoint,
          AWS_ENDPOINT_URL_SQS: fixture.moto.endpoint,
          DELETE_QUEUE_URL: `${fixture.moto.endpoint}/123456789012/no-such-queue`,
        },
        async () => ({
          create: (await import('../../functions/http/create-plan.js')).handler as Handler,
          apply: (await import('../../functions/http/apply-plan.js')).handler as Handler,
          runs: (await import('../../lib/runtime/retirement-services.js')).retirementServices()
            .runs,
        }),
      );
    }, 30_000);

    afterAll(async () => {
      dynamodb?.destroy();
      await rm(store, { recursive: true, force: true });
    });

    it(`records each of ${RETIRE} decisions failed in time, and the run completes`, async () => {
      // Prepare: a plan retiring RETIRE images.
      const created = parseResult(
        (await service.create(
          routeEvent({
            method: 'POST',
            route: '/retirements/plans',
            body: retiringUnsharedBcc('apply-refused-queue', RETIRE, fixture.emulator.state.bcc),
          }),
          lambdaContext(),
        )) as never,
      );
      const { planId, totals } = created.body as unknown as Plan;
      expect(totals.retire).toBe(RETIRE);

      // Act: apply with API Gateway's time.
      const started = performance.now();
      const accepted = parseResult(
        (await service.apply(
          routeEvent({
            method: 'POST',
            route: '/retirements/plans/{planId}/apply',
            pathParameters: { planId },
          }),
          lambdaContext(),
        )) as never,
      );
      const answeredMs = performance.now() - started;
      const { runId } = accepted.body as { runId?: string };
      if (runId === undefined) {
        throw new Error(`apply answered ${accepted.status}: ${JSON.stringify(accepted.body)}`);
      }
      const document = await service.runs.read(runId);
      console.log(
        `Apply with a refusing queue: ${JSON.stringify({ answeredMs: Math.round(answeredMs), counts: document?.run.counts, status: document?.run.status })}`,
      );

      // Assess: answered in time with the run, completed at once: every decision `failed`, saying
      // it was not queued.
      expect(accepted.status).toBe(202);
      expect(answeredMs).toBeLessThan(HTTP_DEADLINE_MS);
      expect(accepted.body).toMatchObject({ planId, total: RETIRE, status: 'completed' });
      expect(document?.run).toMatchObject({
        status: 'completed',
        total: RETIRE,
        counts: { deleted: 0, 'already-absent': 0, skipped: 0, failed: RETIRE },
      });
      expect(document?.outcomes).toHaveLength(RETIRE);
      for (const outcome of document?.outcomes ?? []) {
        expect(outcome, outcome.imageKey).toMatchObject({
          state: 'final',
          outcome: 'failed',
          error: 'StoreUnavailable',
          reason: 'the delete could not be queued',
        });
      }
    }, 60_000);
  },
);
