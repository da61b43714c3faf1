// A file read only when it is what a reader expects there: a regular file of a bounded size. It is
// opened without waiting (a FIFO no one writes to holds a plain open for ever) and checked through
// the handle it is read by (so nothing can be swapped in between), and a device or an oversized
// file is never read (the one would be read without end, the other into memory whole).

import { constants } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import { errorCode } from './error-code.js';

/** What was at the path; `ino` and `mtimeMs` of what was opened, for a reader that compares. */
interface Seen {
  ino: number;
  mtimeMs: number;
}
export type RegularFile =
  | { kind: 'absent' }
  | ({ kind: 'read'; bytes: Buffer } & Seen)
  | ({ kind: 'not-a-file' } & Seen)
  | ({ kind: 'too-large' } & Seen);

/** The file at `path`, read when it is a regular file of at most `maxBytes`; fs errors but ENOENT are thrown. */
export const readRegularFile = async (path: string, maxBytes: number): Promise<RegularFile> => {
  let handle: FileHandle;
  try {
    handle = await open(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return { kind: 'absent' };
    throw error;
  }
  try {
    const stats = await handle.stat();
    const seen = { ino: stats.ino, mtimeMs: stats.mtimeMs };
    if (!stats.isFile()) return { kind: 'not-a-file', ...seen };
    if (stats.size > maxBytes) return { kind: 'too-large', ...seen };
    return { kind: 'read', bytes: await handle.readFile(), ...seen };
  } finally {
    await handle.close();
  }
};
