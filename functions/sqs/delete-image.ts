// SQS consumer: each message body is a delete task input. Partial batch responses
// (functionResponseType: ReportBatchItemFailures): a record that did not succeed, for whatever
// reason, is reported failed and logged; `already-absent` is a success. Never throws.
import middy from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { deleteBatch, recordConcurrency } from '../../lib/triggers/sqs.js';

const concurrency = recordConcurrency(process.env);

export const handler = middy<SQSEvent, SQSBatchResponse, Error, Context>().handler(
  (event, context) => deleteBatch(event.Records ?? [], context, { concurrency }),
);
