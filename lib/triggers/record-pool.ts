// Records through a bounded pool: every record settles exactly once (one result per record, in
// batch order), records with the same key run one after another, and no worker failure (or keyOf
// failure) escapes. The partial batch response names only records of this batch.

import type { SQSBatchResponse, SQSRecord } from 'aws-lambda';

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
  batchItemFailures: [
    ...new Set(results.filter((result) => !result.ok).map((result) => result.messageId)),
  ].map((itemIdentifier) => ({ itemIdentifier })),
});
