// A lock file that one process holds at a time (the command line's apply holds its run's, beside
// the run's journal): the local stores' mutex is one process's only, and two processes appending
// to one journal would each record what the other was doing. Taken atomically: the holder
// ({pid, host, startedAt}) is written whole to a temporary file, which is then link()ed to the
// lock's name; link fails with EEXIST while the name is held, so a reader never sees half a lock.
//
// A lock whose holder is gone is stale and taken over: on this host with its pid not alive (an
// apply killed or crashed), or a file that cannot be read as a holder and is older than a few
// seconds. Taking over is safe against other takers at the same time: a stale lock is removed only
// under the lock's breaker (one taker at a time) and only while it is still that stale file (its
// inode and text), then the link is tried again, so a lock another taker has just taken is never
// removed. A lock held by a live process, or by another host (whose processes cannot be checked
// from here), is respected. A lock naming this very process that this process did not take is
// stale too: it was left by an earlier process that had the same pid (a container restarted with
// its hostname and a kept --dir), which signal 0 would call alive. The lock assumes one pid
// namespace per hostname.

import { randomBytes } from 'node:crypto';
import { readFileSync, statSync, unlinkSync } from 'node:fs';
import { link, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { errorCode } from '../files/error-code.js';
import { makeFolder } from '../files/make-folder.js';
import { readRegularFile } from '../files/regular-file.js';
import * as z from '../schema/zod.js';

/** Who holds a lock, as its file says. */
export interface LockHolder {
  pid: number;
  host: string;
  /** When it was taken (ISO 8601). */
  startedAt: string;
}

const holderSchema = z.object({
  pid: z.int().check(z.positive()),
  host: z.string().check(z.minLength(1)),
  startedAt: z.string().check(z.minLength(1)),
});

/** A lock this process holds. */
export interface HeldLock {
  readonly path: string;
  readonly holder: LockHolder;
  /**
   * Removes the lock file when it is still this one (same inode, same text), so that a lock taken
   * over since is left alone. Synchronous (a signal's last words call it) and never throws; true
   * when it removed the file.
   */
  release(): boolean;
}

export type LockAttempt =
  | { kind: 'taken'; lock: HeldLock }
  /** Held by another: its holder, or undefined when its file could not be read as one. */
  | { kind: 'held'; path: string; holder: LockHolder | undefined };

export interface LockOptions {
  /** This process, as the lock names it (for tests: another's). */
  pid?: number;
  host?: string;
  now?: () => Date;
  /** Whether a process of this host is alive (default: signal 0 does not answer ESRCH). */
  isAlive?: (pid: number) => boolean;
}

/** A lock file that cannot be read as a holder is stale once it is this old (it is not being written). */
export const UNREADABLE_STALE_MS = 5_000;

/** Links tried, each after the lock was found released or stale (and cleared, or being cleared). */
const MAX_ATTEMPTS = 50;

/** The pause while another taker clears a stale lock (it takes a few file operations). */
const BREAKER_WAIT_MS = 10;

/** The locks this process holds (resolved paths): a lock naming this pid and not here is stale. */
const heldHere = new Set<string>();

/** Alive unless signal 0 says there is no such process (EPERM: it exists, as another user's). */
export const processIsAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return errorCode(error) !== 'ESRCH';
  }
};

/** A lock file as found: its text and inode, read through one handle; undefined when there is none. */
interface Found {
  text: string;
  ino: number;
  mtimeMs: number;
}

/** More than any holder's text: a larger file at the lock's path is no holder, and is not read. */
const MAX_LOCK_BYTES = 64 * 1024;

/**
 * The lock at `path` as found, read only when it is a regular file of a holder's size
 * (lib/files/regular-file.ts): anything else there (a FIFO, on which a plain open waits for a
 * writer for ever; a device; a huge file) reads as no holder, so it is held while new and cleared
 * once old.
 */
const readLock = async (path: string): Promise<Found | undefined> => {
  const file = await readRegularFile(path, MAX_LOCK_BYTES);
  if (file.kind === 'absent') return undefined;
  const text = file.kind === 'read' ? file.bytes.toString('utf8') : '';
  return { text, ino: file.ino, mtimeMs: file.mtimeMs };
};

const holderIn = (text: string): LockHolder | undefined => {
  try {
    const parsed = holderSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
};

/** link(from, to); false when `to` exists. */
const linked = async (from: string, to: string): Promise<boolean> => {
  try {
    await link(from, to);
    return true;
  } catch (error) {
    if (errorCode(error) === 'EEXIST') return false;
    throw error;
  }
};

const removeIfThere = (path: string): Promise<void> => rm(path, { force: true });

/**
 * Removes the stale lock `found`, under the lock's breaker (`<path>.break`, taken as the lock is):
 * only while it holds the breaker does a taker remove a stale lock, and only when the file is still
 * that lock (its inode and text), so a lock taken meanwhile by another taker is never removed. A
 * breaker left by a taker that stopped while it held it (a few milliseconds) is cleared once it is
 * older than UNREADABLE_STALE_MS. False when another taker holds the breaker.
 */
const clearStale = async (
  path: string,
  found: Found,
  temporary: { path: string; ino: number },
  now: () => Date,
): Promise<boolean> => {
  const breaker = `${path}.break`;
  if (!(await linked(temporary.path, breaker))) {
    const other = await readLock(breaker);
    if (other !== undefined && now().getTime() - other.mtimeMs > UNREADABLE_STALE_MS) {
      await unlink(breaker).catch(() => undefined);
    }
    return false;
  }
  try {
    const current = await readLock(path);
    if (current !== undefined && current.ino === found.ino && current.text === found.text) {
      await unlink(path).catch((error: unknown) => {
        if (errorCode(error) !== 'ENOENT') throw error;
      });
    }
    return true;
  } finally {
    const held = await readLock(breaker).catch(() => undefined);
    if (held?.ino === temporary.ino) await unlink(breaker).catch(() => undefined);
  }
};

/** Takes the lock at `path` (its folder made if need be), or says who holds it. */
export const takeFileLock = async (
  path: string,
  options: LockOptions = {},
): Promise<LockAttempt> => {
  const host = options.host ?? hostname();
  const isAlive = options.isAlive ?? processIsAlive;
  const now = options.now ?? (() => new Date());
  const holder: LockHolder = {
    pid: options.pid ?? process.pid,
    host,
    startedAt: now().toISOString(),
  };
  const text = `${JSON.stringify(holder)}\n`;
  await makeFolder(dirname(path));
  const temporary = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await writeFile(temporary, text, { flag: 'wx' });
    const { ino } = await stat(temporary);
    const isStale = (found: Found): boolean => {
      const named = holderIn(found.text);
      if (named === undefined) return now().getTime() - found.mtimeMs > UNREADABLE_STALE_MS;
      if (named.host !== host) return false;
      if (named.pid === holder.pid) return !heldHere.has(resolve(path));
      return !isAlive(named.pid);
    };
    for (let attempts = 1; ; attempts += 1) {
      if (await linked(temporary, path)) {
        heldHere.add(resolve(path));
        return { kind: 'taken', lock: heldLock(path, holder, text, ino) };
      }
      const found = await readLock(path);
      const stale = found === undefined || isStale(found);
      if (!stale || attempts >= MAX_ATTEMPTS) {
        return {
          kind: 'held',
          path,
          holder: found === undefined ? undefined : holderIn(found.text),
        };
      }
      // Released meanwhile: link again. Stale: clear it and link again, or, while another taker
      // clears it, wait a moment for that.
      if (found !== undefined && !(await clearStale(path, found, { path: temporary, ino }, now))) {
        await sleep(BREAKER_WAIT_MS);
      }
    }
  } finally {
    await removeIfThere(temporary);
  }
};

const heldLock = (path: string, holder: LockHolder, text: string, ino: number): HeldLock => ({
  path,
  holder,
  release: () => {
    heldHere.delete(resolve(path));
    try {
      if (statSync(path).ino !== ino || readFileSync(path, 'utf8') !== text) return false;
      unlinkSync(path);
      return true;
    } catch {
      // Gone already, or the folder cannot be read: nothing of ours to remove.
      return false;
    }
  },
});
