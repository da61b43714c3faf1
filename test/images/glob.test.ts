// Name globs: the same answers as an anchored regular expression (`*` → `[\s\S]*`, `?` → one
// character, a code point) on generated names and patterns, and no catastrophic cost on hostile
// patterns.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { matchesGlob } from '../../lib/images/glob.js';

const reference = (glob: string, name: string): boolean =>
  new RegExp(
    `^${[...glob]
      .map((char) =>
        char === '*'
          ? '[\\s\\S]*'
          : char === '?'
            ? '[\\s\\S]'
            : char.replace(/[.+^${}()|[\]\\]/g, '\\$&'),
      )
      .join('')}$`,
    'u',
  ).test(name);

describe('matchesGlob', () => {
  it.each([
    ['prod-*', 'prod-web', true],
    ['prod-*', 'staging-web', false],
    ['*-golden', 'web-golden', true],
    ['*-golden', 'web-golden-2', false],
    ['train-?', 'train-1', true],
    ['train-?', 'train-12', false],
    ['*', '', true],
    ['', '', true],
    ['a*b*c', 'abc', true],
    ['a*b*c', 'acb', false],
    ['*', 'line\nbreak', true],
    ['line*break', 'line\nbreak', true],
    ['Prod-*', 'prod-web', false],
    ['a?', 'a\u{1F600}', true],
    ['??', '\u{1F600}', false],
    ['\u{1F600}*', '\u{1F600}-web', true],
    ['\u{1F600}', '\u{1F601}', false],
    ['?\uE000', '\u{1F600}\uE000', true],
  ])('%j against %j is %s', (glob, name, expected) => {
    expect(matchesGlob(glob, name)).toBe(expected);
  });

  it('agrees with the anchored regular expression on generated globs and names', () => {
    // Characters beyond the BMP (two UTF-16 units) and a private-use one among them: `?` is one
    // character, whatever its encoding.
    const alphabet = fc.constantFrom('a', 'b', '-', '\n', '.', '\u{1F600}', '\u{2000B}', '\uE000');
    const globChar = fc.constantFrom(
      'a',
      'b',
      '-',
      '\n',
      '.',
      '*',
      '?',
      '\u{1F600}',
      '\u{2000B}',
      '\uE000',
    );
    fc.assert(
      fc.property(
        fc.array(globChar, { maxLength: 8 }).map((chars) => chars.join('')),
        fc.array(alphabet, { maxLength: 12 }).map((chars) => chars.join('')),
        (glob, name) => {
          expect(matchesGlob(glob, name)).toBe(reference(glob, name));
        },
      ),
      { numRuns: 5_000 },
    );
  });

  it('answers hostile patterns on long names at once (no backtracking)', () => {
    // A backtracking matcher needs ~n^10 steps here (a regular expression took ~12 s on a
    // 256-character name); this one is done long before the test's time-out.
    const name = '-'.repeat(100_000);
    expect(matchesGlob('*-*-*-*-*-*-*-*-*-*-x', name)).toBe(false);
    expect(matchesGlob('*-*-*-*-*-*-*-*-*-*--', name)).toBe(true);
  });
});
