// The text primitives both signature schemes are built from, written for the emulator alone (it
// shares no code with the client's signers, so one encoding bug cannot pass on both sides):
// RFC 3986 percent-encoding byte by byte, SHA-256 / HMAC-SHA256 as lower-case hex, and a
// constant-time comparison of hex signatures.

import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** For each byte value: the character itself when RFC 3986 calls it unreserved, else `%XX`. */
const ENCODED_BYTE: readonly string[] = Array.from({ length: 256 }, (_, byte) => {
  const unreserved =
    (byte >= 0x30 && byte <= 0x39) || // 0-9
    (byte >= 0x41 && byte <= 0x5a) || // A-Z
    (byte >= 0x61 && byte <= 0x7a) || // a-z
    byte === 0x2d || // -
    byte === 0x2e || // .
    byte === 0x5f || // _
    byte === 0x7e; // ~
  return unreserved
    ? String.fromCharCode(byte)
    : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
});

const ONLY_UNRESERVED = /^[A-Za-z0-9._~-]*$/;

/** Every UTF-8 byte that is not `A-Z a-z 0-9 - . _ ~` as `%XX` (upper-case hex). */
export const percentEncode = (text: string): string => {
  if (ONLY_UNRESERVED.test(text)) return text;
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) out += ENCODED_BYTE[byte];
  return out;
};

/** `decodeURIComponent`, or undefined when the text is not valid percent-encoded UTF-8. */
export const percentDecode = (text: string): string | undefined => {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
};

/**
 * The canonical form of a path as received: each `/`-separated segment decoded and encoded again,
 * so `%7e`, `~` and `%7E` all become `~` and `:` becomes `%3A`, as the gateways normalise it.
 * Undefined when a segment is not valid percent-encoding.
 */
export const canonicalPath = (rawPath: string): string | undefined => {
  const segments: string[] = [];
  for (const raw of rawPath.split('/')) {
    const decoded = percentDecode(raw);
    if (decoded === undefined) return undefined;
    segments.push(percentEncode(decoded));
  }
  return segments.join('/');
};

export const sha256Hex = (text: string): string =>
  createHash('sha256').update(text, 'utf8').digest('hex');

export const hmacSha256Hex = (key: string, text: string): string =>
  createHmac('sha256', key).update(text, 'utf8').digest('hex');

/** Compares two signatures without leaking where they differ. */
export const sameSignature = (expected: string, given: string): boolean => {
  const a = Buffer.from(expected, 'utf8');
  const b = Buffer.from(given, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
};

/** Plain UTF-16 code-unit order (no locale rules), as both schemes sort. */
export const byCodeUnit = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
