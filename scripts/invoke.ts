// `npm run invoke -- <function> <event.json>`: runs one function's handler on this machine, the
// way Lambda would call it, with no AWS account: the handler module (serverless.yml's `handler`)
// is loaded from source, and unless the shell names real credentials or endpoints (see
// local-environment.ts) a provider emulator is started in this process, seeded with the demo
// images, and the function is pointed at it.
//
//   npm run invoke -- httpShowImage events/http-show-image.json
//   npm run invoke -- taskDeleteImage events/task-delete-image.json
//   npm run invoke -- sqsDeleteImage events/sqs-delete-batch.json
//   npm run invoke -- sqsDeleteImage events/eventbridge-image-delete-requested.json
//
// An EventBridge event given to the queue consumer is delivered as the stack would deliver it:
// through the rule that targets its queue (pattern, InputPath), as the body of a one-record batch.
//
// Output: the function's own log lines, then `Result:` and what the handler returned (exit 0), or
// `Error:` and the error as Lambda reports it, `{"errorType", "errorMessage"}` (exit 1).

import { randomUUID } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { startEmulator } from '../emulator/server.js';
import { DEFAULT_STORE_DIR } from '../lib/config/retirement-config.js';
import { localQueueDir } from '../lib/stores/local-delete-queue.js';
import {
  emulatorEnvironment,
  REAL_ONLY_VARIABLES,
  realConfigurationIn,
} from './local-environment.js';
import {
  applyInputPath,
  type Json,
  type JsonObject,
  type LocalFunction,
  loadHandler,
  localContext,
  localFunctions,
  readJsonFile,
  readStack,
  ruleMatches,
  rulesFeeding,
} from './local-stack.js';

const usage = (names: string[]): string =>
  [
    'usage: npm run invoke -- <function> <event.json>',
    `functions: ${names.join(', ')}`,
    'sample events: events/*.json',
  ].join('\n');

const isObject = (value: Json): value is JsonObject =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

const isEventBridgeEvent = (event: Json): event is JsonObject =>
  isObject(event) && typeof event['detail-type'] === 'string' && 'detail' in event;

/** The batch the queue's event source mapping would hand the consumer for this one body. */
const sqsBatch = (fn: LocalFunction, body: string) => ({
  Records: [
    {
      messageId: randomUUID(),
      receiptHandle: 'local',
      body,
      attributes: {
        ApproximateReceiveCount: '1',
        SentTimestamp: String(Date.now()),
        SenderId: 'local',
        ApproximateFirstReceiveTimestamp: String(Date.now()),
      },
      messageAttributes: {},
      md5OfBody: '',
      eventSource: 'aws:sqs',
      eventSourceARN: `arn:aws:sqs:eu-central-1:000000000000:cloud-image-functions-local-${fn.queue}`,
      awsRegion: 'eu-central-1',
    },
  ],
});

const main = async (): Promise<number> => {
  const [functionName, eventFile] = process.argv.slice(2);
  const stack = await readStack();
  const functions = localFunctions(stack);
  const fn = functions.find((candidate) => candidate.name === functionName);
  if (fn === undefined || eventFile === undefined) {
    if (functionName !== undefined && fn === undefined) {
      console.error(`invoke: no function ${JSON.stringify(functionName)} in serverless.yml`);
    }
    console.error(usage(functions.map((candidate) => candidate.name)));
    return 2;
  }

  const read = await readJsonFile(eventFile);
  if ('problem' in read) {
    console.error(`invoke: ${read.problem}`);
    return 2;
  }
  const file = read.json;
  let event: unknown = file;
  if (fn.queue !== undefined && isEventBridgeEvent(file)) {
    const rule = rulesFeeding(stack, fn.queue).find((candidate) => ruleMatches(candidate, file));
    if (rule === undefined) {
      console.error(`invoke: no rule of the stack delivers this event to ${fn.queue}`);
      return 1;
    }
    console.error(
      `invoke: EventBridge event delivered by ${rule.logicalId} (InputPath ${rule.inputPath}) to ${fn.queue}`,
    );
    event = sqsBatch(fn, JSON.stringify(applyInputPath(rule.inputPath, file)));
  }

  const configuredBy = realConfigurationIn(process.env);
  const emulator = configuredBy.length === 0 ? await startEmulator() : undefined;
  if (emulator !== undefined) {
    Object.assign(process.env, emulatorEnvironment(emulator.url.replace(/\/+$/, '')));
    for (const name of REAL_ONLY_VARIABLES) delete process.env[name];
  }
  console.error(
    `invoke: ${fn.name} (${fn.handler}) <- ${eventFile}; ${
      emulator === undefined
        ? `configuration from the environment (${configuredBy.join(', ')})`
        : `emulator at ${emulator.url}, demo images`
    }`,
  );

  const queuedBefore = await pendingDeletes();
  try {
    // Imported only now: the function reads its configuration from the environment set above.
    const handler = await loadHandler(fn);
    try {
      const result = await handler(event, localContext(fn, randomUUID()));
      console.log(`Result:\n${JSON.stringify(result ?? null, null, 2)}`);
      return 0;
    } catch (thrown) {
      const error = thrown instanceof Error ? thrown : new Error(String(thrown));
      const reported = { errorType: error.name, errorMessage: error.message };
      console.log(`Error:\n${JSON.stringify(reported, null, 2)}`);
      return 1;
    }
  } finally {
    await emulator?.close();
    await tellQueuedDeletes(queuedBefore);
  }
};

/** The local delete queue's folder (npm start's), where an applied plan leaves its deletes. */
const pendingFolder = (): string =>
  localQueueDir(resolve(process.env.RETIREMENT_STORE_DIR || DEFAULT_STORE_DIR));

/** The messages waiting in the local delete queue (none when there is no such folder). */
const pendingDeletes = async (): Promise<ReadonlySet<string>> =>
  new Set(await readdir(pendingFolder()).catch(() => []));

/**
 * A function that applied a plan (a scheduled firing of an `"apply": "auto"` policy) queued its
 * deletes in the local queue, which only npm start works: said, so the run left `running` is not a
 * mystery, and so nobody is surprised when a later npm start carries them out.
 */
const tellQueuedDeletes = async (before: ReadonlySet<string>): Promise<void> => {
  const added = [...(await pendingDeletes())].filter((file) => !before.has(file)).length;
  if (added === 0) return;
  console.error(
    `invoke: ${added} delete${added === 1 ? '' : 's'} queued in ${pendingFolder()}, not carried out: invoke runs one function; \`npm start\` (with the same RETIREMENT_STORE_DIR) works that queue, against its own emulator, and completes the run`,
  );
};

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  },
);
