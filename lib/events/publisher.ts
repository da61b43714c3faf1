// Publishing catalogue events. Publishing NEVER fails the work it reports on: `publish` never
// throws; what could not be published is logged (one error line per event: its detail-type and
// ids, never its texts) and counted in the result, for the caller to meter (EventsNotPublished).
//
//   EventBridge (EVENT_BUS_NAME)       eventbridge-publisher.ts
//   a JSON-lines file (local store)    file-publisher.ts
//   off (neither set)                  said once in the log, nothing published

import type { Deadline } from '../http/deadline.js';
import type { Logger } from '../log/log.js';
import type { CatalogueEvent } from './catalogue.js';
import type { Rejected } from './entries.js';

export interface PublishResult {
  published: number;
  /** Events that were meant to be published and were not (meter these). */
  notPublished: number;
  /**
   * Those of them that another try could publish (whoever must see them out tries again); not
   * those refused before sending (a detail off its schema or too large): another try is refused too.
   */
  lost: readonly CatalogueEvent[];
  /**
   * Entries of failed attempts that may still have been put (no answer, a cut connection, a 5xx),
   * one per such attempt: each may arrive twice once sent again, here or by whoever tries again.
   */
  uncertain: number;
}

export interface PublishOptions {
  /**
   * The invocation's: an attempt still going when it passes is given up (the first is given part
   * of the response margin when the deadline is near or past), and retries stop when it leaves too
   * little time; what did not go out by then is lost.
   */
  deadline?: Pick<Deadline, 'remainingMs'>;
  /** The request's logger (its lines then carry the request id); else the publisher's own. */
  log?: Logger;
}

export interface EventPublisher {
  publish(events: readonly CatalogueEvent[], options?: PublishOptions): Promise<PublishResult>;
  /** Starts loading what the first publish needs, without publishing or waiting; never throws. */
  prepare(): void;
  /**
   * The time a publish of a queue batch's events may need, retries included, kept back from the
   * batch's records (0 where a publish is local or off).
   */
  readonly reserveMs: number;
}

/** The one error line for an event that was not published. */
export const logNotPublished = (
  log: Logger,
  detailType: string,
  reason: string,
  summary: Record<string, string>,
  destination: string,
): void => {
  log.error('event not published', {
    detailType,
    destination,
    reason: reason.slice(0, 300),
    event: summary,
  });
};

export const logRejected = (log: Logger, rejected: readonly Rejected[], destination: string) => {
  for (const event of rejected) {
    logNotPublished(log, event.detailType, event.reason, event.summary, destination);
  }
};

/** Events off: nothing is published, and the log says so once per process. */
export const disabledPublisher = (log: Logger, why: string): EventPublisher => {
  let said = false;
  return {
    publish: async () => {
      if (!said) {
        said = true;
        // Normal on this machine (tests, a script); the stack always sets EVENT_BUS_NAME.
        log.debug(`events are off: ${why}`);
      }
      return { published: 0, notPublished: 0, lost: [], uncertain: 0 };
    },
    prepare: () => {},
    reserveMs: 0,
  };
};
