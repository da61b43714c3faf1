// Folders made on the local disk (npm start, the command line): one home for it, low enough for
// the stores and the local events file alike.

import { mkdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { errorCode } from './error-code.js';

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
      if (errorCode(error) === 'EEXIST') break;
      if (errorCode(error) !== 'ENOENT' || dirname(folder) === folder) throw error;
      missing.push(folder);
    }
  }
  for (const folder of missing.reverse()) {
    await mkdir(folder).catch((error: unknown) => {
      if (errorCode(error) !== 'EEXIST') throw error;
    });
  }
};
