// The local stand-in for the delete queue and its event source mapping (npm start, tests): the
// apply route writes each retire decision as a file under <RETIREMENT_STORE_DIR>/queue/pending/
// (lib/stores/local-delete-queue.ts); this worker hands them, ten at a time, to the same SQS
// consumer the stack runs (functions/sqs/delete-image.ts), deletes what it did not report failed,
// and hands a failed one back until its last receive, after which it moves to queue/dead/ (the
// dead-letter queue). One worker per directory.

import { readdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { handler } from '../functions/sqs/delete-image.js';
import { makeFolder } from '../lib/files/make-folder.js';
import { type LocalQueueEntry, localQueueDir } from '../lib/stores/local-delete-queue.js';
import { writeFileAtomic } from '../lib/stores/local-files.js';
import { lambdaContext } from './lambda-events.js';

export interface DrainOptions {
  /** The store directory (RETIREMENT_STORE_DIR). */
  dir: string;
  /** The queue's maxReceiveCount (MAX_RECEIVE_COUNT, 5 by default). */
  maxReceiveCount?: number;
  /** Records per batch (the event source mapping's batchSize). */
  batchSize?: number;
  /** Time each batch's invocation gets. */
  remainingMs?: number;
  /** Times it goes through the waiting messages (each delivered once a round); until none is left when absent. */
  rounds?: number;
}

export interface DrainResult {
  batches: number;
  processed: number;
  failed: number;
  dead: number;
}

const recordOf = (entry: LocalQueueEntry): SQSRecord => ({
  messageId: entry.messageId,
  receiptHandle: entry.messageId,
  body: entry.body,
  attributes: {
    ApproximateReceiveCount: String(entry.receiveCount),
    SentTimestamp: '0',
    SenderId: 'local',
    ApproximateFirstReceiveTimestamp: '0',
  },
  messageAttributes: {},
  md5OfBody: '',
  eventSource: 'aws:sqs',
  eventSourceARN: 'arn:aws:sqs:local:000000000000:local-delete-queue',
  awsRegion: 'local',
});

/** A queue file's message, or undefined when the file does not hold one. */
const entryOf = (text: string): LocalQueueEntry | undefined => {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (value === null || typeof value !== 'object') return undefined;
  const { messageId, body, receiveCount } = value as Record<string, unknown>;
  return typeof messageId === 'string' &&
    messageId !== '' &&
    typeof body === 'string' &&
    typeof receiveCount === 'number' &&
    Number.isInteger(receiveCount) &&
    receiveCount >= 0
    ? { messageId, body, receiveCount }
    : undefined;
};

const consume = handler as (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

/** Works through every message waiting now (and those that come back), until none is left. */
export const drainLocalQueue = async (options: DrainOptions): Promise<DrainResult> => {
  const pending = localQueueDir(options.dir);
  const dead = join(options.dir, 'queue', 'dead');
  const maxReceives = options.maxReceiveCount ?? 5;
  const result: DrainResult = { batches: 0, processed: 0, failed: 0, dead: 0 };
  await makeFolder(pending);
  for (let round = 1; ; round += 1) {
    const files = (await readdir(pending)).filter((name) => name.endsWith('.json')).sort();
    if (files.length === 0 || round > (options.rounds ?? Number.POSITIVE_INFINITY)) return result;
    for (let start = 0; start < files.length; start += options.batchSize ?? 10) {
      const batch = files.slice(start, start + (options.batchSize ?? 10));
      // Each entry with the file it came from: what is done with it is done to that file.
      const entries: Array<LocalQueueEntry & { file: string }> = [];
      for (const file of batch) {
        const entry = entryOf(await readFile(join(pending, file), 'utf8'));
        if (entry === undefined) {
          // Not a message (a file cut short, or written by hand): SQS holds no such thing, so it
          // goes to the dead-letter folder at once instead of stopping the queue at every poll.
          console.error(
            `Delete queue: ${file} is not a queued message ({messageId, body, receiveCount}); moved to queue/dead/`,
          );
          result.dead += 1;
          await makeFolder(dead);
          await rename(join(pending, file), join(dead, file));
          continue;
        }
        entries.push({ ...entry, receiveCount: entry.receiveCount + 1, file });
      }
      if (entries.length === 0) continue;
      const response = await consume(
        { Records: entries.map(recordOf) },
        lambdaContext(options.remainingMs ?? 60_000),
      );
      result.batches += 1;
      const failed = new Set(response.batchItemFailures.map((item) => item.itemIdentifier));
      for (const { file, ...entry } of entries) {
        const path = join(pending, file);
        result.processed += 1;
        if (!failed.has(entry.messageId)) {
          await rm(path, { force: true });
        } else if (entry.receiveCount >= maxReceives) {
          result.dead += 1;
          await makeFolder(dead);
          await rename(path, join(dead, file));
        } else {
          result.failed += 1;
          await writeFileAtomic(path, JSON.stringify(entry));
        }
      }
    }
  }
};
