// What both signing schemes share: RFC 3986 encoding (only unreserved characters kept, upper-case
// hex, UTF-8 bytes) and the SHA-256 / HMAC-SHA256 primitives. Nothing scheme-specific lives here.
//
// These run for every attempt of every upstream call, so they avoid needless work: text that is
// already unreserved (most path segments, keys and ids) is returned as it is, other text goes
// through the native encodeURIComponent (with `!'()*` fixed up), SHA-256 uses the one-shot
// `crypto.hash`, and the empty body's hash is a constant.

import { createHmac, hash } from 'node:crypto';

const ALL_UNRESERVED = /^[A-Za-z0-9\-._~]*$/;

/** For each byte, itself (unreserved) or `%XX`, upper-case hex. */
const BYTE_TEXT: readonly string[] = Array.from({ length: 256 }, (_, byte) => {
  const char = String.fromCharCode(byte);
  return /[A-Za-z0-9\-._~]/.test(char)
    ? char
    : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
});

const SUB_DELIMS_KEPT = /[!'()*]/g;
const HAS_SUB_DELIMS_KEPT = /[!'()*]/;

/** RFC 3986 percent-encoding: keeps `A-Z a-z 0-9 - . _ ~`, encodes everything else (including `!'()*`). */
export const uriEncode = (text: string): string => {
  if (ALL_UNRESERVED.test(text)) return text;
  let encoded: string;
  try {
    // The same UTF-8 bytes and upper-case hex, but it keeps `!'()*`, which RFC 3986 does not.
    encoded = encodeURIComponent(text);
  } catch {
    // A lone surrogate: encode what Buffer makes of it (U+FFFD), byte by byte.
    let out = '';
    for (const byte of Buffer.from(text, 'utf8')) out += BYTE_TEXT[byte];
    return out;
  }
  return HAS_SUB_DELIMS_KEPT.test(encoded)
    ? encoded.replace(SUB_DELIMS_KEPT, (char) => BYTE_TEXT[char.charCodeAt(0)] ?? char)
    : encoded;
};

/** SHA-256 of the empty string: the payload hash of every request without a body. */
const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

export const sha256Hex = (data: string): string =>
  data === '' ? EMPTY_SHA256 : hash('sha256', data, 'hex');

export const hmacSha256Hex = (key: string | Buffer, data: string): string =>
  createHmac('sha256', key).update(data, 'utf8').digest('hex');

const TWO_DIGITS: readonly string[] = Array.from({ length: 100 }, (_, n) =>
  n < 10 ? `0${n}` : `${n}`,
);

/** Two digits, for the date fields of both schemes' timestamps. */
export const pad2 = (n: number): string => TWO_DIGITS[n] ?? `${n}`;

/** Plain code-unit order, the same for every sort in both schemes (no locale rules). */
export const byCodeUnit = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Sorts strings in place by code unit (as `sort(byCodeUnit)` does). The lists signed are short
 * (a few headers): insertion sort is several times faster than Array#sort with a comparator there.
 */
export const sortByCodeUnit = (list: string[]): string[] => {
  if (list.length > 16) return list.sort(byCodeUnit);
  for (let i = 1; i < list.length; i++) {
    const item = list[i] as string;
    let j = i - 1;
    while (j >= 0 && (list[j] as string) > item) {
      list[j + 1] = list[j] as string;
      j--;
    }
    list[j + 1] = item;
  }
  return list;
};
