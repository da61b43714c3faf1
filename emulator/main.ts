// Runs the provider emulator on its own, on 127.0.0.1. Environment:
//
//   EMULATOR_PORT (as `npm start` reads it), else PORT: listening port (default 4010; 0 = any free
//   port)
//   and the seed, offset and rate-limit variables of env-options.ts (no generated images by default)
//
// The same can be changed at run time through the control API (control.ts).

import * as z from 'zod';
import { DEMO_BCC, DEMO_MODELARTS, SEEDED } from './demo.js';
import { EmulatorEnvError, emulatorOptionsFromEnv } from './env-options.js';
import { startEmulator } from './server.js';

const fail = (message: string): never => {
  console.error(message);
  process.exit(1);
};

const portText = process.env.EMULATOR_PORT || process.env.PORT;
const portParsed = z.coerce
  .number()
  .int()
  .min(0)
  .max(65_535)
  .safeParse(portText || '4010');
const port = portParsed.success
  ? portParsed.data
  : fail(`EMULATOR_PORT (or PORT) must be a port number, got ${portText}`);

let options: ReturnType<typeof emulatorOptionsFromEnv>;
try {
  options = emulatorOptionsFromEnv(process.env);
} catch (error) {
  if (error instanceof EmulatorEnvError) fail(error.message);
  throw error;
}

const emulator = await startEmulator({ host: '127.0.0.1', port, ...options });
const counts = emulator.state.counts();
console.log(`provider emulator listening on ${emulator.url}`);
console.log(
  `  ModelArts: ${emulator.url}/v1/${DEMO_MODELARTS.projectId}/images[/{id}], /notebooks[/all]`,
);
console.log(`    AK ${DEMO_MODELARTS.accessKeyId}, project ${DEMO_MODELARTS.projectId}`);
console.log(
  `    ${counts.modelarts.images} images, ${counts.modelarts.notebooks} notebooks; offset counts ${emulator.settings.modelartsOffset}`,
);
for (const [name, id] of Object.entries(SEEDED.modelarts)) console.log(`    ${name}: ${id}`);
console.log(`  BCC: ${emulator.url}/v2/image[/{imageId}], /v2/instance`);
console.log(`    AK ${DEMO_BCC.accessKeyId}`);
console.log(`    ${counts.bcc.images} images, ${counts.bcc.instances} instances`);
for (const [name, id] of Object.entries(SEEDED.bcc)) console.log(`    ${name}: ${id}`);
const limits = emulator.rateLimit.limits;
if (limits.modelarts !== undefined || limits.bcc !== undefined) {
  console.log(`  rate limits per access key: ${JSON.stringify(limits)}`);
}
console.log(`  control API: ${emulator.url}/_emulator/`);

const stop = (): void => {
  emulator.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
