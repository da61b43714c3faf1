// Runs the provider emulator on its own: `PORT` (default 4010) on 127.0.0.1.

import { DEMO_BCC, DEMO_MODELARTS, SEEDED } from './demo.js';
import { startEmulator } from './server.js';

const port = Number(process.env.PORT ?? '4010');
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`PORT must be a port number, got ${process.env.PORT}`);
  process.exit(1);
}

const emulator = await startEmulator({ host: '127.0.0.1', port });
console.log(`provider emulator listening on ${emulator.url}`);
console.log(`  ModelArts: ${emulator.url}/v1/${DEMO_MODELARTS.projectId}/images/{id}`);
console.log(`    AK ${DEMO_MODELARTS.accessKeyId}, project ${DEMO_MODELARTS.projectId}`);
for (const [name, id] of Object.entries(SEEDED.modelarts)) console.log(`    ${name}: ${id}`);
console.log(`  BCC: ${emulator.url}/v2/image/{imageId}`);
console.log(`    AK ${DEMO_BCC.accessKeyId}`);
for (const [name, id] of Object.entries(SEEDED.bcc)) console.log(`    ${name}: ${id}`);
console.log(`  control API: ${emulator.url}/_emulator/`);

const stop = (): void => {
  emulator.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
