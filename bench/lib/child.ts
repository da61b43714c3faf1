// The bench's measured children: a node process pinned to the client's core, whose result is the
// JSON after a marker on one line of its output (the rest of its output is its own).

import { spawn } from 'node:child_process';
import { root } from '../../scripts/build.js';
import { CLIENT_CPU, pinned } from './pin.js';

export const runPinnedChild = (
  file: string,
  args: readonly string[],
  env: Record<string, string>,
  marker: string,
): Promise<unknown> =>
  new Promise((resolve, reject) => {
    const [command, commandArgs] = pinned(CLIENT_CPU, process.execPath, [file, ...args]);
    const child = spawn(command, commandArgs, {
      cwd: root,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const prefix = `${marker} `;
      const line = stdout.split('\n').find((text) => text.startsWith(prefix));
      if (code !== 0 || line === undefined) {
        reject(new Error(`${file} exited ${code}:\n${stderr.slice(0, 3000)}`));
        return;
      }
      resolve(JSON.parse(line.slice(prefix.length)));
    });
  });

/** The emulator's control API (`/_emulator/...`): its answer as JSON, undefined when empty. */
export const emulatorControl = async (
  origin: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<unknown> => {
  const response = await fetch(`${origin}/_emulator/${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`emulator ${method} ${path}: ${response.status} ${text}`);
  return text === '' ? undefined : (JSON.parse(text) as unknown);
};
