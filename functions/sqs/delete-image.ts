// SQS consumer: each message body is a delete task input. Partial batch responses
// (functionResponseType: ReportBatchItemFailures): a record that did not succeed, for whatever
// reason, is reported failed and logged; `already-absent` is a success. Throws only for an event
// that is not an SQS event at all (InvalidRequest: a direct invocation with something else).
// Records worked on at once: SQS_RECORD_CONCURRENCY, read with the rest of the retirement
// configuration at the first batch: a malformed value fails every record with the configuration's
// line, as a malformed MAX_RECEIVE_COUNT does.
import middy from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { deleteBatch, sqsRecordsOf } from '../../lib/triggers/sqs.js';

export const handler = middy<SQSEvent, SQSBatchResponse, Error, Context>().handler(
  (event, context) => deleteBatch(sqsRecordsOf(event, context), context),
);
