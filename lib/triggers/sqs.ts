// SQS: each message body is a delete task input. Records are handled one by one (a poison message
// cannot fail its batch), with bounded concurrency, within the invocation's one deadline, and the
// answer is a partial batch response: every record that did not succeed is reported failed, so the
// queue redelivers it and, after maxReceiveCount receives, moves it to the dead-letter queue.
// Nothing is dropped silently and no message id is reported that was not in the batch (Lambda
// would then retry the whole batch).
//
// Retry layers on this path: the in-Lambda retry policy (UPSTREAM_MAX_ATTEMPTS, 3 by default) for
// transient upstream faults, then the queue's redelivery for what still fails.

import type { Context, SQSBatchResponse, SQSRecord } from 'aws-lambda';
import * as z from 'zod';
import { isImageError } from '../errors.js';
import { deleteImage } from '../images/operations.js';
import { createLogger, type Logger } from '../log.js';
import { metricFields } from '../metrics.js';
import type { UpstreamCall } from '../providers/provider.js';
import {
  type Invocation,
  recordingRegion,
  startInvocation,
  traceIdOf,
  upstreamSummary,
} from '../runtime.js';
import { type DeleteInput, deleteInputSchema, parseJsonInput } from '../validation.js';

// ---------------------------------------------------------------------------------------------
// Generic: records through a bounded pool

export type RecordResult =
  | { messageId: string; ok: true; value: unknown }
  | { messageId: string; ok: false; reason: unknown };

export interface ProcessOptions {
  /** Records (lanes) in flight at once; at least 1. */
  concurrency: number;
  /**
   * Records with the same key are handled one after the other, in batch order (two messages for
   * the same image never race each other); undefined = no ordering constraint.
   */
  keyOf?: (record: SQSRecord) => string | undefined;
}

/**
 * Runs `worker` once for each record and settles every one of them: the result array has exactly
 * one entry per record, in batch order. Never rejects, whatever the worker (or keyOf) throws.
 */
export const processRecords = async (
  records: readonly SQSRecord[],
  worker: (record: SQSRecord) => Promise<unknown>,
  options: ProcessOptions,
): Promise<RecordResult[]> => {
  const results: RecordResult[] = new Array(records.length);
  const lanes = new Map<string, number[]>();
  const order: number[][] = [];
  records.forEach((record, index) => {
    let key: string | undefined;
    try {
      key = options.keyOf?.(record);
    } catch {
      key = undefined;
    }
    const existing = key === undefined ? undefined : lanes.get(key);
    if (existing !== undefined) {
      existing.push(index);
      return;
    }
    const lane = [index];
    order.push(lane);
    if (key !== undefined) lanes.set(key, lane);
  });

  const runOne = async (index: number): Promise<void> => {
    const record = records[index] as SQSRecord;
    try {
      results[index] = { messageId: record.messageId, ok: true, value: await worker(record) };
    } catch (reason) {
      results[index] = { messageId: record.messageId, ok: false, reason };
    }
  };

  let next = 0;
  const pool = Array.from(
    { length: Math.max(1, Math.min(Math.floor(options.concurrency) || 1, order.length)) },
    async () => {
      while (next < order.length) {
        const lane = order[next++] as number[];
        for (const index of lane) await runOne(index);
      }
    },
  );
  await Promise.all(pool);
  return results;
};

/** The partial batch response: the failed records' ids, each once, and only ids of this batch. */
export const batchResponse = (results: readonly RecordResult[]): SQSBatchResponse => ({
  batchItemFailures: results
    .filter((result) => !result.ok)
    .map((result) => ({ itemIdentifier: result.messageId })),
});

// ---------------------------------------------------------------------------------------------
// The delete consumer

/** Below this much time left, a record is not started: it is reported failed and comes back. */
export const MIN_RECORD_MS = 250;

/** The longest a batch may spend upstream when the context does not say. */
const SQS_CAP_MS = 900_000;

export const DEFAULT_RECORD_CONCURRENCY = 4;

/** SQS_RECORD_CONCURRENCY (1 to 10); the default when unset or empty. */
export const recordConcurrency = (env: Record<string, string | undefined>): number => {
  const value = env.SQS_RECORD_CONCURRENCY;
  if (value === undefined || value === '') return DEFAULT_RECORD_CONCURRENCY;
  const parsed = z.coerce.number().int().min(1).max(10).safeParse(value);
  return parsed.success ? parsed.data : DEFAULT_RECORD_CONCURRENCY;
};

/** Why a record failed, for the caller of processRecords (kept out of the batch response). */
class RecordFailure extends Error {
  override readonly name = 'RecordFailure';
}

const receiveCountOf = (record: SQSRecord): number | undefined => {
  const count = Number(record.attributes?.ApproximateReceiveCount);
  return Number.isFinite(count) ? count : undefined;
};

/** Same image, same lane: provider, region (as given) and image id of a well-formed body. */
const imageKeyOf = (record: SQSRecord): string | undefined => {
  try {
    const input = parseJsonInput(deleteInputSchema, record.body);
    return `${input.provider}\u0000${input.region ?? ''}\u0000${input.imageId}`;
  } catch {
    return undefined;
  }
};

const deleteOne = async (
  record: SQSRecord,
  invocation: Invocation,
  batchLog: Logger,
): Promise<string> => {
  const started = performance.now();
  const receiveCount = receiveCountOf(record);
  let log = batchLog.child({
    messageId: record.messageId,
    correlationId: record.messageId,
    traceId: traceIdOf(record.attributes?.AWSTraceHeader),
    receiveCount,
  });
  const calls: UpstreamCall[] = [];
  const recording = recordingRegion(invocation.deps.providers);
  // Time, upstream summary, the region resolved, and the record's EMF metrics (lib/metrics.ts).
  const elapsed = (outcome: string, error?: string, input?: DeleteInput) => ({
    region: recording.region() ?? input?.region,
    durationMs: Math.round(performance.now() - started),
    ...upstreamSummary(calls),
    ...metricFields({ provider: input?.provider, operation: 'delete', outcome, error, calls }),
  });

  if (invocation.deadline.remainingMs() < MIN_RECORD_MS) {
    log.warn('message not processed: the invocation is about to time out; it will be redelivered', {
      outcome: 'failed',
      error: 'DeadlineReached',
      ...elapsed('failed', 'DeadlineReached'),
    });
    throw new RecordFailure('deadline reached');
  }

  let input: DeleteInput;
  try {
    input = parseJsonInput(deleteInputSchema, record.body);
  } catch (error) {
    const name = isImageError(error) ? error.name : 'InternalError';
    log.error(
      'message rejected: its body is not a valid delete request; it will reach the dead-letter queue after maxReceiveCount receives',
      {
        outcome: 'failed',
        error: name,
        reason: error instanceof Error ? error.message : String(error),
        bodyBytes: Buffer.byteLength(record.body ?? '', 'utf8'),
        ...elapsed('failed', name),
      },
    );
    throw new RecordFailure('invalid body');
  }
  log = log.child({ provider: input.provider, imageId: input.imageId, region: input.region });

  try {
    const result = await deleteImage(input, {
      ...invocation.deps,
      providers: recording.providers,
      context: { ...invocation.deps.context, calls },
    });
    log.info('message processed', {
      outcome: result.outcome,
      ...elapsed(result.outcome, undefined, input),
    });
    return result.outcome;
  } catch (error) {
    const known = isImageError(error);
    const name = known ? error.name : 'InternalError';
    const entry = {
      outcome: 'failed',
      error: name,
      errorMessage: error instanceof Error ? error.message : String(error),
      ...(known ? { upstream: error.upstream } : { stack: (error as Error | undefined)?.stack }),
      ...elapsed('failed', name, input),
    };
    if (known && error.retryable) {
      log.warn('message failed (transient); it will be redelivered', entry);
    } else {
      log.error(
        'message failed (not retryable); it will be redelivered and reach the dead-letter queue after maxReceiveCount receives',
        entry,
      );
    }
    throw new RecordFailure(entry.error);
  }
};

export interface DeleteBatchOptions {
  concurrency: number;
}

/**
 * The SQS delete consumer's whole work for one event: never throws. If the invocation cannot even
 * start (a configuration error), every record is reported failed and the reason is logged.
 */
export const deleteBatch = async (
  records: readonly SQSRecord[],
  context: Partial<Context> | undefined,
  options: DeleteBatchOptions,
): Promise<SQSBatchResponse> => {
  const baseFields = { trigger: 'sqs', operation: 'delete', requestId: context?.awsRequestId };
  let invocation: Invocation;
  try {
    invocation = startInvocation(context, { capMs: SQS_CAP_MS }, baseFields);
  } catch (error) {
    createLogger('info', baseFields).error('batch not processed: the invocation could not start', {
      outcome: 'failed',
      records: records.length,
      error: isImageError(error) ? error.name : 'InternalError',
      errorMessage: error instanceof Error ? error.message : String(error),
    });
    return {
      batchItemFailures: records.map((record) => ({ itemIdentifier: record.messageId })),
    };
  }

  const results = await processRecords(
    records,
    (record) => deleteOne(record, invocation, invocation.log),
    { concurrency: options.concurrency, keyOf: imageKeyOf },
  );
  const response = batchResponse(results);
  const outcomes: Record<string, number> = {};
  for (const result of results) {
    const key = result.ok ? String(result.value) : 'failed';
    outcomes[key] = (outcomes[key] ?? 0) + 1;
  }
  invocation.log.info('batch completed', {
    records: records.length,
    failed: response.batchItemFailures.length,
    outcomes,
    durationMs: Math.round(performance.now() - invocation.startedAt),
  });
  return response;
};
