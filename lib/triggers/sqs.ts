// SQS: each message body is a delete task input. Records are handled one by one (a poison message
// cannot fail its batch) through the record pool, with bounded concurrency, within the batch's one
// deadline; each record is an invocation of its own (the pipeline's start, its own log line and
// metrics). The answer is a partial batch response: every record that did not succeed is reported
// failed, so the queue redelivers it and, after maxReceiveCount receives, moves it to the
// dead-letter queue. Nothing is dropped silently. Each request's outcome is one event: its
// success, or its failure on the last receive (a failure that comes back is a log line only). A
// run's decision whose events did not reach the bus is reported failed too: its redelivery
// publishes them from the run store (the outcome stays as recorded). The records' events go out
// together at the batch's end, in time the batch keeps back for them (the publisher's reserve):
// records are not started, and their upstream work ends, that much before the batch's deadline,
// which bounds the publish; what the bus has not taken by then is lost like a refused publish.
// A body shaped like a run's message is worked on only when it is a retire decision its plan made
// (lib/retirement/run-message-check.ts); any other is refused as an invalid body is. One that is
// exactly a retire decision of a plan that can no longer be verified (made by an earlier version
// of the planner) is recorded `failed` with why, deleting nothing: its decision still ends.
//
// Retry layers on this path: the in-Lambda retry policy (UPSTREAM_MAX_ATTEMPTS, 3 by default) for
// transient upstream faults, then the queue's redelivery for what still fails.

import type { Context, SQSBatchResponse, SQSRecord } from 'aws-lambda';
import { isImageError } from '../errors/errors.js';
import type { DeleteRequest } from '../images/delete-image.js';
import { createLogger, type Logger } from '../log/log.js';
import type { PlannedImage } from '../retirement/plan.js';
import { UnverifiablePlan } from '../retirement/plan-integrity.js';
import type { RunMessage } from '../retirement/ports.js';
import { DeleteUnderWay, type Retired, type RetireOptions } from '../retirement/retire-one.js';
import { queuePacer } from '../runtime/composition.js';
import { type Invocation, startInvocation, traceIdOf } from '../runtime/invocation.js';
import { deleteAbandonedReported, deleteReported } from '../runtime/reported-delete.js';
import { abandonReported, retireReported } from '../runtime/reported-retirement.js';
import {
  bounded,
  type Completion,
  failed,
  recordedFailure,
  succeeded,
} from '../runtime/request-line.js';
import { retirementServices } from '../runtime/retirement-services.js';
import * as z from '../schema/zod.js';
import {
  deleteInputSchema,
  parseInput,
  parseJsonInput,
  runMessageSchema,
} from '../validation/inputs.js';
import { checkConfigurationOnce, safeLogLevel } from './pipeline.js';
import { batchResponse, processRecords, type RecordResult } from './record-pool.js';

/**
 * Below this much time left before the records' deadline (the batch's, less the publish reserve),
 * a record is not started: it is reported failed and comes back.
 */
export const MIN_RECORD_MS = 250;

/** The longest a batch may spend upstream when the context does not say. */
const SQS_CAP_MS = 900_000;

/** Why a record failed, for the pool (kept out of the batch response). */
class RecordFailure extends Error {
  override readonly name = 'RecordFailure';
}

const receiveCountOf = (record: SQSRecord): number | undefined => {
  const count = Number(record.attributes?.ApproximateReceiveCount);
  return Number.isFinite(count) ? count : undefined;
};

/**
 * Same image, same lane (one after the other), for plain requests and run decisions alike: the
 * provider and the image ID in lower case, whatever the region says (one given, one left to the
 * default may be the same image; two images that share a lane only wait for each other).
 */
const imageKeyOf = (record: SQSRecord): string | undefined => {
  const { provider, imageId } = askedFor(record);
  return typeof provider === 'string' && typeof imageId === 'string'
    ? `${provider}\u0000${imageId.toLowerCase()}`
    : undefined;
};

/** What the body asks, read defensively: for the line, the lane, and to tell a run's message. */
interface Asked {
  provider?: unknown;
  imageId?: unknown;
  region?: unknown;
  runId?: unknown;
}

/** Each record's body parsed once, for its lane and then its work. */
const asked = new WeakMap<SQSRecord, Asked>();

const askedFor = (record: SQSRecord): Asked => {
  let value = asked.get(record);
  if (value === undefined) {
    try {
      const parsed = JSON.parse(record.body ?? '') as Asked | null;
      value = parsed !== null && typeof parsed === 'object' ? parsed : {};
    } catch {
      value = {};
    }
    asked.set(record, value);
  }
  return value;
};

/** Records of the batch whose events did not go out: they come back to publish them. */
type Unpublished = Set<string>;

/**
 * Run decisions (`runId`, NUL, `imageKey`) a record of the batch has handled, their events held
 * for the batch's publish: another message of the same decision (queued again by a retried
 * apply) comes later in the same lane and publishes none of them again.
 */
type HeldDecisions = Set<string>;

const deleteOne = async (
  record: SQSRecord,
  batch: Invocation,
  unpublished: Unpublished,
  held: HeldDecisions,
): Promise<string> => {
  const invocation = batch.child({
    messageId: record.messageId,
    correlationId: record.messageId,
    traceId: traceIdOf(record.attributes?.AWSTraceHeader),
    receiveCount: receiveCountOf(record),
  });
  const asked = askedFor(record);
  const completion = {
    operation: 'delete' as const,
    provider: asked.provider,
    region: asked.region,
  };

  if (invocation.deadline.remainingMs() < MIN_RECORD_MS) {
    const lastDelivery = runMessageOnLastReceive(record, asked);
    if (lastDelivery !== undefined) {
      return abandonFromRecord(lastDelivery, record, invocation, completion, unpublished);
    }
    const line = failed(
      invocation,
      completion,
      new RecordFailure('deadline reached'),
      'DeadlineReached',
    );
    const request = requestOnLastReceive(record, asked);
    if (request === undefined) {
      invocation.log.warn(
        'message not processed: the invocation is about to time out; it will be redelivered',
        line.fields,
      );
      throw new RecordFailure('deadline reached');
    }
    // Its last delivery: the request's one outcome event is this failure (the DLQ is next).
    await deleteAbandonedReported(
      request,
      invocation,
      { trigger: 'sqs', requestId: record.messageId },
      { name: 'DeadlineReached', message: NOT_WORKED_ON, retryable: true },
    );
    invocation.log.error(
      'message not processed on its last receive: its failure is published; the queue moves it to the dead-letter queue',
      line.fields,
    );
    throw new RecordFailure('deadline reached');
  }

  if (asked.runId !== undefined) {
    return retireFromRecord(record, invocation, completion, unpublished, held);
  }

  let input: DeleteRequest;
  try {
    input = parseJsonInput(deleteInputSchema(), record.body);
  } catch (error) {
    rejected(invocation, completion, error, record);
    throw new RecordFailure('invalid body');
  }
  const log = invocation.log.child({
    provider: input.provider,
    imageId: input.imageId,
    region: bounded(input.region),
  });

  const lastReceive = isLastReceive(record);
  try {
    const result = await deleteReported(
      input,
      invocation,
      { trigger: 'sqs', requestId: record.messageId },
      // A failure that comes back is not the request's outcome yet: its event waits for the last.
      { failureIsFinal: () => lastReceive },
    );
    log.info('message processed', {
      ...succeeded(invocation, {
        ...completion,
        provider: input.provider,
        outcome: result.outcome,
      }),
    });
    return result.outcome;
  } catch (error) {
    throw failedRecord(log, invocation, { ...completion, provider: input.provider }, error, {
      lastReceive,
    });
  }
};

/** This delivery is the queue's last: if it fails, the queue moves the message to its DLQ. */
const isLastReceive = (record: SQSRecord): boolean =>
  (receiveCountOf(record) ?? 1) >= retirementServices().config.maxReceiveCount;

/**
 * An invalid body (or a run message that is not a decision its plan made): one line saying why and
 * whether the queue now moves it to the dead-letter queue (its last receive) or delivers it again.
 */
const rejected = (
  invocation: Invocation,
  completion: Omit<Completion, 'outcome'>,
  error: unknown,
  record: SQSRecord,
  refused: { why: string; log: Logger } = {
    why: 'its body is not a valid delete request',
    log: invocation.log,
  },
): void => {
  refused.log.error(
    `message rejected: ${refused.why}; ${isLastReceive(record) ? 'this was its last receive: the queue moves it to the dead-letter queue' : 'it will reach the dead-letter queue after maxReceiveCount receives'}`,
    {
      ...failed(invocation, completion, error).fields,
      bodyBytes: Buffer.byteLength(record.body ?? '', 'utf8'),
    },
  );
};

/** The line for a record that did not succeed, and the failure the pool reports. */
const failedRecord = (
  log: Logger,
  invocation: Invocation,
  completion: Omit<Completion, 'outcome'>,
  error: unknown,
  delivery: { lastReceive?: boolean } = {},
): RecordFailure => {
  const line = failed(invocation, completion, error);
  if (delivery.lastReceive === true) {
    log.error(
      'message failed on its last receive; the queue moves it to the dead-letter queue',
      line.fields,
    );
  } else if (isImageError(error) && error.retryable) {
    log.warn('message failed (transient); it will be redelivered', line.fields);
  } else {
    log.error(
      'message failed with an error a retry does not mend; SQS delivers it again until maxReceiveCount, then moves it to the dead-letter queue',
      line.fields,
    );
  }
  return new RecordFailure(String(line.fields.error));
};

/**
 * Refuses a run message that is not a retire decision its plan made as an invalid body is refused
 * (one line, reported failed, the dead-letter queue after its receives), before it claims anything,
 * records anything or reaches the cloud. A plan or run the store cannot read now fails the record
 * as any transient failure does: the queue delivers it again (on its last receive it goes to the
 * dead-letter queue without an outcome, for no outcome can be recorded for a decision not known to
 * be its run's; a redrive records it). Returns why a decision of a plan that can no longer be
 * verified is to be recorded `failed` (the check's UnverifiablePlan), or the image as the plan's
 * decision knew it, to work on it.
 */
const checkRunMessage = async (
  message: RunMessage,
  record: SQSRecord,
  invocation: Invocation,
  completion: Omit<Completion, 'outcome'>,
  log: Logger,
): Promise<{ planned: PlannedImage } | { unverifiable: UnverifiablePlan }> => {
  try {
    return { planned: await retirementServices().checkRunMessage(message) };
  } catch (error) {
    if (error instanceof UnverifiablePlan) return { unverifiable: error };
    if (isImageError(error) && error.name === 'InvalidRequest') {
      rejected(invocation, completion, error, record, {
        why: 'it is not a retire decision its plan made',
        log,
      });
      throw new RecordFailure('not a decision of its plan');
    }
    throw failedRecord(log, invocation, { ...completion, provider: message.provider }, error, {
      lastReceive: isLastReceive(record),
    });
  }
};

/** A run message's logger: the image and the plan and run it belongs to. */
const runMessageLog = (invocation: Invocation, message: RunMessage): Logger =>
  invocation.log.child({
    provider: message.provider,
    imageId: message.imageId,
    region: message.region,
    planId: message.planId,
    runId: message.runId,
  });

/** The line of a run message whose decision has its outcome (this delivery's, or one found). */
const processedLine = (
  log: Logger,
  invocation: Invocation,
  completion: Omit<Completion, 'outcome'>,
  message: RunMessage,
  retired: Retired,
): string => {
  const about = {
    runOutcome: retired.outcome,
    ...(retired.reason === undefined ? {} : { reason: retired.reason }),
    ...(retired.recorded ? {} : { duplicate: true }),
  };
  if (retired.outcome === 'failed' && retired.recorded) {
    // Recorded, not thrown: still a failure to the operator's queries, alarms and levels. Once:
    // a delivery that found it recorded (a duplicate, a send apply cut) did nothing that failed.
    const line = recordedFailure(
      invocation,
      { ...completion, provider: message.provider },
      retired,
    );
    log[line.level]('message processed: its decision is recorded failed', {
      ...line.fields,
      ...about,
    });
    return retired.outcome;
  }
  log.info('message processed', {
    ...succeeded(invocation, {
      ...completion,
      provider: message.provider,
      // A delivery that found its decision recorded counts as `duplicate`, not as the outcome
      // again: Requests by outcome `deleted` then counts images deleted, not deliveries.
      outcome: retired.recorded ? retired.outcome : DUPLICATE,
    }),
    ...about,
  });
  return retired.outcome;
};

/** The outcome of a delivery whose decision had its outcome already (its `runOutcome`). */
const DUPLICATE = 'duplicate';

/** The failure a decision of a plan that can no longer be verified is recorded with. */
const unverifiedFailure = (unverifiable: UnverifiablePlan) => ({
  error: unverifiable.name,
  reason: unverifiable.message,
});

/**
 * A retire decision of a run: exactly one outcome is recorded (and published) for it, whatever
 * the deliveries; a transient failure comes back until the receive before the queue's last. One
 * of a plan that can no longer be verified is recorded `failed` without being worked on (nothing
 * is sent upstream), through the same store calls and events as every other outcome.
 */
const retireFromRecord = async (
  record: SQSRecord,
  invocation: Invocation,
  completion: Omit<Completion, 'outcome'>,
  unpublished: Unpublished,
  held: HeldDecisions,
): Promise<string> => {
  let message: RunMessage;
  try {
    message = parseJsonInput(runMessageSchema(), record.body);
  } catch (error) {
    rejected(invocation, completion, error, record);
    throw new RecordFailure('invalid body');
  }
  const log = runMessageLog(invocation, message);
  const checked = await checkRunMessage(message, record, invocation, completion, log);
  const decision = `${message.runId}\u0000${message.imageKey}`;
  const options: RetireOptions = {
    receiveCount: receiveCountOf(record) ?? 1,
    maxReceiveCount: lastWorkingReceive(retirementServices().config.maxReceiveCount),
  };
  const onNotPublished = () => unpublished.add(record.messageId);
  try {
    const retired =
      'planned' in checked
        ? await retireReported(
            message,
            invocation,
            { ...options, planned: checked.planned },
            record.messageId,
            retirementServices(),
            onNotPublished,
            held.has(decision),
          )
        : await abandonReported(
            message,
            invocation,
            unverifiedFailure(checked.unverifiable),
            record.messageId,
            onNotPublished,
            { options, owedHeld: held.has(decision) },
          );
    held.add(decision);
    return processedLine(log, invocation, completion, message, retired);
  } catch (error) {
    if (error instanceof DeleteUnderWay) {
      // No fault: the other delivery records the outcome; this one comes back to take it.
      const line = failed(
        invocation,
        { ...completion, provider: message.provider },
        error,
        'DeleteUnderWay',
      );
      log.warn(`message not processed: ${error.message}`, line.fields);
      throw new RecordFailure('delete under way');
    }
    throw failedRecord(log, invocation, { ...completion, provider: message.provider }, error);
  }
};

/**
 * The receive on which a retire decision's failure is final: the one before the queue's last, so
 * that a delivery that stops without recording (a crash, an out-of-memory, a timeout) leaves one
 * more delivery to record the outcome, instead of sending the decision to the dead-letter queue
 * with none. With a receive limit of 1 there is no spare.
 */
export const lastWorkingReceive = (maxReceiveCount: number): number =>
  Math.max(1, maxReceiveCount - 1);

/** A well-formed delete request (not a run's) on the queue's last receive. */
const requestOnLastReceive = (record: SQSRecord, asked: Asked): DeleteRequest | undefined => {
  if (asked.runId !== undefined || !isLastReceive(record)) return undefined;
  try {
    return parseJsonInput(deleteInputSchema(), record.body);
  } catch {
    return undefined;
  }
};

const NOT_WORKED_ON = 'not worked on: its last delivery came too close to the invocation timeout';

/** A well-formed run message on the queue's last receive: it must get its outcome now. */
const runMessageOnLastReceive = (record: SQSRecord, asked: Asked): RunMessage | undefined => {
  if (asked.runId === undefined || !isLastReceive(record)) return undefined;
  try {
    return parseJsonInput(runMessageSchema(), record.body);
  } catch {
    return undefined;
  }
};

/**
 * A retire decision on its last receive with no time left to work on it: recorded `failed`
 * (within the response margin) instead of reaching the dead-letter queue with no outcome.
 */
const abandonFromRecord = async (
  message: RunMessage,
  record: SQSRecord,
  invocation: Invocation,
  completion: Omit<Completion, 'outcome'>,
  unpublished: Unpublished,
): Promise<string> => {
  const log = runMessageLog(invocation, message);
  const checked = await checkRunMessage(message, record, invocation, completion, log);
  try {
    if ('unverifiable' in checked) {
      // Not for lack of time: no delivery would carry it out. Its failure says why.
      const retired = await abandonReported(
        message,
        invocation,
        unverifiedFailure(checked.unverifiable),
        record.messageId,
        () => unpublished.add(record.messageId),
      );
      return processedLine(log, invocation, completion, message, retired);
    }
    const retired = await abandonReported(
      message,
      invocation,
      {
        error: 'DeadlineReached',
        reason: NOT_WORKED_ON,
      },
      record.messageId,
      () => unpublished.add(record.messageId),
    );
    // Found recorded (by another delivery): nothing of this one failed.
    if (!retired.recorded) return processedLine(log, invocation, completion, message, retired);
    log.warn('message not processed on its last receive: its decision is recorded failed', {
      ...failed(
        invocation,
        { ...completion, provider: message.provider },
        new RecordFailure('deadline reached'),
        'DeadlineReached',
      ).fields,
      runOutcome: retired.outcome,
    });
    return retired.outcome;
  } catch (error) {
    throw failedRecord(log, invocation, { ...completion, provider: message.provider }, error);
  }
};

/**
 * A record done but whose events did not go out: failed, so that its redelivery publishes them.
 * On the queue's last receive it goes to the dead-letter queue instead, with its events still
 * owed in the run store: moving it back (a redrive) publishes them.
 */
const comeBackToPublish = (batch: Invocation, record: SQSRecord): RecordResult => {
  const { messageId } = record;
  const fields = { messageId, outcome: 'failed', error: 'EventsNotPublished' };
  if (isLastReceive(record)) {
    batch.log.error(
      'message processed but its events were not published on its last receive; the queue moves it to the dead-letter queue, and a redrive publishes them',
      fields,
    );
  } else {
    batch.log.warn(
      'message processed but its events were not published; it will be redelivered to publish them',
      fields,
    );
  }
  return { messageId, ok: false, reason: new RecordFailure('events not published') };
};

export interface DeleteBatchOptions {
  /** Records worked on at once; SQS_RECORD_CONCURRENCY (retirement configuration) by default. */
  concurrency?: number;
}

// Only what the consumer reads of each record is checked; the records themselves are kept whole.
const envelopeSchema = z.object({
  Records: z.array(z.object({ messageId: z.string().check(z.minLength(1)), body: z.string() })),
});

/**
 * The records of an SQS event. The event source mapping always sends this shape; anything else
 * (a direct invocation with another event) is InvalidRequest, with one line saying so, instead of
 * a TypeError or a silent empty batch: a refused request's line like any other (LOG_LEVEL, the
 * error table's level, its metrics).
 */
export const sqsRecordsOf = (event: unknown, context?: Partial<Context>): SQSRecord[] => {
  try {
    parseInput(envelopeSchema, event);
  } catch (error) {
    const fields = { trigger: 'sqs', operation: 'delete', requestId: context?.awsRequestId };
    checkConfigurationOnce();
    let invocation: Invocation | undefined;
    try {
      invocation = startInvocation(context, { capMs: SQS_CAP_MS }, fields);
    } catch {
      // The configuration is what failed (checkConfigurationOnce said what): the line alone.
    }
    const line = failed(invocation, { operation: 'delete', provider: undefined }, error);
    (invocation?.log ?? createLogger(safeLogLevel(), fields))[line.level](
      'batch refused: the event is not an SQS event',
      { ...line.fields, errorMessage: bounded(line.fields.errorMessage) },
    );
    throw error;
  }
  return (event as { Records: SQSRecord[] }).Records;
};

/**
 * The batch's records, each message once: of its copies, the one received most often (whether this
 * is the queue's last receive is judged from it), in the order the messages first appear.
 */
const onePerMessage = (records: readonly SQSRecord[]): SQSRecord[] => {
  const kept = new Map<string, SQSRecord>();
  for (const record of records) {
    const earlier = kept.get(record.messageId);
    if (earlier === undefined || (receiveCountOf(record) ?? 0) > (receiveCountOf(earlier) ?? 0)) {
      kept.set(record.messageId, record);
    }
  }
  return [...kept.values()];
};

/**
 * The SQS delete consumer's whole work for one event: never throws. If the invocation cannot even
 * start (a configuration error), every record is reported failed and the reason is logged.
 */
export const deleteBatch = async (
  records: readonly SQSRecord[],
  context: Partial<Context> | undefined,
  options: DeleteBatchOptions = {},
): Promise<SQSBatchResponse> => {
  const baseFields = { trigger: 'sqs', operation: 'delete', requestId: context?.awsRequestId };
  checkConfigurationOnce();
  let batch: Invocation;
  try {
    // Paced: the consumer's processes together stay under the clouds' rate limits. The records'
    // work leaves the publisher's reserve for the held publish at the end.
    batch = startInvocation(
      context,
      {
        capMs: SQS_CAP_MS,
        pacer: queuePacer(),
        publishReserveMs: retirementServices().events.reserveMs,
      },
      baseFields,
    );
  } catch (error) {
    createLogger('info', baseFields).error('batch not processed: the invocation could not start', {
      outcome: 'failed',
      records: records.length,
      error: isImageError(error) ? error.name : 'InternalError',
      errorMessage: error instanceof Error ? error.message : String(error),
    });
    return {
      batchItemFailures: onePerMessage(records).map((record) => ({
        itemIdentifier: record.messageId,
      })),
    };
  }

  // The records' events go out together once the batch is done (before it is acknowledged), in the
  // time kept back for them. A run's decision whose events did not go out is reported failed: its
  // redelivery publishes them (its outcome stays as recorded).
  const publishHeld = batch.holdEvents();
  const unpublished: Unpublished = new Set();
  const held: HeldDecisions = new Set();
  // A message SQS put in the batch twice is one message: worked on once, reported once.
  const unique = onePerMessage(records);
  const processed = await processRecords(
    unique,
    (record) => deleteOne(record, batch, unpublished, held),
    {
      concurrency: options.concurrency ?? retirementServices().config.sqsRecordConcurrency,
      keyOf: imageKeyOf,
    },
  );
  await publishHeld();
  const results = processed.map((result, index) =>
    result.ok && unpublished.has(result.messageId)
      ? comeBackToPublish(batch, unique[index] as SQSRecord)
      : result,
  );
  const response = batchResponse(results);
  const outcomes: Record<string, number> = {};
  for (const result of results) {
    const key = result.ok ? String(result.value) : 'failed';
    outcomes[key] = (outcomes[key] ?? 0) + 1;
  }
  batch.log.info('batch completed', {
    records: records.length,
    failed: response.batchItemFailures.length,
    outcomes,
    durationMs: Math.round(performance.now() - batch.startedAt),
  });
  return response;
};
