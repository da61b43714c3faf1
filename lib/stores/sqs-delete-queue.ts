// The delete queue over SQS: SendMessageBatch in batches of ten, entries the batch reports failed
// sent again (the SDK retries whole calls), and what still fails handed back, so that apply
// records those decisions `failed` instead of waiting for outcomes that cannot come. Apply's
// signal ends a send: a call still waiting is given up (its batch handed back) and none started.

import type { SQSClient } from '@aws-sdk/client-sqs';
import { type DeleteQueue, QUEUE_BATCH, type RunMessage } from '../retirement/ports.js';
import { lazily } from './aws-clients.js';

type SqsModule = typeof import('@aws-sdk/client-sqs');
let sqsModule: Promise<SqsModule> | undefined;

const loadSqs = (): Promise<SqsModule> => {
  sqsModule ??= import('@aws-sdk/client-sqs');
  return sqsModule;
};

const createSqsClient = async (): Promise<SQSClient> => {
  const { SQSClient } = await loadSqs();
  return new SQSClient({ requestHandler: { connectionTimeout: 3_000, requestTimeout: 5_000 } });
};

/** Tries per batch for the entries SQS reports failed. */
const ENTRY_ATTEMPTS = 3;

export interface SqsDeleteQueueOptions {
  queueUrl: string;
  client?: SQSClient;
}

export const sqsDeleteQueue = (options: SqsDeleteQueueOptions): DeleteQueue => {
  const client = lazily(options.client, createSqsClient);
  return {
    async send(messages, sendOptions = {}) {
      const { signal } = sendOptions;
      const { SendMessageBatchCommand } = await loadSqs();
      const sqs = await client();
      const unsent: RunMessage[] = [];
      for (let start = 0; start < messages.length; start += QUEUE_BATCH) {
        let pending = messages.slice(start, start + QUEUE_BATCH).map((message, index) => ({
          id: String(index),
          message,
        }));
        for (
          let attempt = 1;
          pending.length > 0 && attempt <= ENTRY_ATTEMPTS && signal?.aborted !== true;
          attempt += 1
        ) {
          try {
            const result = await sqs.send(
              new SendMessageBatchCommand({
                QueueUrl: options.queueUrl,
                Entries: pending.map(({ id, message }) => ({
                  Id: id,
                  MessageBody: JSON.stringify(message),
                })),
              }),
              signal === undefined ? {} : { abortSignal: signal },
            );
            const failed = new Set((result.Failed ?? []).map((entry) => entry.Id));
            pending = pending.filter(({ id }) => failed.has(id));
          } catch {
            // The SDK has retried the call already; try the batch once more, then give up on it.
            if (attempt === ENTRY_ATTEMPTS) break;
          }
        }
        unsent.push(...pending.map(({ message }) => message));
      }
      return unsent;
    },
  };
};
