// Events appended as JSON lines to a file (`${RETIREMENT_STORE_DIR}/events.jsonl`) when there is no
// bus (npm start, CLI), so a person can see what would have gone to EventBridge: one line per event,
// shaped like EventBridge's envelope (id, time, source, detail-type, detail). Never throws.

import { randomUUID } from 'node:crypto';
import { appendFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { errorCode } from '../files/error-code.js';
import { makeFolder } from '../files/make-folder.js';
import type { Logger } from '../log/log.js';
import { type CatalogueEvent, EVENT_SOURCE } from './catalogue.js';
import { prepareEntries } from './entries.js';
import {
  type EventPublisher,
  logNotPublished,
  logRejected,
  type PublishOptions,
} from './publisher.js';

export interface FilePublisherOptions {
  file: string;
  log: Logger;
  now?: () => Date;
}

export const filePublisher = (options: FilePublisherOptions): EventPublisher => {
  const { file } = options;
  const now = options.now ?? (() => new Date());
  const destination = 'events file (RETIREMENT_STORE_DIR/events.jsonl)';
  // One append at a time, so lines of concurrent publishes never interleave.
  let tail: Promise<unknown> = Promise.resolve();

  return {
    publish: async (events: readonly CatalogueEvent[], publishOptions: PublishOptions = {}) => {
      const log = publishOptions.log ?? options.log;
      const { entries, rejected } = prepareEntries(events);
      logRejected(log, rejected, destination);
      if (entries.length === 0)
        return { published: 0, notPublished: rejected.length, lost: [], uncertain: 0 };
      const time = now().toISOString();
      const text = entries
        .map(
          (entry) =>
            `{"id":${JSON.stringify(randomUUID())},"time":${JSON.stringify(time)},"source":${JSON.stringify(EVENT_SOURCE)},"detail-type":${JSON.stringify(entry.detailType)},"detail":${entry.detail}}\n`,
        )
        .join('');
      const write = tail.then(async () => {
        await makeFolder(dirname(file));
        await appendFile(file, text);
      });
      tail = write.catch(() => undefined);
      try {
        await write;
        return { published: entries.length, notPublished: rejected.length, lost: [], uncertain: 0 };
      } catch (error) {
        const code = errorCode(error);
        const reason = `could not append: ${typeof code === 'string' ? code : 'error'}`;
        for (const entry of entries) {
          logNotPublished(log, entry.detailType, reason, entry.summary, destination);
        }
        return {
          published: 0,
          notPublished: events.length,
          lost: entries.map((entry) => entry.event),
          uncertain: 0,
        };
      }
    },
    prepare: () => {},
    // An append to a local file: the response margin covers it.
    reserveMs: 0,
  };
};
