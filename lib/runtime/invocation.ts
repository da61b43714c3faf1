// What each invocation gets, whatever its trigger (HTTP request, task, SQS record): a deadline from
// the Lambda's remaining time, a retry policy, the providers and protection rules, a call context
// that records every upstream exchange, and a logger carrying the request's ids. Its one log line
// is written through `finish` (request-line.ts builds its fields).

import type { Context } from 'aws-lambda';
import { serviceConfig } from '../config/service-config.js';
import type { CatalogueEvent } from '../events/catalogue.js';
import { type Deadline, deadlineBefore, deadlineFromContext } from '../http/deadline.js';
import type { Pacer } from '../http/pacer.js';
import type { RetryPolicy } from '../http/retry.js';
import { createUsageScanner, type UsageScanner } from '../images/image-usage.js';
import type { Protection } from '../images/protection.js';
import type { CallContext, ProviderLookup } from '../images/provider-port.js';
import { createLogger, type LogFields, type Logger } from '../log/log.js';
import { operatorProtection, providerFor, upstreamTransport } from './composition.js';
import { countFields } from './metrics.js';

export interface InvocationOptions {
  /** Longest the invocation may spend upstream, whatever the Lambda's own timeout. */
  capMs: number;
  /** Attempts for transient faults; a trigger with its own retry layer (Step Functions) uses 1. */
  maxAttempts?: number;
  /** Spaces upstream requests (the queue consumer); absent: not paced. */
  pacer?: Pacer | undefined;
  /**
   * Time kept back at the end to publish the events it holds (a queue batch): its work (the
   * deadline it and its children see) ends this much before the invocation's deadline, which the
   * publish has. Absent: none (what publishes as it goes shares the one deadline).
   */
  publishReserveMs?: number;
}

export interface Invocation {
  providers: ProviderLookup;
  protection: Protection;
  /** Usage scans, once per region for the whole invocation (its children share them). */
  usage: UsageScanner;
  context: CallContext;
  /** When its work must end: the invocation's deadline, less its publish reserve if any. */
  deadline: Deadline;
  log: Logger;
  startedAt: number;
  /** A part of this invocation with its own log line and upstream record (an SQS record). */
  child(fields: LogFields): Invocation;
  /**
   * Publishes events on the service's bus, within the invocation's deadline; never throws: what
   * could not be published (by then) is logged (one error line each) and counted (the EMF metric
   * EventsNotPublished). `receipt` hears how it went once the events have gone out (held ones: when
   * the batch publishes them).
   */
  publish(events: readonly CatalogueEvent[], receipt?: PublishReceipt): Promise<void>;
  /**
   * From now on this invocation's events (and its children's) are held; the returned function
   * publishes them together (a queue batch: one PutEvents call for up to ten records).
   */
  holdEvents(): () => Promise<void>;
  /**
   * Starts loading what the next publish needs (the publisher and its SDK client) without waiting:
   * called before the upstream calls whose outcome will be published, so that the loading runs
   * during their round trips rather than after them. Never throws: a failure shows at the publish.
   */
  preparePublish(): void;
}

/**
 * Told how a publish went once its events are out, for whoever must see them out (a run's
 * decisions): `lost`, those of them another try could publish (already logged and counted). A
 * rejection of the returned promise is logged as a warning.
 */
export type PublishReceipt = (settled: { lost: readonly CatalogueEvent[] }) => Promise<void>;

/** The X-Ray trace id root (Lambda sets it per invocation; SQS and Step Functions pass theirs on). */
export const traceIdOf = (header: string | undefined): string | undefined =>
  header === undefined ? undefined : (/(?:^|;)\s*Root=([^;]+)/.exec(header)?.[1] ?? undefined);

let invocations = 0;

/**
 * The retirement services' module, loaded on the first publish, not during INIT (most functions
 * never publish). The promise is kept: an `import()` of a module already loaded still goes through
 * the ESM loader's resolution, about 20 µs per call.
 */
let retirementModule: Promise<typeof import('./retirement-services.js')> | undefined;

/** Publishes now and tells each receipt; never throws (losses are logged and counted). */
const publishNow = async (
  groups: readonly HeldEvents[],
  deadline: Deadline,
  log: Logger,
): Promise<void> => {
  // One group (every publish but a batch's): its own array, not a copy.
  const events = groups.length === 1 ? (groups[0] as HeldEvents).events : groups.flatMap(eventsOf);
  let lost: readonly CatalogueEvent[] = [];
  if (events.length > 0) {
    try {
      retirementModule ??= import('./retirement-services.js');
      const { retirementServices } = await retirementModule;
      const result = await retirementServices().events.publish(events, { deadline, log });
      lost = result.lost;
      if (result.uncertain > 0) {
        // What explains a duplicate event downstream (keyed on runId and imageId, as documented).
        log.warn('events may arrive twice', { eventsUncertain: result.uncertain });
      }
      if (result.notPublished > 0) {
        log.error('events not published', {
          notPublished: result.notPublished,
          ...countFields('EventsNotPublished', result.notPublished),
        });
      }
    } catch (error) {
      // The publisher never throws; its configuration can (a bad EVENT_BUS_NAME, say).
      lost = events;
      log.error('events not published', {
        notPublished: events.length,
        errorMessage: error instanceof Error ? error.message : String(error),
        ...countFields('EventsNotPublished', events.length),
      });
    }
  }
  if (!groups.some(hasReceipt)) return;
  const lostOnes = new Set(lost);
  await Promise.all(
    groups.map(async ({ events: ofGroup, receipt }) => {
      if (receipt === undefined) return;
      try {
        await receipt({ lost: ofGroup.filter((event) => lostOnes.has(event)) });
      } catch (error) {
        log.warn('published, but could not note it', {
          errorMessage: error instanceof Error ? error.message : String(error),
        });
      }
    }),
  );
};

const eventsOf = (group: HeldEvents): readonly CatalogueEvent[] => group.events;
const hasReceipt = (group: HeldEvents): boolean => group.receipt !== undefined;

/** One publish's events and who hears how it went. */
interface HeldEvents {
  events: readonly CatalogueEvent[];
  receipt?: PublishReceipt | undefined;
}

/** Where an invocation's events go: out at once, or held for the batch to publish together. */
interface EventSink {
  held?: HeldEvents[];
}

const invocationWith = (
  deadline: Deadline,
  publishBy: Deadline,
  policy: RetryPolicy,
  log: Logger,
  usage: UsageScanner,
  pacer: Pacer | undefined,
  sink: EventSink,
): Invocation => ({
  providers: providerFor,
  protection: operatorProtection(),
  usage,
  context: { deadline, policy, transport: upstreamTransport(), log, pacer, calls: [] },
  deadline,
  log,
  startedAt: performance.now(),
  child: (fields) =>
    invocationWith(deadline, publishBy, policy, log.child(fields), usage, pacer, sink),
  publish: async (events, receipt) => {
    if (sink.held !== undefined) sink.held.push({ events, receipt });
    else await publishNow([{ events, receipt }], publishBy, log);
  },
  preparePublish: () => {
    retirementModule ??= import('./retirement-services.js');
    retirementModule
      .then(({ retirementServices }) => retirementServices().events.prepare())
      .catch(() => {
        // Nothing to do here: the publish that follows meets the same failure, logs and counts it.
      });
  },
  holdEvents: () => {
    sink.held ??= [];
    return async () => {
      const held = sink.held ?? [];
      sink.held = undefined;
      await publishNow(held, publishBy, log);
    };
  },
});

/** Throws ConfigurationError when the configuration is invalid (the caller maps it). */
export const startInvocation = (
  context: Partial<Context> | undefined,
  options: InvocationOptions,
  logFields: LogFields,
): Invocation => {
  const config = serviceConfig();
  const publishBy = deadlineFromContext(context, options.capMs);
  const reserveMs = options.publishReserveMs ?? 0;
  const deadline = reserveMs > 0 ? deadlineBefore(publishBy, reserveMs) : publishBy;
  const policy: RetryPolicy = {
    maxAttempts: options.maxAttempts ?? config.upstream.maxAttempts,
    retryBaseMs: config.upstream.retryBaseMs,
    throttleBaseMs: config.upstream.throttleBaseMs,
    maxBackoffMs: 20_000,
    attemptTimeoutMs: config.upstream.attemptTimeoutMs,
  };
  const log = createLogger(config.logLevel, {
    ...logFields,
    coldStart: invocations++ === 0,
    traceId: logFields.traceId ?? traceIdOf(process.env._X_AMZN_TRACE_ID),
  });
  return invocationWith(deadline, publishBy, policy, log, createUsageScanner(), options.pacer, {});
};
