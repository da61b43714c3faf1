// How fast apply queues a large plan's decisions: 10,000 run messages sent to an SQS queue of moto
// (its own process, pinned to the upstreams' core) through the delete queue the stack uses
// (lib/stores/sqs-delete-queue.ts), one SendMessageBatch at a time (as apply sent them before) and
// with 4, 8 and 16 in flight (apply's sendAll), in rotated order, ROUNDS rounds, each call held
// LATENCY_MS by a proxy (SQS's round trip); fresh queues for each send, PER_QUEUE messages each
// (moto slows down with a queue's depth). Prints each lane count's median time and its ratio to
// one at a time within the same round, and the client's CPU per call.
//
//   bash scripts/node24.sh node --import tsx bench/apply-send.ts [--messages N] [--rounds N]
//                                                               [--latency MS]
//
// Loopback moto answers faster than SQS (15-20 ms a call from a Lambda) but costs CPU per call on
// its own core: compare the ratios, not the absolute rates.

import { CreateQueueCommand, DeleteQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import { sendAll } from '../lib/retirement/apply-plan.js';
import type { DeleteQueue, RunMessage } from '../lib/retirement/ports.js';
import { sqsDeleteQueue } from '../lib/stores/sqs-delete-queue.js';
import { MOTO_AWS_ENV, startSlowMoto } from './lib/moto.js';
import { CLIENT_CPU, canPin, pin, UPSTREAM_CPU } from './lib/pin.js';
import { median, round } from './lib/stats.js';

const args = process.argv.slice(2);
const option = (name: string, fallback: number): number => {
  const at = args.indexOf(name);
  return at >= 0 ? Number(args[at + 1]) : fallback;
};
const MESSAGES = option('--messages', 10_000);
const ROUNDS = option('--rounds', 5);
const LANES = [1, 4, 8, 16] as const;
/**
 * Messages per queue: moto's send grows with a queue's depth (its CPU, even with the clock reads
 * made flat: 10,000 into one queue took minutes), which SQS's does not, so the messages go to
 * queues of this many in turn.
 */
const PER_QUEUE = 500;
/** SQS's round trip from a Lambda, added to each call by a proxy in front of moto. */
const LATENCY_MS = option('--latency', 15);

const message = (index: number): RunMessage => ({
  provider: 'bcc',
  imageId: `m-${String(index).padStart(8, '0')}`,
  region: 'bj',
  planId: 'plan-0123456789abcdef01234567',
  runId: 'run-0123456789abcdef0123',
  imageKey: `bj/m-${String(index).padStart(8, '0')}`,
  expected: { status: 'Available', name: `web-${index}`, updatedAt: '2026-01-01T00:00:00Z' },
  identity: 'arn:aws:iam::123456789012:user/approver',
});

const main = async (): Promise<void> => {
  Object.assign(process.env, MOTO_AWS_ENV);
  if (canPin()) pin(process.pid, CLIENT_CPU);
  const moto = await startSlowMoto(UPSTREAM_CPU, LATENCY_MS);
  const config = {
    endpoint: moto.endpoint,
    region: MOTO_AWS_ENV.AWS_REGION,
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
  };
  const admin = new SQSClient(config);
  // The queue's own client, as the stack makes it (its timeouts), pointed at moto.
  const client = new SQSClient({
    ...config,
    requestHandler: { connectionTimeout: 3_000, requestTimeout: 5_000 },
  });
  const messages = Array.from({ length: MESSAGES }, (_, index) => message(index));
  const times = new Map<number, number[]>(LANES.map((lanes) => [lanes, []]));
  const ratios = new Map<number, number[]>(LANES.map((lanes) => [lanes, []]));
  try {
    // Warm-up: connections, the SDK's first-call costs, moto's.
    await sendOnce(admin, client, messages.slice(0, 500), 8);
    for (let round = 0; round < ROUNDS; round += 1) {
      const order = LANES.map((_, index) => LANES[(index + round) % LANES.length] as number);
      const ofRound = new Map<number, number>();
      for (const lanes of order) {
        const ms = await sendOnce(admin, client, messages, lanes);
        ofRound.set(lanes, ms);
        times.get(lanes)?.push(ms);
      }
      for (const lanes of LANES) {
        ratios.get(lanes)?.push((ofRound.get(1) as number) / (ofRound.get(lanes) as number));
      }
      console.log(`round ${round + 1}: ${JSON.stringify(Object.fromEntries(ofRound))}`);
    }
  } finally {
    admin.destroy();
    client.destroy();
    await moto.stop();
  }
  console.log(
    `Apply send, ${MESSAGES} messages, ${LATENCY_MS} ms added to each call, ${ROUNDS} rounds (${canPin() ? 'pinned' : 'not pinned'}):`,
  );
  console.log(`  client CPU per call: median ${round(median(cpuMsPerCall), 2)} ms`);
  for (const lanes of LANES) {
    const ms = median(times.get(lanes) ?? []);
    console.log(
      `  ${String(lanes).padStart(2)} in flight: median ${Math.round(ms)} ms (${Math.round((MESSAGES / ms) * 1000)} messages/s), ${round(median(ratios.get(lanes) ?? []), 2)}x one at a time (per round: ${(ratios.get(lanes) ?? []).map((ratio) => round(ratio, 2)).join(', ')})`,
    );
  }
};

/** The client's CPU (this process: signing, serialising, sockets) per SendMessageBatch call. */
const cpuMsPerCall: number[] = [];

/** Sends the messages to a fresh queue with `lanes` calls in flight: the milliseconds it took. */
const sendOnce = async (
  admin: SQSClient,
  client: SQSClient,
  messages: readonly RunMessage[],
  lanes: number,
): Promise<number> => {
  const urls: string[] = [];
  for (let index = 0; index < Math.ceil(messages.length / PER_QUEUE); index += 1) {
    const created = await admin.send(
      new CreateQueueCommand({ QueueName: `apply-send-${lanes}-${index}-${Date.now()}` }),
    );
    urls.push(created.QueueUrl as string);
  }
  const queues = urls.map((queueUrl) => sqsDeleteQueue({ queueUrl, client }));
  let calls = 0;
  // Each call to the next queue in turn (the same client, the same calls as to one queue).
  const queue: DeleteQueue = {
    send: (batch, options) => {
      calls += 1;
      return (queues[calls % queues.length] as DeleteQueue).send(batch, options);
    },
  };
  const cpu = process.cpuUsage();
  const started = performance.now();
  const { unsent, late } = await sendAll(queue, messages, { lanes });
  const ms = performance.now() - started;
  const used = process.cpuUsage(cpu);
  cpuMsPerCall.push((used.user + used.system) / 1000 / calls);
  if (unsent.length + late.length > 0) throw new Error(`${unsent.length} messages not sent`);
  for (const queueUrl of urls) await admin.send(new DeleteQueueCommand({ QueueUrl: queueUrl }));
  return ms;
};

await main();
