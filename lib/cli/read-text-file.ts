// A file named on the command line (a policy, a plan), read as UTF-8 text. Every problem is
// InvalidRequest naming the field and the path, before anything is sent upstream; a file larger
// than the field can be is refused before it is read into memory, and one that is not text (a NUL
// byte, or bytes that are not UTF-8) is refused as such, not read as text with its bytes replaced.

import { isUtf8 } from 'node:buffer';
import { InvalidRequest } from '../errors/errors.js';
import { readRegularFile } from '../files/regular-file.js';

const WHY: Record<string, string> = {
  ENOENT: 'there is no such file',
  EISDIR: 'it is a folder',
  EACCES: 'it may not be read',
  EPERM: 'it may not be read',
};

/** The file's text (without a byte order mark); `tooLarge` is the message for a file over `maxBytes`. */
export const readTextFile = async (
  path: string,
  field: string,
  limit: { maxBytes: number; tooLarge: string } = {
    maxBytes: 256 * 1024 * 1024,
    tooLarge: 'must be at most 256 MiB',
  },
): Promise<string> => {
  const unreadable = (why: string) =>
    new InvalidRequest(`${field}: cannot read ${path}: ${why}`, { field });
  // Checked through the handle it is read by (lib/files/regular-file.ts): a FIFO is not waited
  // on, and nothing can be swapped in between the check and the read.
  let file: Awaited<ReturnType<typeof readRegularFile>>;
  try {
    file = await readRegularFile(path, limit.maxBytes);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? '';
    throw unreadable(WHY[code] ?? (code === '' ? 'unreadable' : code));
  }
  if (file.kind === 'absent') throw unreadable(WHY.ENOENT ?? 'there is no such file');
  if (file.kind === 'not-a-file') throw unreadable('it is not a file');
  if (file.kind === 'too-large') throw new InvalidRequest(`${field}: ${limit.tooLarge}`, { field });
  const { bytes } = file;
  const notText = bytes.includes(0)
    ? 'it holds a NUL byte: a binary file, or UTF-16'
    : isUtf8(bytes)
      ? undefined
      : 'it is not UTF-8';
  if (notText !== undefined) {
    throw new InvalidRequest(`${field}: ${path} is not text (${notText})`, { field });
  }
  const text = bytes.toString('utf8');
  return text.startsWith('\uFEFF') ? text.slice(1) : text;
};
