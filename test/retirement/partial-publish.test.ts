// A run's events when the bus takes some of a publish and not the rest: each event is noted
// published on its own, so the redelivery publishes only what did not go out. Through the real
// handlers on the local stores and queue, against the emulator, with EventBridge played by a
// loopback server that fails the entries this test says (PutEvents' own FailedEntryCount).

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Plan } from '../../lib/retirement/plan.js';
import { lambdaContext, parseResult, routeEvent } from '../../scripts/lambda-events.js';
import type { drainLocalQueue } from '../../scripts/local-queue.js';
import { type FaultServer, startFaultServer } from '../support/aws-fault-server.js';
import { useFixture } from '../support/fixture.js';
import { retiringUnsharedBcc } from './fixtures.js';

const RETIRE = 3;
const COMPLETED = 'Retirement Run Completed';

const fixture = useFixture({
  emulator: { seed: { bcc: { images: 60, instances: 5 }, random: 11 } },
});

interface Entry {
  DetailType: string;
  Detail: string;
}

/** What the bus accepted, in order; entries of `failing` detail-types are failed, every attempt. */
const accepted: Entry[] = [];
let failing = new Set<string>();
let bus: FaultServer;
let store: string;

beforeAll(async () => {
  store = await mkdtemp(join(tmpdir(), 'cif-partial-publish-'));
  bus = await startFaultServer((request) => {
    const { Entries } = JSON.parse(request.body) as { Entries: Entry[] };
    const results = Entries.map((entry, index) => {
      if (failing.has(entry.DetailType)) {
        return { ErrorCode: 'InternalFailure', ErrorMessage: 'try again later' };
      }
      accepted.push(entry);
      return { EventId: `event-${accepted.length}-${index}` };
    });
    const failed = results.filter((result) => 'ErrorCode' in result).length;
    return { status: 200, body: JSON.stringify({ FailedEntryCount: failed, Entries: results }) };
  });
});

afterAll(async () => {
  await bus?.close();
  await rm(store, { recursive: true, force: true });
});

type RouteHandler = (event: unknown, context: Context) => Promise<unknown>;

/** The plan and apply functions and the local queue worker, as a sandbox with a bus loads them. */
const loadService = () =>
  fixture.fresh(
    {
      RETIREMENT_STORE_DIR: store,
      EVENT_BUS_NAME: 'cloud-image-functions-test',
      AWS_ENDPOINT_URL_EVENTBRIDGE: bus.endpoint,
      AWS_REGION: 'eu-central-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      UPSTREAM_RETRY_BASE_MS: '5',
    },
    async () => ({
      create: (await import('../../functions/http/create-plan.js')).handler as RouteHandler,
      apply: (await import('../../functions/http/apply-plan.js')).handler as RouteHandler,
      drain: (await import('../../scripts/local-queue.js'))
        .drainLocalQueue as typeof drainLocalQueue,
    }),
  );

const detailsOf = (runId: string, detailType: string) =>
  accepted
    .filter((entry) => entry.DetailType === detailType)
    .map((entry) => JSON.parse(entry.Detail) as { runId?: string; imageId?: string })
    .filter((detail) => detail.runId === runId);

describe('a run whose completion event the bus fails while it takes the outcomes', () => {
  it('publishes each outcome once and the completion once, on the completing decision redelivered', async () => {
    // Prepare: a plan retiring RETIRE unshared images, applied; the bus fails every completion.
    const service = await loadService();
    const created = parseResult(
      (await service.create(
        routeEvent({
          method: 'POST',
          route: '/retirements/plans',
          body: retiringUnsharedBcc('partial-publish', RETIRE, fixture.emulator.state.bcc),
        }),
        lambdaContext(),
      )) as never,
    );
    expect(created.status).toBe(201);
    const { planId, totals } = created.body as unknown as Plan;
    expect(totals.retire).toBe(RETIRE);
    const applied = parseResult(
      (await service.apply(
        routeEvent({
          method: 'POST',
          route: '/retirements/plans/{planId}/apply',
          pathParameters: { planId },
        }),
        lambdaContext(),
      )) as never,
    );
    const { runId } = applied.body as { runId: string };
    failing = new Set([COMPLETED]);

    // Act: one round of deliveries while the completion fails; then the bus takes everything.
    const first = await service.drain({ dir: store, rounds: 1 });
    const outcomesAfterFirst = detailsOf(runId, 'Image Deleted').length;
    failing = new Set();
    const second = await service.drain({ dir: store });

    // Assess: only the completing decision came back, and its redelivery sent only the
    // completion: each outcome went out once.
    expect(first).toMatchObject({ processed: RETIRE, failed: 1, dead: 0 });
    expect(outcomesAfterFirst).toBe(RETIRE);
    expect(second).toMatchObject({ processed: 1, failed: 0, dead: 0 });
    expect(detailsOf(runId, 'Image Deleted')).toHaveLength(RETIRE);
    expect(new Set(detailsOf(runId, 'Image Deleted').map((detail) => detail.imageId)).size).toBe(
      RETIRE,
    );
    expect(detailsOf(runId, COMPLETED)).toHaveLength(1);
  });
});
