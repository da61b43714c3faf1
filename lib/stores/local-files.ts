// File helpers of the local stores (npm start, CLI): whole documents are written to a temporary
// file and renamed over the old one, so a reader never sees half a document.

import { randomBytes } from 'node:crypto';
import { rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { makeFolder } from '../files/make-folder.js';

export const writeFileAtomic = async (path: string, text: string): Promise<void> => {
  await makeFolder(dirname(path));
  const temporary = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await writeFile(temporary, text);
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
};

/** The most a stored document (a plan, a run) read back from the folder may be. */
export const MAX_STORED_DOCUMENT_BYTES = 256 * 1024 * 1024;

/** Runs `work` after every earlier call with the same key has settled (one process only). */
export const createMutex = () => {
  const tails = new Map<string, Promise<unknown>>();
  return async <T>(key: string, work: () => Promise<T>): Promise<T> => {
    const previous = tails.get(key) ?? Promise.resolve();
    const result = previous.then(work, work);
    const tail = result.catch(() => undefined);
    tails.set(key, tail);
    try {
      return await result;
    } finally {
      if (tails.get(key) === tail) tails.delete(key);
    }
  };
};
