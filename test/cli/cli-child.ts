// `cloud-images` as a person or a script runs it: bin/cloud-images.mjs in a child process, with
// an environment that holds none of the service's configuration unless a test gives it.

import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  emulatorEnvironment,
  REAL_CONFIGURATION_VARIABLES,
  REAL_ONLY_VARIABLES,
} from '../../scripts/local-environment.js';
import { type RunResult, runChild } from '../support/child.js';

export const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));
export const launcher = resolve(root, 'bin', 'cloud-images.mjs');

/** Variables that would change what the command does or how it prints. */
const UNSET = [
  ...REAL_CONFIGURATION_VARIABLES,
  // What a suite's fixture set in this process for the handlers it compares with.
  ...Object.keys(emulatorEnvironment('http://127.0.0.1:1')),
  ...REAL_ONLY_VARIABLES,
  'HUAWEICLOUD_SDK_SK',
  'HUAWEICLOUD_SDK_PROJECT_ID',
  'HUAWEICLOUD_SDK_SECURITY_TOKEN',
  'HUAWEICLOUD_REGION',
  'BCE_SECRET_ACCESS_KEY',
  'BCE_SESSION_TOKEN',
  'BCE_REGION',
  'PROTECTED_IMAGE_IDS',
  'PROTECTED_IMAGE_NAME_PATTERNS',
  'LOG_LEVEL',
  'CLOUD_IMAGES_EMULATOR',
  'CLOUD_IMAGES_TIMEOUT_MS',
  'CLOUD_IMAGES_DIR',
  'NO_COLOR',
  'FORCE_COLOR',
  'UPSTREAM_MAX_ATTEMPTS',
  // npx sets it (`exec`): the CLI then prints its follow-up commands through npx.
  'npm_command',
];

/** This process's environment without the service's configuration, plus `extra`. */
export const bareEnv = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of UNSET) delete env[name];
  return { ...env, ...extra };
};

export interface CliRun extends RunResult {
  /** stdout parsed as JSON (throws with the output when it is not). */
  json<T = Record<string, unknown>>(): T;
  /** stderr parsed as the one JSON error body. */
  errorBody(): { error: { code: string; message: string; requestId: string } };
}

const withParsers = (run: RunResult): CliRun => ({
  ...run,
  json: <T>() => {
    try {
      return JSON.parse(run.stdout) as T;
    } catch {
      throw new Error(
        `stdout is not JSON (exit ${run.code}):\n${run.stdout}\nstderr:\n${run.stderr}`,
      );
    }
  },
  errorBody: () => {
    try {
      return JSON.parse(run.stderr) as ReturnType<CliRun['errorBody']>;
    } catch {
      throw new Error(`stderr is not one JSON error body (exit ${run.code}):\n${run.stderr}`);
    }
  },
});

/** `cloud-images <args>` with this test's Node (>= 22), output piped, in `cwd` (the checkout). */
export const cloudImages = async (
  args: readonly string[],
  env: Record<string, string> = {},
  cwd = root,
): Promise<CliRun> =>
  withParsers(
    await runChild(process.execPath, [launcher, ...args], {
      cwd,
      env: bareEnv(env),
      timeoutMs: 60_000,
    }),
  );

/**
 * `cloud-images <args> | <reader>` in bash with pipefail, as a script pipes it: stdout is what the
 * reader printed, and the status is the command's unless that is 0 (then the reader's).
 */
export const cloudImagesPipedTo = async (
  reader: string,
  args: readonly string[],
  env: Record<string, string> = {},
): Promise<CliRun> =>
  withParsers(
    await runChild(
      'bash',
      ['-c', `set -o pipefail; "$@" | ${reader}`, 'bash', process.execPath, launcher, ...args],
      { cwd: root, env: bareEnv(env), timeoutMs: 60_000 },
    ),
  );

/**
 * `cloud-images <args>` with `dir` on a file system that is full: a tmpfs of one page, filled,
 * mounted in a mount namespace of the child's own (`unshare -rm`, no privilege needed), so every
 * write under `dir` fails with ENOSPC, as on a full disk.
 */
export const cloudImagesOnFullDisk = async (
  dir: string,
  args: readonly string[],
  env: Record<string, string> = {},
): Promise<CliRun> =>
  withParsers(
    await runChild(
      'unshare',
      [
        '-rm',
        'sh',
        '-c',
        'mount -t tmpfs -o size=4k tmpfs "$0" && head -c 4096 /dev/zero > "$0/filler"; exec "$@"',
        dir,
        process.execPath,
        launcher,
        ...args,
      ],
      { cwd: root, env: bareEnv(env), timeoutMs: 60_000 },
    ),
  );
