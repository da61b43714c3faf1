// A policy from text: JSON (a request body, a file) or YAML (a file under policies/). Apart from
// policy.ts so that what takes policies as JSON values (the functions) does not load a YAML parser.

import { parse as parseYaml } from 'yaml';
import { InvalidRequest } from '../errors/errors.js';
import { MAX_POLICY_TEXT_LENGTH, type Policy, parsePolicy } from './policy.js';

/** A policy from JSON text (a request body) or YAML text (a file under policies/). */
export const parsePolicyText = (text: string, format: 'json' | 'yaml'): Policy => {
  if (text.length > MAX_POLICY_TEXT_LENGTH) {
    throw new InvalidRequest(`policy: must be at most ${MAX_POLICY_TEXT_LENGTH} characters`, {
      field: 'policy',
    });
  }
  let value: unknown;
  if (format === 'json') {
    try {
      value = JSON.parse(text);
    } catch {
      throw new InvalidRequest('policy: is not valid JSON', { field: 'policy' });
    }
  } else {
    try {
      // YAML 1.2 core schema: `yes` stays a string, duplicate keys are an error, and aliases are
      // capped so a small document cannot expand into a huge one.
      value = parseYaml(text, { prettyErrors: false, uniqueKeys: true, maxAliasCount: 100 });
    } catch (error) {
      throw new InvalidRequest(`policy: is not valid YAML: ${yamlProblem(error, text)}`, {
        field: 'policy',
      });
    }
  }
  return parsePolicy(value);
};

/** The YAML parser's complaint and where, without echoing the document back. */
const yamlProblem = (error: unknown, text: string): string => {
  if (!(error instanceof Error)) return 'unreadable';
  const firstLine = (error.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '');
  const offset = (error as { pos?: [number, number] }).pos?.[0];
  return `${firstLine.slice(0, 200)}${offset === undefined ? '' : ` (${lineAndColumn(text, offset)})`}`;
};

const lineAndColumn = (text: string, offset: number): string => {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return `line ${line}, column ${offset - before.lastIndexOf('\n')}`;
};
