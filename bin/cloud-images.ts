// The `cloud-images` entry point (run by bin/cloud-images.mjs, or bundled into
// dist/cli/cloud-images.mjs): the process's streams and environment, the emulator wiring that
// `npm start` uses (scripts/local-environment.ts), and the exit status.

import { runCli } from '../lib/cli/main.js';
import packageJson from '../package.json' with { type: 'json' };
import { emulatorEnvironment, REAL_ONLY_VARIABLES } from '../scripts/local-environment.js';

// A reader that stops early (`cloud-images list ... | head -3`) is not a failure to report, nor
// a success: the command ends with its own status (a listing out of time is still UpstreamTimeout).
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
  });
}

const status = await runCli(
  process.argv.slice(2),
  {
    streams: { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr },
    env: process.env,
    emulator: { environment: emulatorEnvironment, realOnlyVariables: REAL_ONLY_VARIABLES },
  },
  packageJson.version,
);

// Written output first; then exit even though the HTTP agent keeps idle connections open.
const flushed = (stream: NodeJS.WriteStream): Promise<void> =>
  new Promise((resolve) => stream.write('', () => resolve()));
await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
process.exit(status);
