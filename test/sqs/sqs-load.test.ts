// Load and reconciliation: over a thousand delete requests through the real SQS consumer, with
// about 10 % of upstream requests failing (seeded emulator faults: 429, 503, connection resets,
// resets after the delete was done), on a real SQS API: moto_server on loopback, with a redrive
// policy (maxReceiveCount 5) to a dead-letter queue. A producer sends in batches of 10, keeping
// about 100 messages waiting; pollers play the Lambda event source mapping:
// receive up to 10, invoke the handler, delete the records it did not report failed; a failed
// record becomes visible again after the visibility timeout and, after its 5th receive, moto moves
// it to the DLQ (as SQS does).
//
// Then every message is accounted for: deleted from the queue after success or in the DLQ, never
// both, none missing, and no image deleted twice upstream (emulator deleteCount <= 1).
//
// Time is scaled down: the consumer gets 1 s per batch (0.5 s for upstream work after the
// response margin) and the visibility timeout is 3 s, i.e. 6x the upstream budget, so that a batch
// can never outlive its messages' visibility (the rule serverless.yml follows at full scale).

import { randomUUID } from 'node:crypto';
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SEEDED } from '../../emulator/demo.js';
import { handler } from '../../functions/sqs/delete-image.js';
import { lambdaContext } from '../../scripts/lambda-events.js';
import { sqsRecordFromMessage } from '../support/events.js';
import { useFixture } from '../support/fixture.js';
import { motoClientConfig, skipWithoutMoto } from '../support/moto.js';

const IMAGES_PER_PROVIDER = 500;
const MALFORMED = 20;
const PROTECTED = 20;
const DUPLICATES = 20;
const MAX_RECEIVE_COUNT = 5;
const VISIBILITY_TIMEOUT_S = 3;
const LAMBDA_BUDGET_MS = 1_000;
const POLLERS = 5;

type Intent =
  | { kind: 'delete'; provider: 'modelarts' | 'bcc'; imageId: string }
  | { kind: 'malformed' }
  | { kind: 'protected'; provider: 'modelarts' | 'bcc'; imageId: string };

/** Log lines by level (the summary's figure). */
const logLevels = (lines: ReadonlyArray<Record<string, unknown>>): Record<string, number> => {
  const counts: Record<string, number> = {};
  for (const line of lines) counts[String(line.level)] = (counts[String(line.level)] ?? 0) + 1;
  return counts;
};

const modelartsId = (index: number): string =>
  `10ad0000-0000-4000-8000-${index.toString(16).padStart(12, '0')}`;
const bccId = (index: number): string => `m-load${index.toString().padStart(5, '0')}`;

describe.skipIf(skipWithoutMoto('SQS load test'))('SQS consumer under load (moto SQS)', () => {
  const fixture = useFixture({
    env: {
      UPSTREAM_RETRY_BASE_MS: '5',
      UPSTREAM_THROTTLE_BASE_MS: '10',
      LOG_LEVEL: 'warn',
      // Correctness under faults, not pacing (the apply load test measures that).
      UPSTREAM_RATE_LIMITS: 'modelarts=5000,bcc=5000',
    },
    moto: true,
  });
  let sqs: SQSClient;

  beforeAll(() => {
    sqs = new SQSClient(motoClientConfig(fixture.moto.endpoint));
  });

  afterAll(() => {
    sqs?.destroy();
  });

  it('loses nothing, duplicates no delete, and reconciles every message', async () => {
    // Prepare: images, faults, queues, messages.
    const modelartsTemplate = fixture.emulator.state.modelarts.get(SEEDED.modelarts.custom);
    const bccTemplate = fixture.emulator.state.bcc.get(SEEDED.bcc.custom);
    if (modelartsTemplate === undefined || bccTemplate === undefined) throw new Error('no seeds');
    const intents: Intent[] = [];
    for (let index = 0; index < IMAGES_PER_PROVIDER; index += 1) {
      const ma = modelartsId(index);
      const bc = bccId(index);
      fixture.emulator.state.modelarts.set({ ...modelartsTemplate, id: ma, name: `load-${index}` });
      fixture.emulator.state.bcc.set({ ...bccTemplate, id: bc, name: `load-${index}` });
      intents.push({ kind: 'delete', provider: 'modelarts', imageId: ma });
      intents.push({ kind: 'delete', provider: 'bcc', imageId: bc });
    }
    for (let index = 0; index < DUPLICATES; index += 1) {
      const image = index % 2 === 0 ? modelartsId(index * 7) : bccId(index * 11);
      intents.push({
        kind: 'delete',
        provider: index % 2 === 0 ? 'modelarts' : 'bcc',
        imageId: image,
      });
    }
    for (let index = 0; index < MALFORMED; index += 1) intents.push({ kind: 'malformed' });
    for (let index = 0; index < PROTECTED; index += 1) {
      intents.push(
        index % 2 === 0
          ? { kind: 'protected', provider: 'modelarts', imageId: SEEDED.modelarts.builtIn }
          : { kind: 'protected', provider: 'bcc', imageId: SEEDED.bcc.system },
      );
    }
    // Shuffle deterministically so duplicates and poison messages are spread over the batches.
    let seed = 42;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let index = intents.length - 1; index > 0; index -= 1) {
      const other = Math.floor(random() * (index + 1));
      [intents[index], intents[other]] = [intents[other] as Intent, intents[index] as Intent];
    }

    // ~10 % of upstream requests fail: four faults of ~2.6 % each, seeded.
    const faults = [
      { kind: 'status', status: 429 },
      { kind: 'status', status: 503 },
      { kind: 'reset' },
      { kind: 'reset', afterHandling: true },
    ] as const;
    for (const [index, action] of faults.entries()) {
      fixture.emulator.faults.inject({ probability: 0.026, seed: 1000 + index, action });
    }

    const dlq = await sqs.send(new CreateQueueCommand({ QueueName: `retire-dlq-${randomUUID()}` }));
    const dlqArn = (
      await sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: dlq.QueueUrl, AttributeNames: ['QueueArn'] }),
      )
    ).Attributes?.QueueArn;
    const queue = await sqs.send(
      new CreateQueueCommand({
        QueueName: `retire-delete-${randomUUID()}`,
        Attributes: {
          VisibilityTimeout: String(VISIBILITY_TIMEOUT_S),
          RedrivePolicy: JSON.stringify({
            deadLetterTargetArn: dlqArn,
            maxReceiveCount: MAX_RECEIVE_COUNT,
          }),
        },
      }),
    );
    const queueUrl = queue.QueueUrl as string;
    const dlqUrl = dlq.QueueUrl as string;

    // Act: pollers as the event source mapping.
    const figures = {
      batches: 0,
      records: 0,
      failuresReported: 0,
      redeliveries: 0,
      maxBatch: 0,
      unknownFailureIds: 0,
      duplicateDeliveries: 0,
      /** Longest time from receive to delete: must stay below the visibility timeout. */
      maxHoldMs: 0,
    };
    const deletedFromQueue = new Set<string>();
    const deleteFailures: string[] = [];
    let dlqCount = 0;
    const accounted = () => deletedFromQueue.size + dlqCount >= intents.length;
    const countDlq = async () => {
      const attributes = await sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl: dlqUrl,
          AttributeNames: ['ApproximateNumberOfMessages'],
        }),
      );
      dlqCount = Number(attributes.Attributes?.ApproximateNumberOfMessages ?? 0);
    };
    const deadline = Date.now() + 50_000;
    const started = performance.now();

    // moto's SQS is neither fast on a deep queue (each receive costs O(depth x messages)) nor safe
    // for a receive racing a delete (it can hand out, or fail on, a message being deleted). So
    // one SQS call at a time, and a producer that keeps about 100 messages waiting, as a steady
    // sender would; the handler invocations still overlap (POLLERS at once).
    let sqsTurn: Promise<unknown> = Promise.resolve();
    const serially = <T>(call: () => Promise<T>): Promise<T> => {
      const result = sqsTurn.then(call, call);
      sqsTurn = result.catch(() => undefined);
      return result;
    };
    const intentOf = new Map<string, Intent>();
    const producer = async (): Promise<void> => {
      for (let offset = 0; offset < intents.length; offset += 10) {
        while (intentOf.size - deletedFromQueue.size - dlqCount > 100 && Date.now() < deadline) {
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        const chunk = intents.slice(offset, offset + 10);
        const sent = await serially(() =>
          sqs.send(
            new SendMessageBatchCommand({
              QueueUrl: queueUrl,
              Entries: chunk.map((intent, index) => ({
                Id: String(index),
                MessageBody:
                  intent.kind === 'malformed'
                    ? `{"provider":"modelarts","imageId":${index}`
                    : JSON.stringify({ provider: intent.provider, imageId: intent.imageId }),
              })),
            }),
          ),
        );
        expect(sent.Failed ?? []).toEqual([]);
        for (const entry of sent.Successful ?? []) {
          intentOf.set(entry.MessageId as string, chunk[Number(entry.Id)] as Intent);
        }
      }
    };
    const invoke = handler as (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

    const poller = async (): Promise<void> => {
      while (!accounted() && Date.now() < deadline) {
        const received = await serially(() =>
          sqs.send(
            new ReceiveMessageCommand({
              QueueUrl: queueUrl,
              MaxNumberOfMessages: 10,
              // Short polls: a long poll would hold up every other call.
              WaitTimeSeconds: 0,
              MessageSystemAttributeNames: ['All'],
            }),
          ),
        );
        const messages = received.Messages ?? [];
        if (messages.length === 0) {
          await serially(countDlq);
          await new Promise((resolve) => setTimeout(resolve, 100));
          continue;
        }
        const receivedAt = performance.now();
        const records = messages.map(sqsRecordFromMessage);
        figures.batches += 1;
        figures.records += records.length;
        figures.maxBatch = Math.max(figures.maxBatch, records.length);
        figures.redeliveries += records.filter(
          (record) => Number(record.attributes.ApproximateReceiveCount) > 1,
        ).length;

        const response = await invoke({ Records: records }, lambdaContext(LAMBDA_BUDGET_MS));

        const ids = new Set(records.map((record) => record.messageId));
        const failed = new Set(response.batchItemFailures.map((item) => item.itemIdentifier));
        figures.failuresReported += failed.size;
        for (const id of failed) if (!ids.has(id)) figures.unknownFailureIds += 1;
        const succeeded = records.filter((record) => !failed.has(record.messageId));
        if (succeeded.length > 0) {
          const deleted = await serially(() =>
            sqs.send(
              new DeleteMessageBatchCommand({
                QueueUrl: queueUrl,
                Entries: succeeded.map((record, index) => ({
                  Id: String(index),
                  ReceiptHandle: record.receiptHandle,
                })),
              }),
            ),
          );
          // moto's receive can race its own delete and hand out a message being deleted; deleting
          // that copy then fails. Only a message we had already deleted may fail to delete.
          const alreadyDeleted = new Set<string>();
          for (const failure of deleted.Failed ?? []) {
            const record = succeeded[Number(failure.Id)];
            if (record !== undefined && deletedFromQueue.has(record.messageId)) {
              alreadyDeleted.add(record.messageId);
            } else {
              deleteFailures.push(`${record?.messageId}: ${failure.Code}`);
            }
          }
          figures.maxHoldMs = Math.max(
            figures.maxHoldMs,
            Math.round(performance.now() - receivedAt),
          );
          for (const record of succeeded) {
            // Received again after we had deleted it: SQS is at-least-once (and moto's receive
            // races its delete). The consumer must shrug it off (no second upstream delete).
            if (deletedFromQueue.has(record.messageId) || alreadyDeleted.has(record.messageId)) {
              figures.duplicateDeliveries += 1;
            }
            deletedFromQueue.add(record.messageId);
          }
        }
      }
    };
    await Promise.all([producer(), ...Array.from({ length: POLLERS }, poller)]);
    expect(intentOf.size).toBe(intents.length);
    const durationMs = Math.round(performance.now() - started);

    // Assess: drain the DLQ and reconcile.
    const inDlq = new Set<string>();
    for (;;) {
      const drained = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: dlqUrl,
          MaxNumberOfMessages: 10,
          VisibilityTimeout: 60,
        }),
      );
      const messages = drained.Messages ?? [];
      if (messages.length === 0) break;
      for (const message of messages) inDlq.add(message.MessageId as string);
    }

    const sentIds = [...intentOf.keys()];
    const missing = sentIds.filter((id) => !deletedFromQueue.has(id) && !inDlq.has(id));
    const both = sentIds.filter((id) => deletedFromQueue.has(id) && inDlq.has(id));
    const strangers = [...deletedFromQueue, ...inDlq].filter((id) => !intentOf.has(id));
    const requests = fixture.emulator.requests;
    const faultHits = requests.filter((request) => request.fault !== undefined).length;

    const summary = {
      messages: intents.length,
      customImages: IMAGES_PER_PROVIDER * 2,
      duplicates: DUPLICATES,
      poison: { malformed: MALFORMED, protected: PROTECTED },
      batches: figures.batches,
      recordsProcessed: figures.records,
      failuresReported: figures.failuresReported,
      redeliveries: figures.redeliveries,
      deletedFromQueue: deletedFromQueue.size,
      duplicateDeliveries: figures.duplicateDeliveries,
      dlq: inDlq.size,
      maxReceiveToDeleteMs: figures.maxHoldMs,
      upstreamRequests: requests.length,
      upstreamFaults: faultHits,
      upstreamFaultRate: Number((faultHits / requests.length).toFixed(3)),
      logLines: logLevels(fixture.log.lines),
      durationMs,
    };
    console.log(`SQS load test figures: ${JSON.stringify(summary)}`);

    expect(deleteFailures).toEqual([]);
    expect(missing).toEqual([]);
    expect(both).toEqual([]);
    expect(strangers).toEqual([]);
    expect(figures.unknownFailureIds).toBe(0);
    expect(figures.maxBatch).toBeLessThanOrEqual(10);
    expect(faultHits / requests.length).toBeGreaterThan(0.05);

    // Every poison message reached the DLQ after maxReceiveCount receives; every delete succeeded.
    for (const [id, intent] of intentOf) {
      if (intent.kind === 'delete') {
        expect(deletedFromQueue.has(id), `delete ${intent.imageId}`).toBe(true);
      } else {
        expect(inDlq.has(id), `${intent.kind} message`).toBe(true);
      }
    }
    expect(figures.redeliveries).toBeGreaterThanOrEqual(
      (MALFORMED + PROTECTED) * (MAX_RECEIVE_COUNT - 1),
    );

    // Upstream: every image asked for is gone, and none was deleted twice.
    for (let index = 0; index < IMAGES_PER_PROVIDER; index += 1) {
      expect(fixture.emulator.state.modelarts.has(modelartsId(index))).toBe(false);
      expect(fixture.emulator.state.bcc.has(bccId(index))).toBe(false);
      expect(fixture.emulator.state.deleteCount('modelarts', modelartsId(index))).toBe(1);
      expect(fixture.emulator.state.deleteCount('bcc', bccId(index))).toBe(1);
    }
    expect(fixture.emulator.state.modelarts.has(SEEDED.modelarts.builtIn)).toBe(true);
    expect(fixture.emulator.state.bcc.has(SEEDED.bcc.system)).toBe(true);
  }, 90_000);
});
