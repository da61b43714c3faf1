// The retire-image state machine exactly as serverless.yml deploys it (the same file, through
// `${file(...)}`), with its `Fn::GetAtt: [function, Arn]` Resources resolved to fake Lambda ARNs the
// way CloudFormation would, and which serverless.yml function each Task state invokes.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const DEFINITION_FILE = fileURLToPath(
  new URL('../../workflows/retire-image.asl.json', import.meta.url),
);

export const FAKE_ACCOUNT = '123456789012';
export const FAKE_REGION = 'eu-central-1';

export const fakeFunctionArn = (functionKey: string): string =>
  `arn:aws:lambda:${FAKE_REGION}:${FAKE_ACCOUNT}:function:cloud-image-functions-test-${functionKey}`;

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export interface ResolvedDefinition {
  /** The definition with every Resource a plain ARN. */
  definition: { [key: string]: Json };
  /** Task state name → the serverless.yml function key its Resource names. */
  taskFunctions: Record<string, string>;
}

/** The file as committed (what `${file(...)}` hands to serverless-step-functions). */
export const rawDefinition = (): { [key: string]: Json } =>
  JSON.parse(readFileSync(DEFINITION_FILE, 'utf8')) as { [key: string]: Json };

const isObject = (value: Json | undefined): value is { [key: string]: Json } =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

export const resolveDefinition = (raw = rawDefinition()): ResolvedDefinition => {
  const definition = structuredClone(raw);
  const taskFunctions: Record<string, string> = {};
  const states = definition.States;
  if (!isObject(states)) throw new Error('the definition has no States');
  for (const [name, state] of Object.entries(states)) {
    if (!isObject(state) || state.Type !== 'Task') continue;
    const resource = state.Resource;
    const getAtt = isObject(resource) ? resource['Fn::GetAtt'] : undefined;
    if (!Array.isArray(getAtt) || getAtt[1] !== 'Arn' || typeof getAtt[0] !== 'string') {
      throw new Error(`Task ${name}: Resource is not Fn::GetAtt [function, Arn]`);
    }
    taskFunctions[name] = getAtt[0];
    state.Resource = fakeFunctionArn(getAtt[0]);
  }
  return { definition, taskFunctions };
};
