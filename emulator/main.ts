// Runs the provider emulator on its own, on 127.0.0.1. Environment:
//
//   PORT                                 listening port (default 4010; 0 = any free port)
//   EMULATOR_SEED_MODELARTS_IMAGES       generated ModelArts images added to the demo ones (default 0)
//   EMULATOR_SEED_MODELARTS_NOTEBOOKS    generated ModelArts notebooks using some of them (default 0)
//   EMULATOR_SEED_BCC_IMAGES             generated BCC images (default 0)
//   EMULATOR_SEED_BCC_INSTANCES          generated BCC instances using some of them (default 0)
//   EMULATOR_SEED_RANDOM                 the generator's seed (default 1)
//   EMULATOR_MODELARTS_OFFSET            `records` (default) or `pages`: how ModelArts lists read offset
//   EMULATOR_RATE_LIMIT_MODELARTS        requests per second per access key, optionally `/burst`
//   EMULATOR_RATE_LIMIT_BCC              (e.g. `5` or `5/10`); unset = no limit
//
// The same can be changed at run time through the control API (control.ts).

import * as z from 'zod';
import { DEMO_BCC, DEMO_MODELARTS, SEEDED } from './demo.js';
import type { RateLimit, SeedSpec } from './options.js';
import { startEmulator } from './server.js';

const env = process.env;

const fail = (message: string): never => {
  console.error(message);
  process.exit(1);
};

const wholeNumber = (name: string, fallback: number | undefined): number | undefined => {
  const text = env[name];
  if (text === undefined || text === '') return fallback;
  const parsed = z.coerce.number().int().min(0).safeParse(text);
  return parsed.success ? parsed.data : fail(`${name} must be a whole number, got ${text}`);
};

const rateLimit = (name: string): RateLimit | undefined => {
  const text = env[name];
  if (text === undefined || text === '') return undefined;
  const match = /^(\d+(?:\.\d+)?)(?:\/(\d+))?$/.exec(text);
  if (match === null || Number(match[1]) <= 0) {
    return fail(`${name} must be "perSecond" or "perSecond/burst", got ${text}`);
  }
  return match[2] === undefined
    ? { perSecond: Number(match[1]) }
    : { perSecond: Number(match[1]), burst: Number(match[2]) };
};

const port = wholeNumber('PORT', 4010) ?? 4010;
if (port > 65535) fail(`PORT must be a port number, got ${port}`);

const seed: SeedSpec = {
  modelarts: {
    images: wholeNumber('EMULATOR_SEED_MODELARTS_IMAGES', 0),
    notebooks: wholeNumber('EMULATOR_SEED_MODELARTS_NOTEBOOKS', 0),
  },
  bcc: {
    images: wholeNumber('EMULATOR_SEED_BCC_IMAGES', 0),
    instances: wholeNumber('EMULATOR_SEED_BCC_INSTANCES', 0),
  },
  random: wholeNumber('EMULATOR_SEED_RANDOM', 1),
};
const offset = env.EMULATOR_MODELARTS_OFFSET ?? 'records';
if (offset !== 'records' && offset !== 'pages') {
  fail(`EMULATOR_MODELARTS_OFFSET must be records or pages, got ${offset}`);
}
const modelartsLimit = rateLimit('EMULATOR_RATE_LIMIT_MODELARTS');
const bccLimit = rateLimit('EMULATOR_RATE_LIMIT_BCC');

const emulator = await startEmulator({
  host: '127.0.0.1',
  port,
  seed,
  modelartsOffset: offset === 'pages' ? 'pages' : 'records',
  rateLimit: {
    ...(modelartsLimit === undefined ? {} : { modelarts: modelartsLimit }),
    ...(bccLimit === undefined ? {} : { bcc: bccLimit }),
  },
});
const counts = emulator.state.counts();
console.log(`provider emulator listening on ${emulator.url}`);
console.log(
  `  ModelArts: ${emulator.url}/v1/${DEMO_MODELARTS.projectId}/images[/{id}], /notebooks`,
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
