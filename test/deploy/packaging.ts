// How test/deploy runs osls: in a child process with the environment CI packages in (no AWS
// credentials of any kind, none of the service's configuration) and a build folder of its own.

import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { oslsScript } from '../../scripts/build.js';
import { type RunResult, runChild } from '../support/child.js';

export const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));

/** A build folder of this process's own: `osls package` removes it afterwards, and `npm start`
 * or another package run may be using the default one. */
export const esbuildWorkFolder = (purpose: string): string =>
  join('node_modules', '.cache', 'cloud-image-functions', `${purpose}-${process.pid}`);

/** The environment of `osls package` in CI: no AWS credentials of any kind, no service config. */
export const packagingEnv = (purpose: string): NodeJS.ProcessEnv => {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (name.startsWith('AWS_')) continue;
    if (
      /^(IMAGE_CREDENTIALS_|MODELARTS_|BCC_|HUAWEICLOUD_|BCE_|PROTECTED_|LOG_LEVEL|POWERTOOLS_)/.test(
        name,
      )
    )
      continue;
    env[name] = value;
  }
  return {
    ...env,
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    AWS_EC2_METADATA_DISABLED: 'true',
    ESBUILD_WORK_FOLDER: esbuildWorkFolder(purpose),
  };
};

/** `osls <args>` in the repository, as CI would run it. */
export const runOsls = (
  args: readonly string[],
  purpose: string,
  timeoutMs = 170_000,
): Promise<RunResult> =>
  runChild(process.execPath, [oslsScript(), ...args], {
    cwd: root,
    env: packagingEnv(purpose),
    timeoutMs,
  });
