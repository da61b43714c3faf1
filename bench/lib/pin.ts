// CPU pinning with taskset (util-linux), so that the client being measured and the upstream it
// talks to never share a core: on a 2-core machine the client gets core 0 and every upstream
// (bench upstream, emulator, moto) core 1. Without taskset (or with fewer than 2 cores) nothing is
// pinned and the results say so.

import { execFileSync } from 'node:child_process';
import { cpus } from 'node:os';

export const CLIENT_CPU = 0;
export const UPSTREAM_CPU = 1;

let available: boolean | undefined;

/** taskset is on PATH and there are at least two cores to keep apart. */
export const canPin = (): boolean => {
  if (available === undefined) {
    try {
      execFileSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' });
      available = cpus().length >= 2;
    } catch {
      available = false;
    }
  }
  return available;
};

/** Pins every thread of a running process to one core; false when pinning is not possible. */
export const pin = (pid: number, cpu: number): boolean => {
  if (!canPin()) return false;
  execFileSync('taskset', ['-a', '-cp', String(cpu), String(pid)], { stdio: 'ignore' });
  return true;
};

/** `[command, ...args]` run on one core (unchanged when pinning is not possible). */
export const pinned = (
  cpu: number,
  command: string,
  args: readonly string[],
): [string, string[]] =>
  canPin() ? ['taskset', ['-c', String(cpu), command, ...args]] : [command, [...args]];
