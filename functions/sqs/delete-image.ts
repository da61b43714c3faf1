// SQS consumer: each message body is a delete task input. Partial batch responses
// (functionResponseType: ReportBatchItemFailures): a record that did not succeed, for whatever
// reason, is reported failed and logged; `already-absent` is a success. Throws only for an event
// that is not an SQS event at all (InvalidRequest: a direct invocation with something else).
import middy from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { deleteBatch, recordConcurrency, sqsRecordsOf } from '../../lib/triggers/sqs.js';

const concurrency = recordConcurrency(process.env);

export const handler = middy<SQSEvent, SQSBatchResponse, Error, Context>().handler(
  (event, context) => deleteBatch(sqsRecordsOf(event, context), context, { concurrency }),
);
