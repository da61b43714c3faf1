// File helpers of the local stores (npm start, CLI): whole documents are written to a temporary
// file and renamed over the old one, so a reader never sees half a document.

import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';

const codeOf = (error: unknown): unknown => (error as { code?: unknown }).code;

/**
 * Makes a folder and any missing above it, one level at a time. Node's own recursive mkdir never
 * settles where every level answers ENOENT (under /proc: it tries again for ever), so a --dir
 * there hung the command; this fails at once with the error of the first folder it cannot make.
 * A folder that exists costs one call, as with Node's.
 */
export const makeFolder = async (path: string): Promise<void> => {
  const missing: string[] = [];
  for (let folder = resolve(path); ; folder = dirname(folder)) {
    try {
      await mkdir(folder);
      break;
    } catch (error) {
      if (codeOf(error) === 'EEXIST') break;
      if (codeOf(error) !== 'ENOENT' || dirname(folder) === folder) throw error;
      missing.push(folder);
    }
  }
  for (const folder of missing.reverse()) {
    await mkdir(folder).catch((error: unknown) => {
      if (codeOf(error) !== 'EEXIST') throw error;
    });
  }
};

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

/** The file's text, or undefined when it does not exist. */
export const readFileIfExists = async (path: string): Promise<string | undefined> => {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if (codeOf(error) === 'ENOENT') return undefined;
    throw error;
  }
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
