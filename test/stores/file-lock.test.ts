// The lock file an apply holds on its run (lib/stores/file-lock.ts), in a folder of the test's own:
// taken when free (the holder written whole), refused while another holds it, taken over from a
// holder that is gone (on this host, its process not alive; or a file that cannot be read and is
// not new), respected from another host, taken by one of several takers of a stale lock at once,
// and released only by the one that holds it.

import { execFileSync, spawnSync } from 'node:child_process';
import { unlinkSync, writeFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  type LockAttempt,
  processIsAlive,
  takeFileLock,
  UNREADABLE_STALE_MS,
} from '../../lib/stores/file-lock.js';

let work: string;
let path: string;
let tests = 0;

/** A process of this host that has ended: its pid is free. */
const endedPid = (): number => {
  const ended = spawnSync(process.execPath, ['-e', '']);
  if (ended.pid === undefined) throw new Error('could not start a process');
  return ended.pid;
};

const lockOf = (pid: number, host = hostname(), startedAt = '2026-01-01T00:00:00.000Z') =>
  `${JSON.stringify({ pid, host, startedAt })}\n`;

const taken = (attempt: LockAttempt) => {
  if (attempt.kind !== 'taken') throw new Error(`not taken: ${JSON.stringify(attempt)}`);
  return attempt.lock;
};

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'cloud-images-file-lock-'));
});

beforeEach(() => {
  tests += 1;
  path = join(work, `case-${tests}`, 'run-journals', 'run-0.lock');
});

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe('takeFileLock', () => {
  it('takes a free lock (its folder made): the file names this process, this host and when; nothing else is left beside it', async () => {
    // Act
    const attempt = await takeFileLock(path);

    // Assess
    const lock = taken(attempt);
    const written = JSON.parse(await readFile(path, 'utf8')) as unknown;
    expect(written).toEqual({
      pid: process.pid,
      host: hostname(),
      startedAt: expect.stringMatching(/Z$/),
    });
    expect(lock.holder).toEqual(written);
    expect(await readdir(join(path, '..'))).toEqual(['run-0.lock']);
  });

  it('refuses a lock another live process holds, naming it, and leaves that lock as it was', async () => {
    // Prepare: held by this (live) process, as another apply would hold it.
    const holder = taken(await takeFileLock(path));
    const before = await readFile(path, 'utf8');

    // Act
    const second = await takeFileLock(path, { pid: 4_000_000 });

    // Assess
    expect(second).toEqual({ kind: 'held', path, holder: holder.holder });
    expect(await readFile(path, 'utf8')).toBe(before);
    expect(await readdir(join(path, '..'))).toEqual(['run-0.lock']);
  });

  it('takes over a lock whose holder on this host is gone (its pid not alive)', async () => {
    // Prepare: a lock left by a process that has ended.
    const gone = endedPid();
    expect(processIsAlive(gone)).toBe(false);
    await takeFileLock(join(path, '..', 'other.lock'));
    await writeFile(path, lockOf(gone));

    // Act
    const attempt = await takeFileLock(path);

    // Assess: now this process's; no file set aside is left.
    expect(taken(attempt).holder.pid).toBe(process.pid);
    expect(JSON.parse(await readFile(path, 'utf8'))).toMatchObject({ pid: process.pid });
    expect((await readdir(join(path, '..'))).sort()).toEqual(['other.lock', 'run-0.lock']);
  });

  it('takes over a lock naming this very process that this process did not take (left by an earlier process with the same pid)', async () => {
    // Prepare: what a container restarted with its hostname and a kept folder finds after a kill:
    // the lock of its earlier life, whose pid is this process's own (so signal 0 says alive).
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, lockOf(process.pid));

    // Act
    const attempt = await takeFileLock(path);

    // Assess: taken over (it said held, naming this process, before).
    const lock = taken(attempt);
    expect(lock.holder.pid).toBe(process.pid);
    expect(lock.release()).toBe(true);
  });

  it('still refuses a lock this process holds to a second take of its own', async () => {
    // Prepare
    const first = taken(await takeFileLock(path));

    // Act
    const second = await takeFileLock(path);

    // Assess
    expect(second).toMatchObject({ kind: 'held', holder: { pid: process.pid } });
    expect(first.release()).toBe(true);
  });

  it('never removes a lock another taker took while this one was judging the stale one before it', async () => {
    // Prepare: a stale lock; while this taker asks whether its holder is alive, another taker
    // clears it and takes the lock (pid 7777, alive).
    const gone = endedPid();
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, lockOf(gone));
    let replaced = false;
    const isAlive = (pid: number): boolean => {
      if (pid === gone && !replaced) {
        replaced = true;
        unlinkSync(path);
        writeFileSync(path, lockOf(7777));
      }
      return pid === 7777;
    };

    // Act
    const attempt = await takeFileLock(path, { pid: 8888, isAlive });

    // Assess: the other taker's lock stands (removing it without checking its inode and text
    // passed every other test).
    expect(attempt).toMatchObject({ kind: 'held', holder: { pid: 7777 } });
    expect(JSON.parse(await readFile(path, 'utf8'))).toMatchObject({ pid: 7777 });
  });

  it('respects a lock of another host, even with a pid not alive here (it cannot be checked)', async () => {
    // Prepare
    await takeFileLock(join(path, '..', 'other.lock'));
    await writeFile(path, lockOf(endedPid(), 'elsewhere.example'));

    // Act
    const attempt = await takeFileLock(path);

    // Assess
    expect(attempt).toMatchObject({ kind: 'held', holder: { host: 'elsewhere.example' } });
  });

  it('a lock file that is not a holder is held while it is new, and taken over once it is older than a few seconds', async () => {
    // Prepare: half a holder, as a writer that stopped would leave it.
    await takeFileLock(join(path, '..', 'other.lock'));
    await writeFile(path, '{"pid": 12');

    // Act
    const whileNew = await takeFileLock(path);
    const old = new Date(Date.now() - UNREADABLE_STALE_MS - 1_000);
    await utimes(path, old, old);
    const once = await takeFileLock(path);

    // Assess
    expect(whileNew).toEqual({ kind: 'held', path, holder: undefined });
    expect(taken(once).holder.pid).toBe(process.pid);
  });

  it('a lock path that is no file (a FIFO) is read without waiting on it: held while new, taken over once old', async () => {
    // Prepare: a FIFO no one writes to where the lock goes (a reader that opens it waits forever).
    await takeFileLock(join(path, '..', 'other.lock'));
    execFileSync('mkfifo', [path]);

    // Act: each take, given two seconds.
    const within = (attempt: Promise<LockAttempt>) =>
      Promise.race([
        attempt,
        new Promise<string>((resolve) => setTimeout(() => resolve('still waiting'), 2_000).unref()),
      ]);
    const whileNew = await within(takeFileLock(path));
    const old = new Date(Date.now() - UNREADABLE_STALE_MS - 1_000);
    await utimes(path, old, old);
    const once = await within(takeFileLock(path));

    // Assess: before, the first take waited on the FIFO for ever.
    expect(whileNew).toEqual({ kind: 'held', path, holder: undefined });
    expect(typeof once === 'string' ? once : taken(once).holder.pid).toBe(process.pid);
  });

  it('of several takers of one stale lock at once, exactly one takes it; the others find it held by that one', async () => {
    // Prepare: a stale lock; eight takers, as eight live processes would (pids 1001 to 1008).
    await takeFileLock(join(path, '..', 'other.lock'));
    await writeFile(path, lockOf(endedPid()));
    const alive = (pid: number) => pid > 1000 && pid <= 1008;

    // Act
    const attempts = await Promise.all(
      Array.from({ length: 8 }, (_, index) =>
        takeFileLock(path, { pid: 1001 + index, isAlive: alive }),
      ),
    );

    // Assess
    const winners = attempts.filter((attempt) => attempt.kind === 'taken');
    expect(winners).toHaveLength(1);
    const winner = taken(winners[0] as LockAttempt).holder;
    for (const attempt of attempts.filter((each) => each.kind === 'held')) {
      expect(attempt).toMatchObject({ holder: winner });
    }
    expect(JSON.parse(await readFile(path, 'utf8'))).toEqual(winner);
    expect((await readdir(join(path, '..'))).sort()).toEqual(['other.lock', 'run-0.lock']);
  });
});

describe('release', () => {
  it('removes the lock it holds, once', async () => {
    // Prepare
    const lock = taken(await takeFileLock(path));

    // Act
    const first = lock.release();
    const again = lock.release();

    // Assess: free again, for the next taker.
    expect([first, again]).toEqual([true, false]);
    expect(await readdir(join(path, '..'))).toEqual([]);
    expect((await takeFileLock(path)).kind).toBe('taken');
  });

  it('leaves alone a lock taken over since (another holder now)', async () => {
    // Prepare: our lock, taken over by another taker (ours deemed stale, as from a pid gone).
    const ours = taken(await takeFileLock(path, { pid: 2001, isAlive: () => true }));
    const theirs = taken(await takeFileLock(path, { pid: 2002, isAlive: (pid) => pid !== 2001 }));
    const text = await readFile(path, 'utf8');

    // Act
    const released = ours.release();

    // Assess
    expect(released).toBe(false);
    expect(await readFile(path, 'utf8')).toBe(text);
    expect(JSON.parse(text)).toEqual(theirs.holder);
  });
});
