// Trigger events the Lambda event sources deliver (SQS records, EventBridge events), for tests,
// and the events the local store's publisher wrote.
// HTTP events and Lambda contexts come from scripts/lambda-events.ts (shared with the benchmarks).

import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Message } from '@aws-sdk/client-sqs';
import type { SQSEvent, SQSRecord } from 'aws-lambda';

export const QUEUE_ARN = 'arn:aws:sqs:eu-central-1:123456789012:cloud-image-functions-test-delete';

/** One SQS record as the event source mapping delivers it: its id first, then its body. */
export const sqsRecord = (messageId: string, body: string, receiveCount = 1): SQSRecord => ({
  messageId,
  receiptHandle: `handle-${messageId}`,
  body,
  attributes: {
    ApproximateReceiveCount: String(receiveCount),
    SentTimestamp: String(Date.now()),
    SenderId: 'AIDAEXAMPLE',
    ApproximateFirstReceiveTimestamp: String(Date.now()),
  },
  messageAttributes: {},
  md5OfBody: '',
  eventSource: 'aws:sqs',
  eventSourceARN: QUEUE_ARN,
  awsRegion: 'eu-central-1',
});

/** A message received from a queue (moto's SQS) as the event source mapping hands it to Lambda. */
export const sqsRecordFromMessage = (message: Message): SQSRecord => ({
  messageId: message.MessageId as string,
  receiptHandle: message.ReceiptHandle as string,
  body: message.Body ?? '',
  attributes: {
    ApproximateReceiveCount: message.Attributes?.ApproximateReceiveCount ?? '1',
    SentTimestamp: message.Attributes?.SentTimestamp ?? '0',
    SenderId: message.Attributes?.SenderId ?? '',
    ApproximateFirstReceiveTimestamp: message.Attributes?.ApproximateFirstReceiveTimestamp ?? '0',
  },
  messageAttributes: {},
  md5OfBody: message.MD5OfBody ?? '',
  eventSource: 'aws:sqs',
  eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:retire-delete',
  awsRegion: 'us-east-1',
});

export const sqsEvent = (records: SQSRecord[]): SQSEvent => ({ Records: records });

/**
 * An EventBridge event. "Image Delete Requested" events reach the delete queue through a rule with
 * `InputPath: $.detail` (serverless.yml), so the SQS message body is `JSON.stringify(event.detail)`.
 */
export const eventBridgeEvent = (detail: unknown, detailType = 'Image Delete Requested') => ({
  version: '0',
  id: randomUUID(),
  'detail-type': detailType,
  source: 'test.reliability',
  account: '000000000000',
  time: new Date().toISOString(),
  region: 'eu-central-1',
  resources: [],
  detail,
});

/** The events the local store's publisher appended to RETIREMENT_STORE_DIR/events.jsonl, in order. */
export const eventsPublishedLocally = async (
  store: string,
): Promise<Array<{ detailType: string; detail: Record<string, unknown> }>> =>
  (await readFile(join(store, 'events.jsonl'), 'utf8').catch(() => ''))
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as { 'detail-type': string; detail: Record<string, unknown> })
    .map((event) => ({ detailType: event['detail-type'], detail: event.detail }));
