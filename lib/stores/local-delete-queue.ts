// The delete queue on this machine (npm start): each message a file under
// `<dir>/queue/pending/`, which the local worker (scripts/local-queue.ts) hands to the same SQS
// consumer the stack runs, in batches, redelivering failed records until their last receive.

import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { makeFolder } from '../files/make-folder.js';
import type { DeleteQueue } from '../retirement/ports.js';
import { writeFileAtomic } from './local-files.js';

/** A queued message as the local worker reads it. */
export interface LocalQueueEntry {
  messageId: string;
  body: string;
  receiveCount: number;
}

export const localQueueDir = (dir: string): string => join(dir, 'queue', 'pending');

export const localDeleteQueue = (options: { dir: string }): DeleteQueue => ({
  async send(messages) {
    const pending = localQueueDir(options.dir);
    await makeFolder(pending);
    for (const message of messages) {
      const entry: LocalQueueEntry = {
        messageId: randomUUID(),
        body: JSON.stringify(message),
        receiveCount: 0,
      };
      await writeFileAtomic(join(pending, `${entry.messageId}.json`), JSON.stringify(entry));
    }
    return [];
  },
});
