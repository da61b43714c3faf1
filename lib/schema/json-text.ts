// JSON text read strictly, for documents a safety rule depends on (a retirement policy): the value
// JSON.parse gives, but a key written twice in one object is refused (JSON.parse silently keeps the
// last, so `"maxDeletions": 5, "maxDeletions": 500` would read as 500) and a problem says where it
// is (line and column) without quoting the text, as V8's own messages do. JSON.parse stays the
// judge of what is JSON and of every value (numbers, escapes, `__proto__` keys); a second pass over
// the text finds what it does not tell. Linear; for the plan route and policy files, not hot paths.

import { shownName } from './caller-names.js';

export interface JsonTextProblem {
  /** `syntax`: the text is not JSON; `duplicate`: a key is written twice in one object. */
  readonly kind: 'syntax' | 'duplicate';
  /** What is wrong, for `syntax` (`expected ',' or '}'`). */
  readonly what: string;
  /** For `duplicate`, the key's path: keys, and array indexes as decimal strings. */
  readonly path: readonly string[];
  /** Where in the text (UTF-16 offset): the second key, or what broke the syntax. */
  readonly offset: number | undefined;
}

export type JsonTextResult =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly problem: JsonTextProblem };

/** JSON.parse's value, or the first problem: syntax before a key written twice. */
export const parseJsonText = (text: string): JsonTextResult => {
  let value: unknown;
  let parsed = true;
  try {
    value = JSON.parse(text);
  } catch {
    parsed = false;
  }
  const found = scan(text);
  if (!parsed && found?.kind !== 'syntax') {
    // The scan accepts all JSON.parse accepts and no more (tested), so this is not expected.
    return {
      ok: false,
      problem: { kind: 'syntax', what: 'unreadable', path: [], offset: undefined },
    };
  }
  return found === undefined ? { ok: true, value } : { ok: false, problem: found };
};

/**
 * Where `offset` is, as messages say it: `line 3, column 5` (1-based; columns in UTF-16 code units,
 * as editors count BMP text), `of <source>` added when the text is a file's.
 */
export const lineAndColumn = (text: string, offset: number, source?: string): string => {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  const column = offset - before.lastIndexOf('\n');
  return `line ${line}, column ${column}${source === undefined ? '' : ` of ${source}`}`;
};

/**
 * The one wording of a key written twice (in JSON or YAML): its path as the field, and where the
 * second one is.
 */
export const writtenTwice = (
  path: readonly string[],
  where: string,
): { field: string; message: string } => {
  const field = path.map(shownName).join('.');
  return { field, message: `${field}: is written twice (the second at ${where})` };
};

/**
 * An InvalidRequest's field and message for a problem of `text`: a key written twice names its
 * path, text that is not JSON `field` (the whole text: `body`, `policy`) and what broke it; both
 * say where (`source` is the file, if any).
 */
export const jsonTextRefusal = (
  problem: JsonTextProblem,
  text: string,
  field: string,
  source?: string,
): { field: string; message: string } => {
  const where =
    problem.offset === undefined ? undefined : lineAndColumn(text, problem.offset, source);
  if (problem.kind === 'duplicate' && where !== undefined) return writtenTwice(problem.path, where);
  return {
    field,
    message: `${field}: is not valid JSON${where === undefined ? '' : `: ${problem.what} (${where})`}`,
  };
};

type Frame = { kind: 'object'; keys: Set<string>; key: string } | { kind: 'array'; index: number };

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const MINUS = 0x2d;
const PLUS = 0x2b;
const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const SIMPLE_ESCAPES = '"\\/bfnrt';
const HEX = /^[0-9A-Fa-f]{4}$/;

const isDigit = (c: number): boolean => c >= ZERO && c <= NINE;
const isWhitespace = (c: number): boolean => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;

class SyntaxProblem {
  constructor(
    readonly what: string,
    readonly offset: number,
  ) {}
}

/**
 * The grammar of RFC 8259 walked with an explicit stack (no recursion: a deeply nested body cannot
 * overflow it): the first syntax error, else the first key written twice, else undefined.
 */
const scan = (text: string): JsonTextProblem | undefined => {
  const n = text.length;
  const stack: Frame[] = [];
  let i = 0;
  let duplicate: JsonTextProblem | undefined;

  const skipWhitespace = (): void => {
    while (i < n && isWhitespace(text.charCodeAt(i))) i += 1;
  };
  const ended = (): SyntaxProblem => new SyntaxProblem('the text ends inside the document', n);

  /** From the opening quote at i to just past the closing one. */
  const skipString = (): void => {
    const start = i;
    i += 1;
    for (;;) {
      if (i >= n) throw new SyntaxProblem('a string is not closed', start);
      const c = text.charCodeAt(i);
      if (c === QUOTE) {
        i += 1;
        return;
      }
      if (c < 0x20) throw new SyntaxProblem('a control character in a string must be escaped', i);
      if (c === BACKSLASH) {
        const escaped = text.charAt(i + 1);
        if (escaped !== '' && SIMPLE_ESCAPES.includes(escaped)) i += 2;
        else if (escaped === 'u' && HEX.test(text.slice(i + 2, i + 6))) i += 6;
        else throw new SyntaxProblem('an invalid escape in a string', i);
      } else {
        i += 1;
      }
    }
  };

  const skipDigits = (): boolean => {
    const start = i;
    while (i < n && isDigit(text.charCodeAt(i))) i += 1;
    return i > start;
  };

  const skipNumber = (): void => {
    const start = i;
    if (text.charCodeAt(i) === MINUS) i += 1;
    if (text.charCodeAt(i) === ZERO) i += 1;
    else if (!skipDigits()) throw new SyntaxProblem('an invalid number', start);
    if (text.charCodeAt(i) === DOT) {
      i += 1;
      if (!skipDigits()) throw new SyntaxProblem('an invalid number', start);
    }
    if ((text.charCodeAt(i) | 0x20) === 0x65) {
      i += 1;
      const sign = text.charCodeAt(i);
      if (sign === PLUS || sign === MINUS) i += 1;
      if (!skipDigits()) throw new SyntaxProblem('an invalid number', start);
    }
  };

  /** A key and its colon, in the object on top of the stack; notes the first key seen twice. */
  const readKey = (frame: Frame & { kind: 'object' }): void => {
    skipWhitespace();
    if (i >= n) throw ended();
    if (text.charCodeAt(i) !== QUOTE) throw new SyntaxProblem('expected a double-quoted key', i);
    const start = i;
    skipString();
    const raw = text.slice(start, i);
    const key = raw.includes('\\') ? (JSON.parse(raw) as string) : raw.slice(1, -1);
    frame.key = key;
    if (frame.keys.has(key) && duplicate === undefined) {
      const path = stack.map((f) => (f.kind === 'object' ? f.key : String(f.index)));
      duplicate = { kind: 'duplicate', what: 'written twice', path, offset: start };
    }
    frame.keys.add(key);
    skipWhitespace();
    if (i >= n) throw ended();
    if (text.charCodeAt(i) !== COLON) throw new SyntaxProblem("expected ':' after a key", i);
    i += 1;
  };

  try {
    for (;;) {
      // A value starts here.
      skipWhitespace();
      if (i >= n) throw ended();
      const c = text.charCodeAt(i);
      if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
        i += 1;
        skipWhitespace();
        if (text.charCodeAt(i) === (c === OPEN_OBJECT ? CLOSE_OBJECT : CLOSE_ARRAY)) {
          i += 1;
        } else if (c === OPEN_OBJECT) {
          const frame: Frame = { kind: 'object', keys: new Set(), key: '' };
          stack.push(frame);
          readKey(frame);
          continue;
        } else {
          stack.push({ kind: 'array', index: 0 });
          continue;
        }
      } else if (c === QUOTE) {
        skipString();
      } else if (c === MINUS || isDigit(c)) {
        skipNumber();
      } else if (text.startsWith('true', i) || text.startsWith('null', i)) {
        i += 4;
      } else if (text.startsWith('false', i)) {
        i += 5;
      } else {
        throw new SyntaxProblem('expected a value', i);
      }
      // A value ended: close what it ends, up to the next value or the end of the text.
      for (;;) {
        skipWhitespace();
        const frame = stack.at(-1);
        if (frame === undefined) {
          if (i < n) throw new SyntaxProblem('more text after the document', i);
          return duplicate;
        }
        if (i >= n) throw ended();
        const next = text.charCodeAt(i);
        const close = frame.kind === 'object' ? CLOSE_OBJECT : CLOSE_ARRAY;
        if (next === COMMA) {
          i += 1;
          if (frame.kind === 'object') readKey(frame);
          else frame.index += 1;
          break;
        }
        if (next !== close) {
          throw new SyntaxProblem(
            `expected ',' or '${frame.kind === 'object' ? '}' : ']'}' after a value`,
            i,
          );
        }
        i += 1;
        stack.pop();
      }
    }
  } catch (error) {
    if (!(error instanceof SyntaxProblem)) throw error;
    return { kind: 'syntax', what: error.what, path: [], offset: error.offset };
  }
};
