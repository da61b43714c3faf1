// What the local runs need from serverless.yml, read as YAML (no osls, no variables resolved):
// each function's handler module and timeout, the queue a function consumes, and the EventBridge
// rules that feed that queue. serverless.yml stays the one place these are written.

import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Context } from 'aws-lambda';
import { parse } from 'yaml';
import { root } from './build.js';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export interface LocalFunction {
  /** The serverless.yml key, e.g. `httpShowImage`. */
  name: string;
  /** `functions/http/show-image.handler` */
  handler: string;
  /** The module that exports it, relative to the repository. */
  module: string;
  exportName: string;
  timeoutSeconds: number;
  /** The logical id of the queue it consumes (an `sqs` event on `Fn::GetAtt [Queue, Arn]`). */
  queue?: string;
}

export interface QueueRule {
  logicalId: string;
  /** Top-level fields and the values they must have (`detail-type: [...]`). */
  pattern: Record<string, Json[]>;
  inputPath: string;
}

const isObject = (value: Json | undefined): value is JsonObject =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

const getAttOf = (value: Json | undefined): string | undefined => {
  const getAtt = isObject(value) ? value['Fn::GetAtt'] : undefined;
  return Array.isArray(getAtt) && typeof getAtt[0] === 'string' ? getAtt[0] : undefined;
};

/**
 * An event or input file given on the command line, as JSON; a file that cannot be read or is not
 * JSON is a one-line message naming it (no stack trace), for the script to print before it exits 2.
 */
export const readJsonFile = async (file: string): Promise<{ json: Json } | { problem: string }> => {
  let text: string;
  try {
    text = await readFile(resolve(file), 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return {
      problem: `cannot read ${file}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a folder' : (error as Error).message}`,
    };
  }
  try {
    return { json: JSON.parse(text) as Json };
  } catch (error) {
    return { problem: `${file} is not JSON: ${(error as Error).message}` };
  }
};

export const readStack = async (): Promise<JsonObject> =>
  parse(await readFile(join(root, 'serverless.yml'), 'utf8')) as JsonObject;

export const localFunctions = (stack: JsonObject): LocalFunction[] => {
  const provider = isObject(stack.provider) ? stack.provider : {};
  const functions = isObject(stack.functions) ? stack.functions : {};
  return Object.entries(functions).flatMap(([name, definition]) => {
    if (!isObject(definition) || typeof definition.handler !== 'string') return [];
    const handler = definition.handler;
    const dot = handler.lastIndexOf('.');
    const events = Array.isArray(definition.events) ? definition.events : [];
    const queue = events
      .map((event) =>
        isObject(event) && isObject(event.sqs) ? getAttOf(event.sqs.arn) : undefined,
      )
      .find((id) => id !== undefined);
    const timeout = definition.timeout ?? provider.timeout ?? 6;
    return [
      {
        name,
        handler,
        module: `${handler.slice(0, dot)}.ts`,
        exportName: handler.slice(dot + 1),
        timeoutSeconds: typeof timeout === 'number' ? timeout : 6,
        ...(queue === undefined ? {} : { queue }),
      },
    ];
  });
};

/**
 * The CloudFormation resources written in serverless.yml: `resources` is one object or, as now, a
 * list of them that osls merges (the last item, the policy schedules, is a variable: skipped).
 */
const stackResources = (stack: JsonObject): JsonObject => {
  const parts = Array.isArray(stack.resources) ? stack.resources : [stack.resources];
  return Object.assign(
    {},
    ...parts.map((part) => (isObject(part) && isObject(part.Resources) ? part.Resources : {})),
  ) as JsonObject;
};

/** The EventBridge rules of the stack whose target is `queue` (by logical id). */
export const rulesFeeding = (stack: JsonObject, queue: string): QueueRule[] => {
  return Object.entries(stackResources(stack)).flatMap(([logicalId, resource]) => {
    if (!isObject(resource) || resource.Type !== 'AWS::Events::Rule') return [];
    const properties = isObject(resource.Properties) ? resource.Properties : {};
    const targets = Array.isArray(properties.Targets) ? properties.Targets : [];
    const target = targets.find((t) => isObject(t) && getAttOf(t.Arn) === queue);
    if (!isObject(target) || !isObject(properties.EventPattern)) return [];
    const pattern = Object.fromEntries(
      Object.entries(properties.EventPattern).map(([key, values]) => [
        key,
        Array.isArray(values) ? values : [values],
      ]),
    );
    const inputPath = typeof target.InputPath === 'string' ? target.InputPath : '$';
    return [{ logicalId, pattern, inputPath }];
  });
};

/**
 * EventBridge's matching for patterns of top-level values (what the stack's rules use): exact
 * values, and `{"anything-but": value or [values]}` (the field present, with none of them).
 */
export const ruleMatches = (rule: QueueRule, event: JsonObject): boolean =>
  Object.entries(rule.pattern).every(([key, values]) =>
    values.some((value) => {
      const but = isObject(value) ? value['anything-but'] : undefined;
      if (but === undefined) return value === (event[key] ?? null);
      const excluded = Array.isArray(but) ? but : [but];
      return event[key] !== undefined && !excluded.includes(event[key] ?? null);
    }),
  );

/** A target's InputPath: `$` or `$.a.b`. */
export const applyInputPath = (path: string, event: Json): Json => {
  if (path === '$') return event;
  let value: Json | undefined = event;
  for (const key of path.replace(/^\$\./, '').split('.')) {
    value = isObject(value) ? value[key] : undefined;
  }
  return value ?? null;
};

export type Handler = (event: unknown, context: Context) => Promise<unknown>;

/** The function's handler, imported from its TypeScript module (through tsx). */
export const loadHandler = async (fn: LocalFunction): Promise<Handler> => {
  const loaded = (await import(pathToFileURL(join(root, fn.module)).href)) as Record<
    string,
    unknown
  >;
  const handler = loaded[fn.exportName];
  if (typeof handler !== 'function') {
    throw new Error(`${fn.module} exports no function ${fn.exportName}`);
  }
  return handler as Handler;
};

/** A Lambda context for one local invocation of `fn`, its timeout counting from now. */
export const localContext = (fn: LocalFunction, requestId: string): Context => {
  const end = Date.now() + fn.timeoutSeconds * 1000;
  const name = `cloud-image-functions-local-${fn.name}`;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: name,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:eu-central-1:000000000000:function:${name}`,
    memoryLimitInMB: '512',
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${name}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, end - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
};
