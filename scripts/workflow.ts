// `npm run workflow -- [<state machine>] <input.json>`: runs a state machine of serverless.yml
// (by default the only one, retireImage) on this machine with aws-local-stepfunctions, its Task
// states calling the real task handlers in this process, against a provider emulator seeded with
// the demo images (unless the shell names real credentials or endpoints; see
// local-environment.ts). No AWS account is needed.
//
//   npm run workflow -- events/retire-image.json
//   WAIT_MS=30000 npm run workflow -- events/retire-image.json   # Wait states as long as deployed
//
// Wait states pause WAIT_MS milliseconds (default 100) instead of their deployed 30 s, and Retry
// pauses RETRY_MS (default 100): everything else (Choice, Retry matching, Catch, Fail) runs as
// written. Each task reports to the state machine as Lambda would: a thrown error's `name` is the
// state's error and the cause is `{"errorType", "errorMessage", "trace"}`.
//
// Output: each state as it is entered (stderr), the task functions' log lines, then `Output:`
// and the execution's output (exit 0), or `Failed:` and its error and cause (exit 1).

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ExecutionError, StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import { startEmulator } from '../emulator/server.js';
import { root } from './build.js';
import {
  emulatorEnvironment,
  REAL_ONLY_VARIABLES,
  realConfigurationIn,
} from './local-environment.js';
import {
  type Handler,
  loadHandler,
  localContext,
  localFunctions,
  readJsonFile,
  readStack,
} from './local-stack.js';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

const isObject = (value: unknown): value is JsonObject =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

/** A variable's whole milliseconds, or a one-line problem naming it and what it holds. */
const millisecondsFrom = (name: string, fallback: number): number | string => {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  return Number.isInteger(value) && value >= 0
    ? value
    : `${name} must be whole milliseconds (0 or more), got ${JSON.stringify(text)}`;
};

const ACCOUNT = '000000000000';
const REGION = 'eu-central-1';
const functionArn = (name: string) =>
  `arn:aws:lambda:${REGION}:${ACCOUNT}:function:cloud-image-functions-local-${name}`;

interface Machine {
  name: string;
  definitionFile: string;
}

/** serverless-step-functions' state machines, each defined by `${file(<path>)}`. */
const machinesOf = (stack: JsonObject): Machine[] => {
  const stepFunctions = isObject(stack.stepFunctions) ? stack.stepFunctions : {};
  const machines = isObject(stepFunctions.stateMachines) ? stepFunctions.stateMachines : {};
  return Object.entries(machines).flatMap(([name, machine]) => {
    const definition = isObject(machine) ? machine.definition : undefined;
    const file = typeof definition === 'string' ? /^\$\{file\((.+)\)\}$/.exec(definition) : null;
    return file?.[1] === undefined ? [] : [{ name, definitionFile: file[1] }];
  });
};

const main = async (): Promise<number> => {
  const args = process.argv.slice(2);
  const stack = await readStack();
  const machines = machinesOf(stack);
  const [machineName, inputFile] =
    args.length === 1 && machines.length === 1 ? [machines[0]?.name, args[0]] : args;
  const machine = machines.find((candidate) => candidate.name === machineName);
  if (machine === undefined || inputFile === undefined) {
    console.error('usage: npm run workflow -- [<state machine>] <input.json>');
    console.error(`state machines: ${machines.map((candidate) => candidate.name).join(', ')}`);
    return 2;
  }

  // Each Task's `Resource: {Fn::GetAtt: [<function>, Arn]}` as a Lambda ARN, run by the handler.
  const definition = JSON.parse(
    await readFile(join(root, machine.definitionFile), 'utf8'),
  ) as JsonObject;
  const states = isObject(definition.States) ? definition.States : {};
  const functions = localFunctions(stack);
  const taskFunctions: Record<string, string> = {};
  const waitStates: string[] = [];
  for (const [name, state] of Object.entries(states)) {
    if (!isObject(state)) continue;
    if (state.Type === 'Wait') waitStates.push(name);
    if (state.Type !== 'Task') continue;
    const getAtt = isObject(state.Resource) ? state.Resource['Fn::GetAtt'] : undefined;
    const fn = Array.isArray(getAtt) ? getAtt[0] : undefined;
    if (typeof fn !== 'string') throw new Error(`Task ${name}: Resource is not a function's Arn`);
    taskFunctions[name] = fn;
    state.Resource = functionArn(fn);
  }

  // Checked before anything starts, so that a typo stops the run at once with one line.
  const waitMs = millisecondsFrom('WAIT_MS', 100);
  const retryMs = millisecondsFrom('RETRY_MS', 100);
  if (typeof waitMs === 'string' || typeof retryMs === 'string') {
    console.error(`workflow: ${typeof waitMs === 'string' ? waitMs : retryMs}`);
    return 2;
  }
  const read = await readJsonFile(inputFile);
  if ('problem' in read) {
    console.error(`workflow: ${read.problem}`);
    return 2;
  }
  const input = read.json;
  const configuredBy = realConfigurationIn(process.env);
  const emulator = configuredBy.length === 0 ? await startEmulator() : undefined;
  if (emulator !== undefined) {
    Object.assign(process.env, emulatorEnvironment(emulator.url.replace(/\/+$/, '')));
    for (const name of REAL_ONLY_VARIABLES) delete process.env[name];
  }
  console.error(
    `workflow: ${machine.name} (${machine.definitionFile}) <- ${inputFile}; ${
      emulator === undefined
        ? `configuration from the environment (${configuredBy.join(', ')})`
        : `emulator at ${emulator.url}, demo images`
    }`,
  );

  try {
    const handlers = new Map<string, Handler>();
    for (const name of new Set(Object.values(taskFunctions))) {
      const fn = functions.find((candidate) => candidate.name === name);
      if (fn === undefined) throw new Error(`no function ${name} in serverless.yml`);
      handlers.set(name, await loadHandler(fn));
    }
    let invocations = 0;
    const taskResourceLocalHandlers = Object.fromEntries(
      Object.entries(taskFunctions).map(([state, name]) => {
        const fn = functions.find((candidate) => candidate.name === name);
        const handler = handlers.get(name);
        if (fn === undefined || handler === undefined) throw new Error(`no handler for ${name}`);
        return [
          state,
          async (event: Json): Promise<Json> => {
            invocations += 1;
            try {
              const result = await handler(event, localContext(fn, `local-${invocations}`));
              // What crosses the Lambda boundary is JSON.
              return JSON.parse(JSON.stringify(result ?? null)) as Json;
            } catch (thrown) {
              const error = thrown instanceof Error ? thrown : new Error(String(thrown));
              // As Lambda answers: the stack's lines as `trace` (ours carry no frames).
              const reported = new Error(
                JSON.stringify({
                  errorType: error.name,
                  errorMessage: error.message,
                  trace: error.stack?.split('\n'),
                }),
              );
              reported.name = error.name;
              throw reported;
            }
          },
        ];
      }),
    );

    const run = new StateMachine(definition as unknown as StateMachineDefinition, {
      validationOptions: { checkArn: true, checkPaths: true },
    }).run(input as never, {
      overrides: {
        taskResourceLocalHandlers,
        waitTimeOverrides: Object.fromEntries(waitStates.map((state) => [state, waitMs])),
        retryIntervalOverrides: Object.fromEntries(
          Object.keys(taskFunctions).map((state) => [state, retryMs]),
        ),
      },
    });
    const logged = (async () => {
      for await (const event of run.eventLogs) {
        if (event.type === 'StateEntered') {
          const fn = taskFunctions[event.state.name];
          console.error(`  -> ${event.state.name} (${event.state.type}${fn ? `: ${fn}` : ''})`);
        } else if (event.type === 'StateRetried') {
          console.error(`  retry ${event.state.name}`);
        }
      }
    })();

    try {
      const output = await run.result;
      await logged;
      console.log(`Output:\n${JSON.stringify(output, null, 2)}`);
      return 0;
    } catch (error) {
      await logged.catch(() => undefined);
      if (!(error instanceof ExecutionError)) throw error;
      const cause = error.cause instanceof Error ? error.cause : new Error(String(error.cause));
      console.log(
        `Failed:\n${JSON.stringify({ error: cause.name, cause: cause.message }, null, 2)}`,
      );
      return 1;
    }
  } finally {
    await emulator?.close();
  }
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
