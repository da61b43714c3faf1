// The runs table as serverless.yml's RunsTable declares it (pk/sk strings, on demand), made in
// moto for the tests that run the DynamoDB run store. test/deploy/template.test.ts checks the
// template's side.

import { CreateTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';

export const createRunsTable = async (client: DynamoDBClient, tableName: string): Promise<void> => {
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
      ],
    }),
  );
};
