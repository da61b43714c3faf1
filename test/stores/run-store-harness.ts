// The two run stores side by side for the contract and concurrency suites: DynamoDB on moto (a
// table made like the stack's: pk/sk strings, on demand) and a local directory. Each test takes
// fresh run ids, so one table and one directory serve a whole file.

import { randomBytes } from 'node:crypto';
import { appendFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient, TransactWriteItemsCommand } from '@aws-sdk/client-dynamodb';
import type { NewRun, RunOutcome, RunStore } from '../../lib/retirement/ports.js';
import { dynamoRunStore } from '../../lib/stores/dynamodb-run-store.js';
import { localRunStore } from '../../lib/stores/local-run-store.js';
import { createRunsTable } from '../../scripts/runs-table.js';
import { type Moto, motoClientConfig, startMoto } from '../support/moto.js';

export const TABLE = 'cif-test-runs';

export const newRunId = (): string => `run-${randomBytes(10).toString('hex')}`;

export const aNewRun = (total: number, runId = newRunId()): NewRun => ({
  runId,
  planId: 'plan-0123456789abcdef01234567',
  provider: 'modelarts',
  policyName: 'stale-training-images',
  createdAt: '2025-06-01T00:00:00.000Z',
  createdBy: 'arn:aws:iam::123456789012:user/alice',
  total,
});

export const imageKeyOf = (index: number): string =>
  `cn-north-4/00000000-0000-4000-8000-${index.toString(16).padStart(12, '0')}`;

export const AT = '2025-06-01T00:05:00.000Z';

export interface RunStoreHarness {
  readonly name: string;
  store(): RunStore;
  /**
   * Records an outcome the way a consumer that died right after finishing would leave it:
   * final and counted, the run not completed.
   */
  recordWithoutCompleting(runId: string, imageKey: string, outcome: RunOutcome): Promise<void>;
  close(): Promise<void>;
}

export const startDynamoHarness = async (): Promise<
  RunStoreHarness & { moto: Moto; client: DynamoDBClient }
> => {
  // Serialized: moto's transactions are not atomic under concurrent requests (see startMoto).
  const moto = await startMoto({ serialized: true });
  const client = new DynamoDBClient(motoClientConfig(moto.endpoint));
  await createRunsTable(client, TABLE);
  return {
    name: 'DynamoDB (moto)',
    moto,
    client,
    store: () => dynamoRunStore({ table: TABLE, client }),
    recordWithoutCompleting: async (runId, imageKey, outcome) => {
      await client.send(
        new TransactWriteItemsCommand({
          TransactItems: [
            {
              Put: {
                TableName: TABLE,
                Item: {
                  pk: { S: `run#${runId}` },
                  sk: { S: `image#${imageKey}` },
                  imageKey: { S: imageKey },
                  state: { S: 'final' },
                  outcome: { S: outcome },
                  claimedAt: { S: AT },
                  finishedAt: { S: AT },
                },
              },
            },
            {
              Update: {
                TableName: TABLE,
                Key: { pk: { S: `run#${runId}` }, sk: { S: 'run' } },
                UpdateExpression: 'ADD #counts.#outcome :one',
                ExpressionAttributeNames: { '#counts': 'counts', '#outcome': outcome },
                ExpressionAttributeValues: { ':one': { N: '1' } },
              },
            },
          ],
        }),
      );
    },
    close: async () => {
      client.destroy();
      await moto.stop();
    },
  };
};

export const startLocalHarness = async (): Promise<RunStoreHarness & { dir: string }> => {
  const dir = await mkdtemp(join(tmpdir(), 'cif-run-store-'));
  return {
    name: 'local directory',
    dir,
    store: () => localRunStore({ dir }),
    recordWithoutCompleting: async (runId, imageKey, outcome) => {
      await appendFile(
        join(dir, 'run-journals', `${runId}.jsonl`),
        `${JSON.stringify({ op: 'finish', imageKey, outcome, at: AT })}\n`,
      );
    },
    close: () => rm(dir, { recursive: true, force: true }),
  };
};
