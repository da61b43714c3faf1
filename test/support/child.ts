// Child processes for tests: spawn one in its own process group, watch its output for a line,
// wait for a port, and stop it (the whole group) afterwards. Every child started here is also
// killed if the test process exits without stopping it.

import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { connect, createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export interface SpawnOptions {
  cwd?: string;
  /** The child's whole environment (defaults to this process's). */
  env?: NodeJS.ProcessEnv;
  /** Also copy the child's output to this process's stderr, prefixed (for debugging). */
  echo?: string;
}

export interface Child {
  readonly process: ChildProcess;
  readonly pid: number;
  /** stdout and stderr interleaved, as received so far. */
  output(): string;
  /** Resolves with the first match of `pattern` in the output (past or future). */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Resolves with the exit code (or the signal's name) once the child has exited. */
  exited(): Promise<number | string>;
  /** SIGTERM to the whole process group, SIGKILL after `graceMs`; resolves once it has exited. */
  stop(graceMs?: number): Promise<number | string>;
}

const running = new Set<number>();

const killGroup = (pid: number, signal: NodeJS.Signals): void => {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
};

process.once('exit', () => {
  for (const pid of running) killGroup(pid, 'SIGKILL');
});

/** Whether any process of the group `pid` leads (spawnChild's children lead one each) still runs. */
export const groupRunning = (pid: number): boolean => {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Starts `command` in a new process group (so that stopping it stops its children too). */
export const spawnChild = (
  command: string,
  args: readonly string[],
  options: SpawnOptions = {},
): Child => {
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (child.pid === undefined) throw new Error(`could not start ${command}`);
  const pid = child.pid;
  running.add(pid);

  let text = '';
  const listeners = new Set<() => void>();
  const onData = (chunk: Buffer): void => {
    const piece = chunk.toString('utf8');
    text += piece;
    if (options.echo !== undefined) {
      process.stderr.write(piece.replace(/^(?=.)/gm, `[${options.echo}] `));
    }
    for (const listener of listeners) listener();
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);

  const exit = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => {
      running.delete(pid);
      resolve(code ?? signal ?? 'unknown');
      for (const listener of listeners) listener();
    });
    child.once('error', (error) => {
      running.delete(pid);
      text += `\n[spawn error] ${error.message}\n`;
      resolve('spawn-error');
      for (const listener of listeners) listener();
    });
  });
  let done = false;
  void exit.then(() => {
    done = true;
  });

  const waitFor = (pattern: RegExp, timeoutMs = 60_000): Promise<RegExpMatchArray> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        const match = text.match(pattern);
        if (match) {
          finish();
          resolve(match);
        } else if (done) {
          finish();
          reject(new Error(`child exited before printing ${pattern}; output:\n${text}`));
        }
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`no ${pattern} within ${timeoutMs} ms; output:\n${text}`));
      }, timeoutMs);
      const finish = (): void => {
        clearTimeout(timer);
        listeners.delete(check);
      };
      listeners.add(check);
      check();
    });

  const stop = async (graceMs = 5_000): Promise<number | string> => {
    if (!done) {
      killGroup(pid, 'SIGTERM');
      const timer = setTimeout(() => killGroup(pid, 'SIGKILL'), graceMs);
      const code = await exit;
      clearTimeout(timer);
      // The leader may exit before the rest of its group.
      killGroup(pid, 'SIGKILL');
      return code;
    }
    killGroup(pid, 'SIGKILL');
    return exit;
  };

  return {
    process: child,
    pid,
    output: () => text,
    waitFor,
    exited: () => exit,
    stop,
  };
};

export interface RunResult {
  code: number | string;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion and collects its output (killed after `timeoutMs`). */
export const runChild = async (
  command: string,
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number } = {},
): Promise<RunResult> => {
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    detached: true,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const pid = child.pid;
  if (pid !== undefined) running.add(pid);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8');
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  // A child that exits without reading its input closes the pipe: not a failure of the run.
  child.stdin.on('error', () => {});
  child.stdin.end(options.input ?? '');
  const timer = setTimeout(() => {
    if (pid !== undefined) killGroup(pid, 'SIGKILL');
  }, options.timeoutMs ?? 60_000);
  try {
    const [code, signal] = (await once(child, 'close')) as [number | null, NodeJS.Signals | null];
    return { code: code ?? signal ?? 'unknown', stdout, stderr };
  } finally {
    clearTimeout(timer);
    if (pid !== undefined) running.delete(pid);
  }
};

/** A TCP port that was free on `host` a moment ago. */
export const freePort = async (host = '127.0.0.1'): Promise<number> => {
  const server = createServer();
  server.listen(0, host);
  await once(server, 'listening');
  const address = server.address();
  server.close();
  await once(server, 'close');
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
};

/** Resolves once something accepts TCP connections on host:port. */
export const waitForPort = async (
  port: number,
  host = '127.0.0.1',
  timeoutMs = 30_000,
): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect({ port, host });
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => {
        socket.destroy();
        resolve(false);
      });
    });
    if (open) return;
    if (Date.now() > deadline)
      throw new Error(`nothing listening on ${host}:${port} after ${timeoutMs} ms`);
    await sleep(100);
  }
};

/**
 * How long a test waits for `npm start` to say Ready: it builds every function first, about a
 * minute on a quiet 2-core machine and more on a busy one.
 */
export const NPM_START_READY_MS = 180_000;
