// SQS records as the Lambda event source mapping delivers them.

import type { SQSRecord } from 'aws-lambda';

export const QUEUE_ARN = 'arn:aws:sqs:eu-central-1:123456789012:cloud-image-functions-test-delete';

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
