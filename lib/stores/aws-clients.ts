// The S3 and DynamoDB client libraries, loaded on first use only (dynamic import, as
// lib/credentials/secrets-manager.ts does): a function that never touches a store does not
// evaluate the SDK during INIT. Clients take AWS_REGION and AWS_ENDPOINT_URL_S3 /
// AWS_ENDPOINT_URL_DYNAMODB from the environment; the SDK retries transient faults itself
// (standard mode, 3 attempts with backoff), each attempt bounded.

import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';

type S3Module = typeof import('@aws-sdk/client-s3');
type DynamoDBModule = typeof import('@aws-sdk/client-dynamodb');

let s3Module: Promise<S3Module> | undefined;
let dynamoDBModule: Promise<DynamoDBModule> | undefined;

export const loadS3 = (): Promise<S3Module> => {
  s3Module ??= import('@aws-sdk/client-s3');
  return s3Module;
};

export const loadDynamoDB = (): Promise<DynamoDBModule> => {
  dynamoDBModule ??= import('@aws-sdk/client-dynamodb');
  return dynamoDBModule;
};

/** Bounded so that an unreachable endpoint fails the call rather than the whole invocation. */
const REQUEST_HANDLER = { connectionTimeout: 3_000, requestTimeout: 5_000 };

export const createS3Client = async (): Promise<S3Client> => {
  const { S3Client } = await loadS3();
  return new S3Client({ requestHandler: REQUEST_HANDLER });
};

export const createDynamoDBClient = async (): Promise<DynamoDBClient> => {
  const { DynamoDBClient } = await loadDynamoDB();
  return new DynamoDBClient({ requestHandler: REQUEST_HANDLER });
};

/** A client made once, on first use, unless one is given (tests, the composition root). */
export const lazily = <T>(given: T | undefined, make: () => Promise<T>): (() => Promise<T>) => {
  let made: Promise<T> | undefined = given === undefined ? undefined : Promise.resolve(given);
  return () => {
    made ??= make().catch((error: unknown) => {
      made = undefined;
      throw error;
    });
    return made;
  };
};
