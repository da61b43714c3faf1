// Runs in DynamoDB (RUNS_TABLE): one table, pk/sk, on-demand.
//
//   run item       pk `run#{runId}`  sk `run`              runId, planId, provider, policyName,
//                                                           createdAt, createdBy?, total, counts
//                                                           {deleted, already-absent, skipped,
//                                                           failed}, status, completedAt?
//   outcome item   pk `run#{runId}`  sk `image#{imageKey}` imageKey, state, outcome?, reason?,
//                                                           error?, image? (JSON text), claimedAt,
//                                                           finishedAt?, deleteSentAt?,
//                                                           deleteSenders? and publishedAt? (not
//                                                           part of the outcome a run document
//                                                           shows)
//   the run item's completedBy? (the image key whose outcome completed it), completionToken (the
//   completing call's) and completionPublishedAt? (its completion event went out): not shown
//
// Exactly once: a claim is a conditional put (attribute_not_exists); finishing is ONE
// TransactWriteItems (the outcome item becomes final on condition it is not final yet, and the
// run's count of that outcome goes up by 1), so an outcome is counted once whatever the
// redeliveries and concurrent consumers; completing is a conditional update (status = running),
// so exactly one caller completes a run. Many decisions are finished at once (apply's decisions it
// could not queue) in transactions of up to 99 outcome items and one update of the run's counts;
// one that a condition refuses is written again without the decisions refused. Transactions that lose a race on the run item
// (TransactionConflict) are tried again here; the SDK retries throttling and 5xx itself.

import { randomUUID } from 'node:crypto';
import type {
  AttributeValue,
  DynamoDBClient,
  TransactWriteItemsCommandInput,
} from '@aws-sdk/client-dynamodb';
import { ConfigurationError, StoreUnavailable } from '../errors/errors.js';
import { RUN_ID_PATTERN } from '../retirement/ids.js';
import {
  type ClaimResult,
  countsTotal,
  emptyCounts,
  FINISH_BATCH,
  type FinishEach,
  type FinishInput,
  type FinishManyResult,
  type FinishResult,
  type ImageOutcome,
  imageOutcomeSchema,
  MAX_REASON_LENGTH,
  type NewRun,
  type Run,
  type RunDocument,
  type RunEvent,
  type RunOutcome,
  type RunStore,
  runSchema,
} from '../retirement/ports.js';
import { createDynamoDBClient, lazily, loadDynamoDB } from './aws-clients.js';
import {
  byImageKey,
  checkDistinctImageKeys,
  checkImageKey,
  checkNewRunId,
  runNotStored,
} from './run-rules.js';
import {
  awsErrorName,
  STORE_RETRY_AFTER_SECONDS,
  type StoreName,
  storeFailure,
} from './store-errors.js';

type Item = Record<string, AttributeValue>;

const RUN_SK = 'run';
const IMAGE_PREFIX = 'image#';
const runPk = (runId: string): string => `run#${runId}`;
const imageSk = (imageKey: string): string => `${IMAGE_PREFIX}${imageKey}`;

const notStored = runNotStored;

/** Where a run event's "published" mark lives: on the outcome item, or on the run item. */
const publishedMark = (event: RunEvent): { sk: string; attribute: string } => {
  if (event === 'completion') return { sk: RUN_SK, attribute: 'completionPublishedAt' };
  checkImageKey(event.imageKey);
  return { sk: imageSk(event.imageKey), attribute: 'publishedAt' };
};

const S = (value: string): AttributeValue => ({ S: value });
const N = (value: number): AttributeValue => ({ N: String(value) });

const fromAttribute = (value: AttributeValue): unknown => {
  if (value.S !== undefined) return value.S;
  if (value.N !== undefined) return Number(value.N);
  if (value.BOOL !== undefined) return value.BOOL;
  if (value.NULL !== undefined) return null;
  if (value.M !== undefined) return fromItem(value.M);
  if (value.L !== undefined) return value.L.map(fromAttribute);
  return undefined;
};

const fromItem = (item: Item): Record<string, unknown> =>
  Object.fromEntries(Object.entries(item).map(([key, value]) => [key, fromAttribute(value)]));

/** Transient races and throttling inside a transaction: worth another try. */
const RETRY_REASONS = new Set([
  'TransactionConflict',
  'ThrottlingError',
  'ProvisionedThroughputExceeded',
]);
/** Attempts of a transaction that keeps losing races, the first included. */
const TRANSACTION_ATTEMPTS = 6;
const CONFLICT_BASE_MS = 25;

interface CancellationReason {
  Code?: string | undefined;
  Item?: Item | undefined;
}

const cancellationReasons = (error: unknown): CancellationReason[] | undefined => {
  if (awsErrorName(error) !== 'TransactionCanceledException') return undefined;
  const reasons = (error as { CancellationReasons?: unknown }).CancellationReasons;
  return Array.isArray(reasons) ? (reasons as CancellationReason[]) : [];
};

export interface DynamoRunStoreOptions {
  table: string;
  /** Made lazily (AWS SDK loaded on first use) when not given. */
  client?: DynamoDBClient;
  /** For backoff between transactions that lost a race. */
  random?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** Items per Query page when reading a run (DynamoDB's own limit, 1 MB, when not given). */
  queryPageSize?: number;
}

export const dynamoRunStore = (options: DynamoRunStoreOptions): RunStore => {
  const { table } = options;
  const client = lazily(options.client, createDynamoDBClient);
  const random = options.random ?? Math.random;
  const sleep =
    options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const store: StoreName = { what: 'the runs table', variable: 'RUNS_TABLE', resource: table };

  const corrupt = (what: string): ConfigurationError =>
    new ConfigurationError(
      `A stored ${what} in the runs table (RUNS_TABLE) does not match its schema (written by another version?)`,
      { logDetail: `${store.what} ${table}: ${what}` },
    );

  const toRun = (item: Item): Run => {
    const result = runSchema.safeParse(fromItem(item));
    if (!result.success) throw corrupt('run');
    return result.data;
  };

  const toOutcome = (item: Item): ImageOutcome => {
    const plain = fromItem(item);
    let image: unknown;
    try {
      image = typeof plain.image === 'string' ? JSON.parse(plain.image) : undefined;
    } catch {
      throw corrupt('outcome');
    }
    const result = imageOutcomeSchema.safeParse({ ...plain, image });
    if (!result.success) throw corrupt('outcome');
    return result.data;
  };

  /** Sends a command; AWS faults become ours, except those `keep` says the caller handles. */
  const send = async <T>(
    action: string,
    call: (dynamodb: DynamoDBClient) => Promise<T>,
    keep: (error: unknown) => boolean = () => false,
  ): Promise<T> => {
    try {
      return await call(await client());
    } catch (error) {
      if (keep(error)) throw error;
      throw storeFailure(store, action, error);
    }
  };

  /**
   * Puts an item unless one with its key exists. Written: undefined; else the existing item as
   * the refusal carried it (absent when DynamoDB did not return it) and the refusal itself.
   */
  const putIfAbsent = async (
    item: Item,
  ): Promise<undefined | { existing: Item | undefined; refusal: unknown }> => {
    const { PutItemCommand } = await loadDynamoDB();
    try {
      await send(
        'write to',
        (dynamodb) =>
          dynamodb.send(
            new PutItemCommand({
              TableName: table,
              Item: item,
              ConditionExpression: 'attribute_not_exists(pk)',
              ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
            }),
          ),
        isConditionFailure,
      );
      return undefined;
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      return { existing: (error as { Item?: Item }).Item, refusal: error };
    }
  };

  /** One item of a run's partition, read consistently; undefined when there is none. */
  const getItem = async (runId: string, sk: string): Promise<Item | undefined> => {
    const { GetItemCommand } = await loadDynamoDB();
    const output = await send('read from', (dynamodb) =>
      dynamodb.send(
        new GetItemCommand({
          TableName: table,
          Key: { pk: S(runPk(runId)), sk: S(sk) },
          ConsistentRead: true,
        }),
      ),
    );
    return output.Item;
  };

  const getRun = async (runId: string): Promise<Run | undefined> => {
    const item = await getItem(runId, RUN_SK);
    return item === undefined ? undefined : toRun(item);
  };

  const getOutcome = async (runId: string, imageKey: string): Promise<ImageOutcome | undefined> => {
    const item = await getItem(runId, imageSk(imageKey));
    return item === undefined ? undefined : toOutcome(item);
  };

  const isConditionFailure = (error: unknown) =>
    awsErrorName(error) === 'ConditionalCheckFailedException';

  /** Completes `run` when every decision has an outcome; true for the one caller that did. */
  const completeIfDone = async (run: Run, at: string, by?: string): Promise<boolean> => {
    if (run.status !== 'running' || countsTotal(run.counts) < run.total) return false;
    const token = randomUUID();
    const { UpdateItemCommand } = await loadDynamoDB();
    try {
      await send(
        'write to',
        (dynamodb) =>
          dynamodb.send(
            new UpdateItemCommand({
              TableName: table,
              Key: { pk: S(runPk(run.runId)), sk: S(RUN_SK) },
              UpdateExpression: `SET #status = :completed, completedAt = :at, completionToken = :token${by === undefined ? '' : ', completedBy = :by'}`,
              ConditionExpression: '#status = :running',
              ExpressionAttributeNames: { '#status': 'status' },
              ExpressionAttributeValues: {
                ':completed': S('completed'),
                ':running': S('running'),
                ':at': S(at),
                ':token': S(token),
                ...(by === undefined ? {} : { ':by': S(by) }),
              },
              ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
            }),
          ),
        isConditionFailure,
      );
      return true;
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      // The SDK's retry of an update that went through (its reply lost) fails the condition: the
      // run then carries this call's token, and this caller is still the one that completed it.
      return (error as { Item?: Item }).Item?.completionToken?.S === token;
    }
  };

  const afterFinish = async (runId: string, imageKey: string, at: string) => {
    const run = await getRun(runId);
    if (run === undefined) throw notStored(runId);
    const completed = await completeIfDone(run, at, imageKey);
    return {
      run: completed ? { ...run, status: 'completed' as const, completedAt: at } : run,
      completed,
    };
  };

  type TransactItem = NonNullable<TransactWriteItemsCommandInput['TransactItems']>[number];

  /**
   * The write of one decision's outcome: on condition that it is not final yet (and, with
   * `unlessDeleteSent`, that no delivery noted its delete).
   */
  const outcomeUpdate = (
    runId: string,
    imageKey: string,
    result: FinishInput,
    unlessDeleteSent: boolean,
  ): TransactItem => {
    const values: Item = {
      ':final': S('final'),
      ':claimed': S('claimed'),
      ':outcome': S(result.outcome),
      ':at': S(result.at),
      ':key': S(imageKey),
    };
    const sets = [
      '#state = :final',
      'outcome = :outcome',
      'finishedAt = :at',
      'imageKey = :key',
      'claimedAt = if_not_exists(claimedAt, :at)',
    ];
    if (result.reason !== undefined) {
      sets.push('reason = :reason');
      values[':reason'] = S(result.reason.slice(0, MAX_REASON_LENGTH));
    }
    if (result.error !== undefined) {
      sets.push('#error = :error');
      values[':error'] = S(result.error);
    }
    if (result.image !== undefined) {
      sets.push('image = :image');
      values[':image'] = S(JSON.stringify(result.image));
    }
    const outcomeNames: Record<string, string> = { '#state': 'state' };
    if (result.error !== undefined) outcomeNames['#error'] = 'error';
    return {
      Update: {
        TableName: table,
        Key: { pk: S(runPk(runId)), sk: S(imageSk(imageKey)) },
        UpdateExpression: `SET ${sets.join(', ')}`,
        ConditionExpression: unlessDeleteSent
          ? '(attribute_not_exists(pk) OR #state = :claimed) AND attribute_not_exists(deleteSentAt)'
          : 'attribute_not_exists(pk) OR #state = :claimed',
        ExpressionAttributeNames: outcomeNames,
        ExpressionAttributeValues: values,
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      },
    };
  };

  /** The write counting outcomes on the run's item, on condition the run is stored. */
  const countsUpdate = (runId: string, outcomes: readonly RunOutcome[]): TransactItem => {
    const tally = new Map<RunOutcome, number>();
    for (const outcome of outcomes) tally.set(outcome, (tally.get(outcome) ?? 0) + 1);
    const added = [...tally.entries()];
    return {
      Update: {
        TableName: table,
        Key: { pk: S(runPk(runId)), sk: S(RUN_SK) },
        UpdateExpression: `ADD ${added.map((_, index) => `#counts.#o${index} :n${index}`).join(', ')}`,
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeNames: {
          '#counts': 'counts',
          ...Object.fromEntries(added.map(([outcome], index) => [`#o${index}`, outcome])),
        },
        ExpressionAttributeValues: Object.fromEntries(
          added.map(([, count], index) => [`:n${index}`, N(count)]),
        ),
      },
    };
  };

  /** A transaction that kept being cancelled for reasons other than a condition. */
  const cancelled = (runId: string, what: string, codes: readonly string[]) =>
    new StoreUnavailable(
      `Could not write to the runs table (RUNS_TABLE) for now (transaction cancelled: ${codes.join(', ')}); try again later`,
      {
        logDetail: `${store.what} ${table}: ${runId} ${what}: ${codes.join(', ')}`,
        retryAfterSeconds: STORE_RETRY_AFTER_SECONDS,
      },
    );

  /** Sends a transaction, a token per attempt; the cancellation reasons, or undefined when written. */
  const transact = async (
    transactItems: TransactItem[],
  ): Promise<CancellationReason[] | undefined> => {
    const { TransactWriteItemsCommand } = await loadDynamoDB();
    // A token per attempt: the SDK's own retry of a transaction that did go through (an answer
    // lost on the way) is then answered as a success, not as "already final", which would lose
    // this call's event.
    const command = new TransactWriteItemsCommand({
      TransactItems: transactItems,
      ClientRequestToken: randomUUID(),
    });
    try {
      await send(
        'write to',
        (dynamodb) => dynamodb.send(command),
        (error) => cancellationReasons(error) !== undefined,
      );
      return undefined;
    } catch (error) {
      const reasons = cancellationReasons(error);
      if (reasons === undefined) throw error;
      return reasons;
    }
  };

  /** The outcome item a cancelled transaction's condition refused (as the refusal carried it). */
  const refusedOutcome = async (
    runId: string,
    imageKey: string,
    reason: CancellationReason,
  ): Promise<ImageOutcome> => {
    const existing =
      reason.Item === undefined ? await getOutcome(runId, imageKey) : toOutcome(reason.Item);
    if (existing === undefined) throw corrupt('outcome');
    return existing;
  };

  /** Records the outcome once; with `unlessDeleteSent`, not once a delivery noted its delete. */
  const finishWith = async (
    runId: string,
    imageKey: string,
    result: FinishInput,
    unlessDeleteSent: boolean,
  ): Promise<FinishResult | undefined> => {
    if (!RUN_ID_PATTERN.test(runId)) throw notStored(runId);
    checkImageKey(imageKey);
    const transaction = [
      outcomeUpdate(runId, imageKey, result, unlessDeleteSent),
      countsUpdate(runId, [result.outcome]),
    ];
    for (let attempt = 1; ; attempt += 1) {
      const reasons = await transact(transaction);
      if (reasons === undefined) {
        return { kind: 'recorded', ...(await afterFinish(runId, imageKey, result.at)) };
      }
      const [outcomeReason, runReason] = reasons;
      if (runReason?.Code === 'ConditionalCheckFailed') throw notStored(runId);
      if (outcomeReason?.Code === 'ConditionalCheckFailed') {
        const existing = await refusedOutcome(runId, imageKey, outcomeReason);
        // Not final: refused because a delivery noted its delete (that delivery records it).
        if (existing.state !== 'final') return undefined;
        return {
          kind: 'already-final',
          existing,
          ...(await afterFinish(runId, imageKey, result.at)),
        };
      }
      const codes = reasons.map((reason) => reason.Code ?? 'None');
      if (!codes.some((code) => RETRY_REASONS.has(code)) || attempt >= TRANSACTION_ATTEMPTS) {
        throw cancelled(runId, imageKey, codes);
      }
      await sleep(Math.floor(random() * CONFLICT_BASE_MS * 2 ** attempt));
    }
  };

  /**
   * Up to FINISH_BATCH decisions' outcomes and their counts in one transaction, each on its
   * condition. A condition refuses the whole transaction: the refused decisions take their answer
   * (already final, or a delete noted) and the rest are written again without them, so each ends
   * as its own finishUnlessDeleteSent would have. Fills `each` for these decisions.
   */
  const finishStep = async (
    runId: string,
    decisions: readonly { imageKey: string; result: FinishInput }[],
    indices: readonly number[],
    each: FinishEach[],
  ): Promise<void> => {
    let pending = indices;
    let attempt = 1;
    while (pending.length > 0) {
      const ofPending = pending.map((index) => decisions[index] as (typeof decisions)[number]);
      const reasons = await transact([
        ...ofPending.map(({ imageKey, result }) => outcomeUpdate(runId, imageKey, result, true)),
        countsUpdate(
          runId,
          ofPending.map(({ result }) => result.outcome),
        ),
      ]);
      if (reasons === undefined) {
        for (const index of pending) each[index] = { kind: 'recorded' };
        return;
      }
      if (reasons[pending.length]?.Code === 'ConditionalCheckFailed') throw notStored(runId);
      const refused = pending.filter((_, at) => reasons[at]?.Code === 'ConditionalCheckFailed');
      if (refused.length > 0) {
        for (const index of refused) {
          const { imageKey } = decisions[index] as (typeof decisions)[number];
          const existing = await refusedOutcome(
            runId,
            imageKey,
            reasons[pending.indexOf(index)] ?? {},
          );
          each[index] =
            existing.state === 'final'
              ? { kind: 'already-final', existing }
              : { kind: 'delete-sent' };
        }
        // Each round answers at least one decision: it ends.
        pending = pending.filter((index) => !refused.includes(index));
        continue;
      }
      const codes = reasons.map((reason) => reason.Code ?? 'None');
      if (!codes.some((code) => RETRY_REASONS.has(code)) || attempt >= TRANSACTION_ATTEMPTS) {
        throw cancelled(runId, `${pending.length} decisions`, codes);
      }
      await sleep(Math.floor(random() * CONFLICT_BASE_MS * 2 ** attempt));
      attempt += 1;
    }
  };

  const finishManyUnlessDeleteSent = async (
    runId: string,
    decisions: readonly { imageKey: string; result: FinishInput }[],
  ): Promise<FinishManyResult> => {
    if (!RUN_ID_PATTERN.test(runId)) throw notStored(runId);
    checkDistinctImageKeys(decisions.map(({ imageKey }) => imageKey));
    const each: FinishEach[] = [];
    let completed = false;
    let run = decisions.length === 0 ? await getRun(runId) : undefined;
    if (decisions.length === 0 && run === undefined) throw notStored(runId);
    for (let start = 0; start < decisions.length; start += FINISH_BATCH) {
      const indices = Array.from(
        { length: Math.min(FINISH_BATCH, decisions.length - start) },
        (_, offset) => start + offset,
      );
      await finishStep(runId, decisions, indices, each);
      // As each finish would: complete the run once every decision has an outcome, owned by the
      // step's last decision recorded (or, none recorded, its last).
      const owner =
        indices.findLast((index) => each[index]?.kind === 'recorded') ?? (indices.at(-1) as number);
      const last = decisions[owner] as (typeof decisions)[number];
      const after = await afterFinish(runId, last.imageKey, last.result.at);
      run = after.run;
      completed ||= after.completed;
    }
    return { each, run: run as Run, completed };
  };

  return {
    create: async (run: NewRun) => {
      checkNewRunId(run.runId);
      const counts = emptyCounts();
      const item: Item = {
        pk: S(runPk(run.runId)),
        sk: S(RUN_SK),
        runId: S(run.runId),
        planId: S(run.planId),
        provider: S(run.provider),
        policyName: S(run.policyName),
        createdAt: S(run.createdAt),
        total: N(run.total),
        counts: { M: Object.fromEntries(Object.entries(counts).map(([k, v]) => [k, N(v)])) },
        status: S('running'),
        ...(run.createdBy === undefined ? {} : { createdBy: S(run.createdBy) }),
      };
      return (await putIfAbsent(item)) === undefined ? 'created' : 'exists';
    },

    claim: async (runId, imageKey, at): Promise<ClaimResult> => {
      if (!RUN_ID_PATTERN.test(runId)) throw notStored(runId);
      checkImageKey(imageKey);
      // Runs are never deleted, so a read before the put tells a missing run apart without a
      // transaction on the run item (which would race with every finish).
      if ((await getRun(runId)) === undefined) throw notStored(runId);
      const refused = await putIfAbsent({
        pk: S(runPk(runId)),
        sk: S(imageSk(imageKey)),
        imageKey: S(imageKey),
        state: S('claimed'),
        claimedAt: S(at),
      });
      if (refused === undefined) return { kind: 'claimed' };
      const existing =
        refused.existing === undefined
          ? await getOutcome(runId, imageKey)
          : toOutcome(refused.existing);
      if (existing === undefined) throw storeFailure(store, 'write to', refused.refusal);
      return { kind: 'already-claimed', existing };
    },

    finish: (runId, imageKey, result) =>
      finishWith(runId, imageKey, result, false) as Promise<FinishResult>,

    finishUnlessDeleteSent: (runId, imageKey, result) => finishWith(runId, imageKey, result, true),

    finishManyUnlessDeleteSent,

    markDeleteSent: async (runId, imageKey, at) => {
      if (!RUN_ID_PATTERN.test(runId)) throw notStored(runId);
      checkImageKey(imageKey);
      const { UpdateItemCommand } = await loadDynamoDB();
      // Claims the decision too when no delivery has, so the item is always a whole outcome item;
      // never on a final one (its outcome is recorded: no delete may follow).
      return send(
        'write to',
        async (dynamodb) => {
          await dynamodb.send(
            new UpdateItemCommand({
              TableName: table,
              Key: { pk: S(runPk(runId)), sk: S(imageSk(imageKey)) },
              UpdateExpression:
                'SET deleteSentAt = if_not_exists(deleteSentAt, :at), imageKey = :key, #state = if_not_exists(#state, :claimed), claimedAt = if_not_exists(claimedAt, :at) ADD deleteSenders :sender',
              ConditionExpression: 'attribute_not_exists(#state) OR #state = :claimed',
              ExpressionAttributeNames: { '#state': 'state' },
              ExpressionAttributeValues: {
                ':at': S(at),
                ':key': S(imageKey),
                ':claimed': S('claimed'),
                // One token per call: the SDK's retry of this very call adds nothing more.
                ':sender': { SS: [randomUUID()] },
              },
            }),
          );
          return true;
        },
        isConditionFailure,
      ).catch((error: unknown) => {
        if (isConditionFailure(error)) return false;
        throw error;
      });
    },

    deleteSends: async (runId, imageKey) => {
      if (!RUN_ID_PATTERN.test(runId)) return 0;
      checkImageKey(imageKey);
      const { GetItemCommand } = await loadDynamoDB();
      const output = await send('read from', (dynamodb) =>
        dynamodb.send(
          new GetItemCommand({
            TableName: table,
            Key: { pk: S(runPk(runId)), sk: S(imageSk(imageKey)) },
            ProjectionExpression: 'deleteSentAt, deleteSenders',
            ConsistentRead: true,
          }),
        ),
      );
      const item = output.Item;
      const senders = item?.deleteSenders?.SS?.length;
      if (senders !== undefined) return senders;
      // Noted before senders were kept: at least one.
      return item?.deleteSentAt === undefined ? 0 : 1;
    },

    markPublished: async (runId, event, at) => {
      if (!RUN_ID_PATTERN.test(runId)) throw notStored(runId);
      const { UpdateItemCommand } = await loadDynamoDB();
      const { sk, attribute } = publishedMark(event);
      const outcome = event !== 'completion';
      // Only on what exists (an outcome recorded, a run stored): never makes an item up.
      await send(
        'write to',
        (dynamodb) =>
          dynamodb.send(
            new UpdateItemCommand({
              TableName: table,
              Key: { pk: S(runPk(runId)), sk: S(sk) },
              UpdateExpression: 'SET #mark = if_not_exists(#mark, :at)',
              ConditionExpression: outcome ? '#state = :final' : 'attribute_exists(pk)',
              ExpressionAttributeNames: {
                '#mark': attribute,
                ...(outcome ? { '#state': 'state' } : {}),
              },
              ExpressionAttributeValues: {
                ':at': S(at),
                ...(outcome ? { ':final': S('final') } : {}),
              },
            }),
          ),
        isConditionFailure,
      ).catch((error: unknown) => {
        if (!isConditionFailure(error)) throw error;
      });
    },

    unpublished: async (runId, imageKey) => {
      if (!RUN_ID_PATTERN.test(runId)) return { outcome: false, completion: false };
      checkImageKey(imageKey);
      const [outcome, run] = await Promise.all([
        getItem(runId, imageSk(imageKey)),
        getItem(runId, RUN_SK),
      ]);
      return {
        outcome: outcome?.state?.S === 'final' && outcome.publishedAt === undefined,
        completion: run?.completedBy?.S === imageKey && run.completionPublishedAt === undefined,
      };
    },

    complete: async (runId, at) => {
      if (!RUN_ID_PATTERN.test(runId)) throw notStored(runId);
      const run = await getRun(runId);
      if (run === undefined) throw notStored(runId);
      return completeIfDone(run, at);
    },

    readRun: async (runId) => (RUN_ID_PATTERN.test(runId) ? getRun(runId) : undefined),

    read: async (runId): Promise<RunDocument | undefined> => {
      if (!RUN_ID_PATTERN.test(runId)) return undefined;
      const { QueryCommand } = await loadDynamoDB();
      let run: Run | undefined;
      const outcomes: ImageOutcome[] = [];
      let start: Item | undefined;
      do {
        const output: { Items?: Item[]; LastEvaluatedKey?: Item } = await send(
          'read from',
          (dynamodb) =>
            dynamodb.send(
              new QueryCommand({
                TableName: table,
                KeyConditionExpression: 'pk = :pk',
                ExpressionAttributeValues: { ':pk': S(runPk(runId)) },
                ConsistentRead: true,
                ...(options.queryPageSize === undefined ? {} : { Limit: options.queryPageSize }),
                ...(start === undefined ? {} : { ExclusiveStartKey: start }),
              }),
            ),
        );
        for (const item of output.Items ?? []) {
          const sk = item.sk?.S ?? '';
          if (sk === RUN_SK) run = toRun(item);
          else if (sk.startsWith(IMAGE_PREFIX)) outcomes.push(toOutcome(item));
        }
        start = output.LastEvaluatedKey;
      } while (start !== undefined);
      if (run === undefined) return undefined;
      // Sort keys are in byte order; the document promises code-unit order.
      outcomes.sort(byImageKey);
      return { run, outcomes };
    },
  };
};
