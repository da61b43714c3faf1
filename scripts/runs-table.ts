// The runs table as serverless.yml's RunsTable declares it (pk/sk strings, on demand), made in
// moto for the tests and benches that run the DynamoDB run store. test/deploy/template.test.ts checks that the
// template declares this same definition.

import { CreateTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';

/** Billing mode, key schema and attribute definitions of RunsTable. */
export const RUNS_TABLE_DEFINITION = {
  BillingMode: 'PAY_PER_REQUEST',
  KeySchema: [
    { AttributeName: 'pk', KeyType: 'HASH' },
    { AttributeName: 'sk', KeyType: 'RANGE' },
  ],
  AttributeDefinitions: [
    { AttributeName: 'pk', AttributeType: 'S' },
    { AttributeName: 'sk', AttributeType: 'S' },
  ],
} as const;

export const createRunsTable = async (client: DynamoDBClient, tableName: string): Promise<void> => {
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: RUNS_TABLE_DEFINITION.BillingMode,
      KeySchema: [...RUNS_TABLE_DEFINITION.KeySchema],
      AttributeDefinitions: [...RUNS_TABLE_DEFINITION.AttributeDefinitions],
    }),
  );
};
