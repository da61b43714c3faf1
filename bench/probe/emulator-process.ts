// The provider emulator in a process of its own (run.ts pins it to the upstream's core), started
// with the options given as one JSON argument (seed, rate limits). Prints `@@emulator {"port"}` once
// listening; driven through its control API; stops when its parent disconnects or on SIGTERM.

import { type EmulatorOptions, startEmulator } from '../../emulator/server.js';

const options = JSON.parse(process.argv[2] ?? '{}') as EmulatorOptions;
const emulator = await startEmulator({ ...options, host: '127.0.0.1', port: 0 });
process.stdout.write(`@@emulator ${JSON.stringify({ port: emulator.port })}\n`);

const stop = (): void => {
  emulator.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
process.stdin.resume();
process.stdin.on('end', stop);
