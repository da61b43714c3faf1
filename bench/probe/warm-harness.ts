// Where the warm time goes: bundled unminified by bench/cold.ts (profileWarm) and run in its own
// process against the benchmark upstream. Drives `count` shows with `inFlight` in flight through
// the show handler or the bare client, after a warm-up, and CPU-profiles only the measured part
// (node:inspector), writing the profile to the given file.
//
//   node warm-harness.mjs handler|bare <count> <inFlight> <profile.cpuprofile>
// Environment: the function's (functionEnv), BENCH_IMAGE_ID.

import { openSync, writeFileSync, writeSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { request } from 'undici';
import { handler } from '../../functions/http/show-image.js';
import { sharedDispatcher } from '../../lib/http/transport.js';
import { setLogSink } from '../../lib/log/log.js';
import { httpEvent, lambdaContext } from '../../scripts/lambda-events.js';
import { signedWireRequest } from '../lib/fixtures.js';

const [mode = 'handler', countText = '10000', inFlightText = '64', output = 'warm.cpuprofile'] =
  process.argv.slice(2);
const count = Number(countText);
const inFlight = Number(inFlightText);
const imageId = process.env.BENCH_IMAGE_ID ?? '';
const origin = process.env.MODELARTS_ENDPOINT ?? '';

const devNull = openSync('/dev/null', 'w');
setLogSink((line) => {
  writeSync(devNull, `${line}\n`);
});

const wire = signedWireRequest(origin, 'GET');
const bare = async (): Promise<void> => {
  const response = await request(wire.url, {
    method: wire.method,
    headers: wire.headers,
    dispatcher: sharedDispatcher(),
  });
  await response.body.text();
  if (response.statusCode !== 200) throw new Error(`bare GET answered ${response.statusCode}`);
};
const viaHandler = async (): Promise<void> => {
  const result = await handler(httpEvent('GET', 'modelarts', imageId), lambdaContext());
  if (result.statusCode !== 200) throw new Error(`handler answered ${result.statusCode}`);
};
const once = mode === 'bare' ? bare : viaHandler;

const drive = async (total: number): Promise<number> => {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < total) {
        next += 1;
        await once();
      }
    }),
  );
  return performance.now() - started;
};

await drive(Math.min(3_000, count));
const session = new Session();
session.connect();
await session.post('Profiler.enable');
await session.post('Profiler.setSamplingInterval', { interval: 100 });
await session.post('Profiler.start');
const elapsedMs = await drive(count);
const { profile } = await session.post('Profiler.stop');
writeFileSync(output, JSON.stringify(profile));
process.stdout.write(
  `\n@@warm ${JSON.stringify({ mode, count, inFlight, elapsedMs, requestsPerSecond: count / (elapsedMs / 1000) })}\n`,
  () => process.exit(0),
);
