// Shell-style name globs: `*` any run of characters (newlines too), `?` exactly one character,
// everything else literal and case-sensitive. Matching never backtracks: the pattern is cut at its
// stars, the first piece must start the name, the last must end it, and each piece between is
// placed at its leftmost fit after the previous one (leftmost is always safe, since a later `*`
// absorbs whatever lies between). The cost is at most name length × pattern length, so a hostile
// pattern such as `*-*-*-*-*-x` cannot stall a request (a regular expression took ~12 s on it).

export interface Glob {
  readonly source: string;
  matches(name: string): boolean;
}

/** The longest glob an operator or a policy may write; bounds the cost of one match. */
export const MAX_GLOB_LENGTH = 256;

/** `piece` (with `?` as any one character) at `name[at...]`. */
const fitsAt = (name: string, piece: string, at: number): boolean => {
  if (at + piece.length > name.length) return false;
  for (let index = 0; index < piece.length; index += 1) {
    const char = piece.charCodeAt(index);
    if (char !== 63 /* ? */ && char !== name.charCodeAt(at + index)) return false;
  }
  return true;
};

/** The first position ≥ `from` (and ≤ `last`) where `piece` fits, or -1. */
const leftmostFit = (name: string, piece: string, from: number, last: number): number => {
  for (let at = from; at <= last; at += 1) if (fitsAt(name, piece, at)) return at;
  return -1;
};

const SURROGATE = /[\uD800-\uDFFF]/;
const ASTRAL = /[\uD800-\uDBFF][\uDC00-\uDFFF]/g;

/**
 * Both texts with each character beyond the BMP (two UTF-16 units: an emoji, rare CJK) replaced by
 * one private-use character found in neither, the same one for the same character, so that `?`
 * still matches exactly one character and literals still match only themselves.
 */
const inOneUnitPerCharacter = (glob: string, name: string): [string, string] => {
  const substitutes = new Map<string, string>();
  let next = 0xe000;
  const substitute = (pair: string): string => {
    let one = substitutes.get(pair);
    if (one === undefined) {
      while (glob.includes(String.fromCharCode(next)) || name.includes(String.fromCharCode(next))) {
        next += 1;
      }
      one = String.fromCharCode(next);
      next += 1;
      substitutes.set(pair, one);
    }
    return one;
  };
  return [glob.replace(ASTRAL, substitute), name.replace(ASTRAL, substitute)];
};

export const matchesGlob = (glob: string, name: string): boolean =>
  SURROGATE.test(glob) || SURROGATE.test(name)
    ? matchesUnits(...inOneUnitPerCharacter(glob, name))
    : matchesUnits(glob, name);

/** The match, one UTF-16 unit a character. */
const matchesUnits = (glob: string, name: string): boolean => {
  const pieces = glob.split('*');
  const first = pieces[0] as string;
  if (pieces.length === 1) return first.length === name.length && fitsAt(name, first, 0);
  const lastPiece = pieces[pieces.length - 1] as string;
  if (first.length + lastPiece.length > name.length) return false;
  if (!fitsAt(name, first, 0)) return false;
  const tailStart = name.length - lastPiece.length;
  if (!fitsAt(name, lastPiece, tailStart)) return false;
  // The middle pieces must fit, in order, between the head and the tail.
  let at = first.length;
  for (let index = 1; index < pieces.length - 1; index += 1) {
    const piece = pieces[index] as string;
    if (piece === '') continue;
    const found = leftmostFit(name, piece, at, tailStart - piece.length);
    if (found < 0) return false;
    at = found + piece.length;
  }
  return true;
};

export const compileGlob = (source: string): Glob => ({
  source,
  matches: (name) => matchesGlob(source, name),
});
