// How fast apply records the decisions it could not queue: DECISIONS decisions recorded `failed`
// in a run of moto's DynamoDB (serialized, its own process, pinned to the upstreams' core) through
// the run store the stack uses (lib/stores/dynamodb-run-store.ts), one by one with
// finishUnlessDeleteSent 4 at a time (as apply recorded them before) and with
// finishManyUnlessDeleteSent, 99 a transaction, one after another (as apply records them now),
// each call held LATENCY_MS by a proxy (DynamoDB's round trip), ROUNDS rounds in turn. Prints the
// median milliseconds per decision and per 99 (a step of apply), and their ratio.
//
//   bash scripts/node24.sh node --import tsx bench/apply-record.ts [--decisions N] [--rounds N]
//                                                                 [--latency MS]
//
// moto spends its own CPU on each action of a transaction (parsing and validating its
// expressions: some 6 ms each here), which DynamoDB does not: read the step's time as moto's bound,
// not DynamoDB's.

import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { FINISH_BATCH, type FinishInput, type RunStore } from '../lib/retirement/ports.js';
import { dynamoRunStore } from '../lib/stores/dynamodb-run-store.js';
import { createRunsTable } from '../scripts/runs-table.js';
import { MOTO_AWS_ENV, startSlowMoto } from './lib/moto.js';
import { CLIENT_CPU, canPin, pin, UPSTREAM_CPU } from './lib/pin.js';
import { median, round } from './lib/stats.js';

const args = process.argv.slice(2);
const option = (name: string, fallback: number): number => {
  const at = args.indexOf(name);
  return at >= 0 ? Number(args[at + 1]) : fallback;
};
const DECISIONS = option('--decisions', 990);
const ROUNDS = option('--rounds', 3);
const LATENCY_MS = option('--latency', 0);
/** Lanes of the one-by-one path (apply's RECORD_LANES before). */
const LANES = 4;
const TABLE = 'bench-runs';

const failed: FinishInput = {
  outcome: 'failed',
  error: 'DeadlineReached',
  reason:
    'not queued: apply ran out of time (the delete queue took 0 of 10000 decisions in the time it had); apply the plan again',
  at: '2026-12-01T00:00:00.000Z',
};
const keyOf = (index: number): string => `bj/m-${String(index).padStart(8, '0')}`;

let runs = 0;
const newRun = async (store: RunStore): Promise<string> => {
  runs += 1;
  const runId = `run-${String(runs).padStart(20, '0')}`;
  await store.create({
    runId,
    planId: 'plan-0123456789abcdef01234567',
    provider: 'bcc',
    policyName: 'bench',
    createdAt: '2026-12-01T00:00:00.000Z',
    total: DECISIONS,
  });
  return runId;
};

const oneByOne = async (store: RunStore, runId: string): Promise<void> => {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < DECISIONS) {
      const index = next;
      next += 1;
      await store.finishUnlessDeleteSent(runId, keyOf(index), failed);
    }
  };
  await Promise.all(Array.from({ length: LANES }, lane));
};

const many = async (store: RunStore, runId: string): Promise<void> => {
  for (let start = 0; start < DECISIONS; start += FINISH_BATCH) {
    const end = Math.min(DECISIONS, start + FINISH_BATCH);
    const decisions = [];
    for (let index = start; index < end; index += 1) {
      decisions.push({ imageKey: keyOf(index), result: failed });
    }
    await store.finishManyUnlessDeleteSent(runId, decisions);
  }
};

const main = async (): Promise<void> => {
  Object.assign(process.env, MOTO_AWS_ENV);
  if (canPin()) pin(process.pid, CLIENT_CPU);
  const moto = await startSlowMoto(UPSTREAM_CPU, LATENCY_MS);
  const client = new DynamoDBClient({
    endpoint: moto.endpoint,
    region: MOTO_AWS_ENV.AWS_REGION,
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
  });
  const ways = { 'one by one, 4 at a time': oneByOne, [`${FINISH_BATCH} at once`]: many };
  const times = new Map<string, number[]>(Object.keys(ways).map((name) => [name, []]));
  try {
    await createRunsTable(client, TABLE);
    const store = dynamoRunStore({ table: TABLE, client });
    // Warm-up: connections, the SDK's first-call costs, moto's.
    await many(store, await newRun(store));
    for (let round = 0; round < ROUNDS; round += 1) {
      const entries = Object.entries(ways);
      if (round % 2 === 1) entries.reverse();
      for (const [name, way] of entries) {
        const runId = await newRun(store);
        const started = performance.now();
        await way(store, runId);
        const ms = performance.now() - started;
        const run = await store.readRun(runId);
        if (run?.counts.failed !== DECISIONS || run.status !== 'completed') {
          throw new Error(`${name}: the run has ${run?.counts.failed} failed of ${DECISIONS}`);
        }
        times.get(name)?.push(ms);
        console.log(`round ${round + 1}, ${name}: ${Math.round(ms)} ms`);
      }
    }
  } finally {
    client.destroy();
    await moto.stop();
  }
  console.log(
    `Apply recording, ${DECISIONS} decisions failed, ${LATENCY_MS} ms added to each call, ${ROUNDS} rounds (${canPin() ? 'pinned' : 'not pinned'}):`,
  );
  const perDecision = new Map<string, number>();
  for (const [name, list] of times) {
    const ms = median(list) / DECISIONS;
    perDecision.set(name, ms);
    console.log(
      `  ${name}: ${round(ms, 2)} ms a decision, ${Math.round(ms * FINISH_BATCH)} ms per ${FINISH_BATCH} (${list.map(Math.round).join(', ')} ms)`,
    );
  }
  const [slow, fast] = [...perDecision.values()] as [number, number];
  console.log(`  ${round(slow / fast, 2)}x`);
};

await main();
