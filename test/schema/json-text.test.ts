// JSON text read strictly (lib/schema/json-text.ts): it accepts exactly what JSON.parse accepts,
// with JSON.parse's values, except an object with a key written twice, which it refuses naming the
// key's path and where the second one is. Checked on hand-picked texts and on generated ones.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type JsonTextResult, parseJsonText } from '../../lib/schema/json-text.js';

const jsonParses = (text: string): boolean => {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
};

const problemOf = (result: JsonTextResult) => {
  if (result.ok) throw new Error('accepted');
  return result.problem;
};

describe('parseJsonText', () => {
  it('gives what JSON.parse gives: numbers, escapes, lone surrogates, __proto__ as an own key', () => {
    const texts = [
      '{"a": 1e400, "b": -0, "c": 12345678901234567890, "d": 0.1e-2, "e": 1E+2}',
      '{"s": "\\u0000\\/\\"\\\\\\b\\f\\n\\r\\t\\ud800\\ud83d\\ude00", "t": "é"}',
      '{"__proto__": {"polluted": true}, "constructor": 1}',
      ' \t\r\n[true, false, null, [], {}, [[]], {"": ""}] \n',
      '"just a string"',
      '0',
    ];

    for (const text of texts) {
      const result = parseJsonText(text);

      expect(result, text).toEqual({ ok: true, value: JSON.parse(text) });
    }
    const proto = parseJsonText(texts[2] ?? '');
    expect(proto.ok && Object.hasOwn(proto.value as object, '__proto__')).toBe(true);
  });

  it('refuses what JSON.parse refuses, and what YAML would have read: comments, trailing commas, bare keys', () => {
    const texts = [
      '{name: "x"}',
      "{'a': 1}",
      '{"a": 1,}',
      '[1, 2,]',
      '{"a": 1} # a comment',
      '{"a": "tab\there"}',
      '{"a": .5}',
      '{"a": 01}',
      '{"a": 1.}',
      '{"a": -}',
      '{"a": "\\x41"}',
      '{"a": "\\u12"}',
      '{"a": tru}',
      '{"a" 1}',
      '\uFEFF{}',
      '',
      '{"a": 1}{"b": 2}',
      '[',
      '{"a": "unclosed',
    ];

    for (const text of texts) {
      expect(jsonParses(text), text).toBe(false);

      const problem = problemOf(parseJsonText(text));

      expect(problem.kind, text).toBe('syntax');
      expect(problem.offset, text).toBeTypeOf('number');
    }
  });

  it('refuses a key written twice, naming its path and where the second is, escapes decoded', () => {
    const text = '{"limits": {"maxDeletions": 5, "maxDeletions": 500}}';
    const nested = '{"exclude": {"ids": [], "names": [{"a": 1}, {"a": 1, "\\u0061": 2}]}}';
    const proto = '{"__proto__": 1, "__proto__": 2}';

    const first = problemOf(parseJsonText(text));
    const second = problemOf(parseJsonText(nested));
    const third = problemOf(parseJsonText(proto));

    expect(first).toEqual({
      kind: 'duplicate',
      what: 'written twice',
      path: ['limits', 'maxDeletions'],
      offset: text.lastIndexOf('"maxDeletions"'),
    });
    expect(second.path).toEqual(['exclude', 'names', '1', 'a']);
    expect(second.offset).toBe(nested.indexOf('"\\u0061"'));
    expect(third.path).toEqual(['__proto__']);
  });

  it('reports a syntax error before a key written twice earlier in the text', () => {
    const problem = problemOf(parseJsonText('{"a": 1, "a": 2, "b": }'));

    expect(problem.kind).toBe('syntax');
  });

  it('walks a deeply nested document without overflowing the stack', () => {
    const depth = 100_000;
    const text = `${'['.repeat(depth)}${']'.repeat(depth)}`;

    expect(parseJsonText(text).ok).toBe(jsonParses(text));
  });

  it('agrees with JSON.parse on generated documents and on every one-character edit of them', () => {
    const edited = fc
      .tuple(
        fc.json({ maxDepth: 3 }),
        fc.nat(),
        fc.constantFrom('', ',', '}', ']', '"', '\\', ':', '0', '-', '.', 'e', ' ', '\n', '\t'),
      )
      .map(([text, at, inserted]) => {
        const cut = at % (text.length + 1);
        return `${text.slice(0, cut)}${inserted}${text.slice(cut + (inserted === '' ? 1 : 0))}`;
      });

    fc.assert(
      fc.property(fc.oneof(fc.json({ maxDepth: 4 }), edited), (text) => {
        const result = parseJsonText(text);

        if (result.ok) {
          expect(result.value).toEqual(JSON.parse(text));
        } else {
          expect(result.problem.kind).toBe(jsonParses(text) ? 'duplicate' : 'syntax');
          expect(result.problem.offset).toBeTypeOf('number');
        }
      }),
      { numRuns: 3000 },
    );
  });
});
