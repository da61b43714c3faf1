// What both signing schemes share besides the URI encoding (lib/wire/uri-encode.ts): the SHA-256 /
// HMAC-SHA256 primitives, two-digit dates and code-unit sorting. Nothing scheme-specific lives here.
// SHA-256 uses the one-shot `crypto.hash`, and the empty body's hash is a constant.

import { createHmac, hash } from 'node:crypto';

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
