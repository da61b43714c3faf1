// Events to the stack's EventBridge bus (EVENT_BUS_NAME): PutEvents in batches of up to 10
// entries (and 256 KB); entries EventBridge reports as failed (FailedEntryCount) and calls that
// throw are tried again, 3 attempts in all with jittered backoff, while the invocation's deadline
// allows; a failure that cannot get better (access denied, a missing bus, a malformed entry) is not
// retried. The SDK's own retries are off (maxAttempts 1): this is the one retry layer, and each
// attempt is bounded, by the SDK's timeouts and by the invocation's deadline (the first has at
// least half the response margin): a bus that does not answer must not keep a delete's answer, or
// a queue batch's, past the time the function has left. An attempt cut there is a lost attempt
// like any other. An attempt without an answer (cut, or a 5xx) may still have put its entries, and
// PutEvents takes no deduplication key: such entries are counted (`uncertain`), as each may arrive
// twice once sent again. The SDK is loaded on the first publish only.

import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { RESPONSE_MARGIN_MS } from '../http/deadline.js';
import type { Logger } from '../log/log.js';
import type { CatalogueEvent } from './catalogue.js';
import { EVENT_SOURCE } from './catalogue.js';
import { batchesOf, type PreparedEntry, prepareEntries } from './entries.js';
import {
  type EventPublisher,
  logNotPublished,
  logRejected,
  type PublishOptions,
  type PublishResult,
} from './publisher.js';

type EventBridgeModule = typeof import('@aws-sdk/client-eventbridge');
let eventBridgeModule: Promise<EventBridgeModule> | undefined;

export const loadEventBridge = (): Promise<EventBridgeModule> => {
  eventBridgeModule ??= import('@aws-sdk/client-eventbridge');
  return eventBridgeModule;
};

/** AWS_REGION and AWS_ENDPOINT_URL_EVENTBRIDGE apply; no SDK retries (ours are), bounded attempts. */
export const createEventBridgeClient = async (): Promise<EventBridgeClient> => {
  const { EventBridgeClient } = await loadEventBridge();
  return new EventBridgeClient({
    maxAttempts: 1,
    requestHandler: { connectionTimeout: 2_000, requestTimeout: 3_000 },
  });
};

export const PUBLISH_ATTEMPTS = 3;
const BACKOFF_BASE_MS = 100;
/** Below this much time left after the wait, another attempt is not started. */
const MIN_ATTEMPT_MS = 300;

/**
 * The least time the first attempt is given, past the deadline if need be: half the response
 * margin the deadline keeps before the function's own end. A delete that used its time up to the
 * deadline then still has its event sent (as it was before attempts were bounded), and the answer
 * still has the other half.
 */
const FIRST_ATTEMPT_LEAST_MS = RESPONSE_MARGIN_MS / 2;

/**
 * What a publish of a queue batch's events takes with its retries: the time the batch keeps back
 * from its records' work for it (lib/triggers/sqs.ts). A batch's events (per record an outcome, and
 * a run's completion at most: 40 for 20 records) go out as PutEvents calls of 10 entries side by
 * side, each answered in tens of milliseconds. Kept: every attempt at MIN_ATTEMPT_MS (the least an
 * attempt is started with), and the longest waits between them (200 + 400 ms): 1.5 s, 2.5 % of the
 * consumer's 60 s. The notes in the run store that follow a publish fit in the response margin.
 */
export const PUBLISH_RESERVE_MS =
  PUBLISH_ATTEMPTS * MIN_ATTEMPT_MS + BACKOFF_BASE_MS * (2 ** PUBLISH_ATTEMPTS - 2);

/** Entry failures that no later try can fix: the entry itself is refused (unlike access denied). */
const ENTRY_REFUSED = new Set(
  ['MalformedDetail', 'InvalidArgument'].map((code) => `PutEvents entry failed: ${code}`),
);

/** Entry error codes (and call errors) that another attempt cannot fix. */
const PERMANENT = new Set([
  'MalformedDetail',
  'InvalidArgument',
  'ValidationException',
  'AccessDeniedException',
  'ResourceNotFoundException',
  'NotAuthorizedForSourceException',
  'NotAuthorizedForDetailTypeException',
  'UnrecognizedClientException',
  'InvalidSignatureException',
]);

const errorName = (error: unknown): string => {
  if (error instanceof Error) {
    const code = (error as Error & { code?: unknown }).code;
    return error.name === 'Error' && typeof code === 'string' ? code : error.name;
  }
  return 'UnknownError';
};

interface Pending {
  entry: PreparedEntry;
  /** Why the last attempt failed. */
  failure: string;
  permanent: boolean;
  /** The attempt got no answer that says the entry was not put: it may have been. */
  uncertain: boolean;
}

/**
 * Whether a failed call may still have put its entries: only a 4xx answer (access denied, a
 * throttled or malformed call) says it did not. A timeout, a cut connection or a 5xx leaves it open.
 */
const mayHaveBeenPut = (error: unknown): boolean => {
  const status = (error as { $metadata?: { httpStatusCode?: unknown } } | undefined)?.$metadata
    ?.httpStatusCode;
  return !(typeof status === 'number' && status >= 400 && status < 500);
};

export interface EventBridgePublisherOptions {
  busName: string;
  /** Made lazily (SDK loaded on the first publish) when not given. */
  client?: EventBridgeClient;
  log: Logger;
  random?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

export const eventBridgePublisher = (options: EventBridgePublisherOptions): EventPublisher => {
  const { busName } = options;
  const random = options.random ?? Math.random;
  const sleep =
    options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  let client: Promise<EventBridgeClient> | undefined =
    options.client === undefined ? undefined : Promise.resolve(options.client);
  const clientOnce = (): Promise<EventBridgeClient> => {
    client ??= createEventBridgeClient().catch((error: unknown) => {
      client = undefined; // the SDK failed to load: try afresh on the next publish
      throw error;
    });
    return client;
  };
  const destination = `EventBridge bus (EVENT_BUS_NAME)`;

  /** One PutEvents call, given up after `withinMs`: the entries of the batch that failed, with why. */
  const send = async (batch: readonly PreparedEntry[], withinMs: number): Promise<Pending[]> => {
    // A timer cleared once the call ends (AbortSignal.timeout would stay pending until it fires).
    const controller = new AbortController();
    const timer = Number.isFinite(withinMs)
      ? setTimeout(() => controller.abort(), Math.max(0, withinMs))
      : undefined;
    try {
      const { PutEventsCommand } = await loadEventBridge();
      const output = await (await clientOnce()).send(
        new PutEventsCommand({
          Entries: batch.map((entry) => ({
            Source: EVENT_SOURCE,
            DetailType: entry.detailType,
            Detail: entry.detail,
            EventBusName: busName,
          })),
        }),
        { abortSignal: controller.signal },
      );
      if (!output.FailedEntryCount) return [];
      const results = output.Entries ?? [];
      return batch.flatMap((entry, index) => {
        const result = results[index];
        // No result for an entry at all: count it failed (never assume it went through).
        if (result !== undefined && result.ErrorCode === undefined && result.EventId) return [];
        const code = result?.ErrorCode ?? 'NoResult';
        return [
          {
            entry,
            failure: `PutEvents entry failed: ${code}`,
            permanent: PERMANENT.has(code),
            // EventBridge answered for the entry; without an answer for it, it may have been put.
            uncertain: result === undefined,
          },
        ];
      });
    } catch (error) {
      const name = controller.signal.aborted ? 'DeadlineReached' : errorName(error);
      const uncertain = controller.signal.aborted || mayHaveBeenPut(error);
      return batch.map((entry) => ({
        entry,
        failure: `PutEvents failed: ${name}`,
        permanent: PERMANENT.has(name),
        uncertain,
      }));
    } finally {
      clearTimeout(timer);
    }
  };

  return {
    publish: async (events: readonly CatalogueEvent[], publishOptions: PublishOptions = {}) => {
      const log = publishOptions.log ?? options.log;
      const { entries, rejected } = prepareEntries(events);
      logRejected(log, rejected, destination);
      const notPublished: Pending[] = [];
      let uncertain = 0;
      let pending: PreparedEntry[] = entries;
      const remainingMs = () => publishOptions.deadline?.remainingMs() ?? Number.POSITIVE_INFINITY;
      for (let attempt = 1; pending.length > 0; attempt += 1) {
        const withinMs =
          attempt === 1 ? Math.max(remainingMs(), FIRST_ATTEMPT_LEAST_MS) : remainingMs();
        const failed = (
          await Promise.all(batchesOf(pending).map((batch) => send(batch, withinMs)))
        ).flat();
        uncertain += failed.filter((failure) => failure.uncertain).length;
        notPublished.push(...failed.filter((failure) => failure.permanent));
        const retryable = failed.filter((failure) => !failure.permanent);
        if (retryable.length === 0) break;
        const wait = Math.floor(random() * BACKOFF_BASE_MS * 2 ** attempt);
        if (attempt >= PUBLISH_ATTEMPTS || wait + MIN_ATTEMPT_MS > remainingMs()) {
          notPublished.push(...retryable);
          break;
        }
        await sleep(wait);
        pending = retryable.map((failure) => failure.entry);
      }
      for (const failure of notPublished) {
        logNotPublished(
          log,
          failure.entry.detailType,
          failure.failure,
          failure.entry.summary,
          destination,
        );
      }
      const notSent = rejected.length + notPublished.length;
      const result: PublishResult = {
        published: events.length - notSent,
        notPublished: notSent,
        // An entry EventBridge found malformed is refused again on any try: not among the lost.
        lost: notPublished
          .filter((failure) => !ENTRY_REFUSED.has(failure.failure))
          .map((failure) => failure.entry.event),
        uncertain,
      };
      return result;
    },
    prepare: () => {
      // The SDK and the client, loaded now; a failure is met (and reported) by the publish.
      clientOnce().catch(() => {});
    },
    reserveMs: PUBLISH_RESERVE_MS,
  };
};
