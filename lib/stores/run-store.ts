// The run store the configuration asks for: DynamoDB (RUNS_TABLE) in the stack, a local directory
// (RETIREMENT_STORE_DIR) for npm start and the CLI. The semantics are the port's (ports.ts), the
// same for both; each implementation says how it keeps them.

import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { RunBackend } from '../config/retirement-config.js';
import type { RunStore } from '../retirement/ports.js';
import { dynamoRunStore } from './dynamodb-run-store.js';
import { localRunStore } from './local-run-store.js';

export const createRunStore = (
  backend: RunBackend,
  options: { dynamodb?: DynamoDBClient } = {},
): RunStore =>
  backend.kind === 'dynamodb'
    ? dynamoRunStore({
        table: backend.table,
        ...(options.dynamodb ? { client: options.dynamodb } : {}),
      })
    : localRunStore({ dir: backend.dir });
