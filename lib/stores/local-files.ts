// File helpers of the local stores (npm start, CLI): whole documents are written to a temporary
// file and renamed over the old one, so a reader never sees half a document.

import { randomBytes } from 'node:crypto';
import { rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { makeFolder } from '../files/make-folder.js';
import { readRegularFile } from '../files/regular-file.js';

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

/** Why a stored document was not read: not a regular file (a FIFO, a device), or too large. */
export class UnreadableDocument extends Error {
  override readonly name = 'UnreadableDocument';
  constructor(readonly why: 'not-a-file' | 'too-large') {
    super(why === 'not-a-file' ? 'not a regular file' : 'too large');
  }
}

/**
 * The file's text, or undefined when it does not exist; UnreadableDocument for what is no stored
 * document: anything but a regular file (a FIFO, a device: lib/files/regular-file.ts), or a file
 * larger than `maxBytes` (never read into memory).
 */
export const readFileIfExists = async (
  path: string,
  maxBytes = MAX_STORED_DOCUMENT_BYTES,
): Promise<string | undefined> => {
  const file = await readRegularFile(path, maxBytes);
  if (file.kind === 'absent') return undefined;
  if (file.kind !== 'read') throw new UnreadableDocument(file.kind);
  return file.bytes.toString('utf8');
};

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
