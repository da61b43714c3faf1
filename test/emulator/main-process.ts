// `npm run emulator` (emulator/main.ts) in a child process, for the tests of its command line.

import { type Child, spawnChild } from '../support/child.js';

/** Starts emulator/main.ts on a free port, with these variables added to this process's. */
export const spawnEmulatorMain = (env: Record<string, string> = {}): Child =>
  spawnChild(process.execPath, ['--import', 'tsx', 'emulator/main.ts'], {
    env: { ...process.env, PORT: '0', ...env },
  });

/** The URL it printed, once its control API is up too. */
export const emulatorMainUrl = async (child: Child): Promise<string> => {
  const [, url = ''] = await child.waitFor(/listening on (http:\/\/127\.0\.0\.1:\d+)/, 20_000);
  await child.waitFor(/control API/, 5000);
  return url;
};
