// A policy from text: JSON (a request body, a file) or YAML (a file under policies/). Apart from
// policy.ts so that what takes policies as JSON values (the functions) does not load a YAML parser.
// A key written twice is refused in both, naming its path: whichever value a parser kept, the
// limits would be a guess at what the author meant.

import { isMap, isScalar, isSeq, parseDocument } from 'yaml';
import { InvalidRequest } from '../errors/errors.js';
import {
  jsonTextRefusal,
  lineAndColumn,
  parseJsonText,
  writtenTwice,
} from '../schema/json-text.js';
import { MAX_POLICY_TEXT_LENGTH, type Policy, parsePolicy } from './policy.js';

// YAML 1.2 core schema (a `%YAML 1.1` directive, which would change that, is refused): `yes` stays
// a string, duplicate keys are an error, and aliases are capped so a small document cannot expand
// into a huge one.
const YAML_OPTIONS = { prettyErrors: false, uniqueKeys: true, maxAliasCount: 100 } as const;

/**
 * A policy from JSON text (a request body) or YAML text (a file under policies/). `source` (a
 * file's path) is named in where a problem is; a caller that names the file itself leaves it out.
 */
export const parsePolicyText = (text: string, format: 'json' | 'yaml', source?: string): Policy => {
  if (text.length > MAX_POLICY_TEXT_LENGTH) {
    throw new InvalidRequest(`policy: must be at most ${MAX_POLICY_TEXT_LENGTH} characters`, {
      field: 'policy',
    });
  }
  let value: unknown;
  if (format === 'json') {
    const parsed = parseJsonText(text);
    if (!parsed.ok) {
      const { field, message } = jsonTextRefusal(parsed.problem, text, 'policy', source);
      throw new InvalidRequest(message, { field });
    }
    value = parsed.value;
  } else {
    try {
      // parseDocument, not parse: parse prints the document's warnings (a tag it cannot read) as
      // Node warnings on stderr, and keeps such a value as its text.
      const document = parseDocument(text, YAML_OPTIONS);
      const [problem] = document.errors;
      if (problem !== undefined) throw problem;
      const [warning] = document.warnings;
      if (warning !== undefined) {
        throw new InvalidRequest(
          `policy: ${unreadYaml(warning)} (${lineAndColumn(text, warning.pos[0], source)})`,
          { field: 'policy' },
        );
      }
      const { version } = document.directives?.yaml ?? { version: '1.2' };
      if (version !== '1.2') {
        // `%YAML 1.1` would read the rest by YAML 1.1's rules (`yes` true, `0020` octal, `<<`
        // merged): not what this service documents, nor what a reader of the file expects.
        throw new InvalidRequest(
          `policy: has a YAML directive this service does not read (%YAML ${version}: it reads YAML 1.2): write the document without it (${lineAndColumn(text, Math.max(0, text.indexOf('%YAML')), source)})`,
          { field: 'policy' },
        );
      }
      value = document.toJS({ maxAliasCount: YAML_OPTIONS.maxAliasCount });
    } catch (error) {
      if (error instanceof InvalidRequest) throw error;
      const twice = yamlDuplicate(error, text);
      if (twice !== undefined) {
        const { field, message } = writtenTwice(
          twice.path,
          lineAndColumn(text, twice.offset, source),
        );
        throw new InvalidRequest(message, { field });
      }
      throw new InvalidRequest(`policy: is not valid YAML: ${yamlProblem(error, text, source)}`, {
        field: 'policy',
      });
    }
  }
  if (value === null && format === 'yaml' && parseDocument(text).contents === null) {
    // An empty file (or only spaces and comments) is no document: say so, not "received null".
    throw new InvalidRequest(
      `policy: is empty (no YAML document${source === undefined ? '' : ` in ${source}`})`,
      { field: 'policy' },
    );
  }
  return parsePolicy(value);
};

/**
 * What a YAML warning says the parser could not read: a directive (`%YAML 1.3`, `%FOO`: the
 * document's), a tag (`Unresolved tag: !percent` → `!percent`: a value's), or else its message.
 */
const unreadYaml = (warning: { code: string; message: string }): string => {
  const firstLine = warning.message.split('\n')[0] ?? '';
  if (warning.code === 'BAD_DIRECTIVE') {
    return `has a YAML directive this service does not read (${firstLine.slice(0, 200)}): write the document without it`;
  }
  if (warning.code === 'TAG_RESOLVE_FAILED' || warning.code === 'BAD_COLLECTION_TYPE') {
    const named = /^Unresolved tag: (\S{1,100})/.exec(firstLine);
    return `has a YAML tag this service does not read (${named?.[1] ?? firstLine.slice(0, 200)}): write the value without it`;
  }
  return `is not valid YAML: ${firstLine.slice(0, 200)}`;
};

/** The YAML parser's complaint and where, without echoing the document back. */
const yamlProblem = (error: unknown, text: string, source: string | undefined): string => {
  if (!(error instanceof Error)) return 'unreadable';
  const firstLine = (error.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '');
  const offset = yamlOffset(error);
  return `${firstLine.slice(0, 200)}${offset === undefined ? '' : ` (${lineAndColumn(text, offset, source)})`}`;
};

const yamlOffset = (error: unknown): number | undefined =>
  (error as { pos?: [number, number] }).pos?.[0];

/**
 * For the parser's DUPLICATE_KEY (which gives only an offset), the path of that key: the document
 * parsed again (on this error only) and walked to the key that starts there.
 */
const yamlDuplicate = (
  error: unknown,
  text: string,
): { path: string[]; offset: number } | undefined => {
  const offset = yamlOffset(error);
  if ((error as { code?: unknown }).code !== 'DUPLICATE_KEY' || offset === undefined) {
    return undefined;
  }
  const path = keyPathAt(parseDocument(text, YAML_OPTIONS).contents, offset, []);
  return path === undefined ? undefined : { path, offset };
};

const keyPathAt = (node: unknown, offset: number, path: string[]): string[] | undefined => {
  if (isMap(node)) {
    for (const { key, value } of node.items) {
      const here = [...path, isScalar(key) ? String(key.value) : String(key)];
      if (isScalar(key) && key.range?.[0] === offset) return here;
      const found = keyPathAt(value, offset, here);
      if (found !== undefined) return found;
    }
  } else if (isSeq(node)) {
    for (const [index, item] of node.items.entries()) {
      const found = keyPathAt(item, offset, [...path, String(index)]);
      if (found !== undefined) return found;
    }
  }
  return undefined;
};
