// `npm start` when a port it is told to use is taken (another `npm start` still running, say):
// it says which variable names the port and stops at once, before building anything, instead of
// failing a minute later with serverless-offline's or Node's stack trace.

import { once } from 'node:events';
import { createServer, type Server } from 'node:net';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort, runChild } from '../support/child.js';

const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));

const configurationVariables = [
  'IMAGE_CREDENTIALS_SECRET_ID',
  'HUAWEICLOUD_SDK_AK',
  'BCE_ACCESS_KEY_ID',
  'MODELARTS_ENDPOINT',
  'BCC_ENDPOINT',
  'PORT',
  'EMULATOR_PORT',
  'LAMBDA_PORT',
];

const bareEnv = (extra: Record<string, string>): NodeJS.ProcessEnv => {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of configurationVariables) delete env[name];
  return { ...env, ...extra };
};

const held: Server[] = [];

/** A loopback port another process holds, as a running `npm start` would. */
const takenPort = async (): Promise<number> => {
  const server = createServer();
  server.listen(await freePort(), '127.0.0.1');
  await once(server, 'listening');
  held.push(server);
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
};

const start = (env: NodeJS.ProcessEnv) =>
  runChild(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], {
    cwd: root,
    env,
    timeoutMs: 40_000,
  });

afterEach(async () => {
  await Promise.all(held.splice(0).map((server) => new Promise((done) => server.close(done))));
});

describe('npm start with a port already in use', () => {
  it('PORT taken: says so, naming PORT, and exits 1 without a stack trace', async () => {
    // Prepare
    const port = await takenPort();

    // Act
    const result = await start(bareEnv({ PORT: String(port), EMULATOR_PORT: '0' }));

    // Assess
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `npm start: PORT: 127.0.0.1:${port} is already in use (another npm start, or npm run emulator?): stop that, or set PORT to a free port`,
    );
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(result.stdout).not.toMatch(/Emulator: http/);
  }, 60_000);

  it('EMULATOR_PORT taken: says so, naming EMULATOR_PORT, and exits 1 without a stack trace', async () => {
    // Prepare
    const emulatorPort = await takenPort();
    const port = await freePort();

    // Act
    const result = await start(
      bareEnv({ PORT: String(port), EMULATOR_PORT: String(emulatorPort) }),
    );

    // Assess
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `npm start: EMULATOR_PORT: 127.0.0.1:${emulatorPort} is already in use`,
    );
    expect(result.stderr).not.toMatch(/\n\s+at /);
  }, 60_000);
});

describe('npm start told to use one port twice', () => {
  it.each([
    ['EMULATOR_PORT', 'PORT'],
    ['LAMBDA_PORT', 'PORT'],
  ] as const)(
    '%s the same as %s: says so, naming both, and exits 1 at once',
    async (name, other) => {
      // Prepare: a free port, given to both variables (each check alone finds it free).
      const port = await freePort();

      // Act
      const result = await start(
        bareEnv({ EMULATOR_PORT: '0', [other]: String(port), [name]: String(port) }),
      );

      // Assess
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(
        `npm start: ${name}: ${port} is ${other} too; each needs a port of its own (unset ${name} for a free one)`,
      );
      expect(result.stderr).not.toMatch(/\n\s+at /);
    },
    60_000,
  );
});
