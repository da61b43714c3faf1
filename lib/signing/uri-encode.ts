// What both signing schemes share: RFC 3986 encoding (only unreserved characters kept, upper-case
// hex, UTF-8 bytes) and the SHA-256 / HMAC-SHA256 primitives. Nothing scheme-specific lives here.

import { createHash, createHmac } from 'node:crypto';

const UNRESERVED = /[A-Za-z0-9\-._~]/;

/** RFC 3986 percent-encoding: keeps `A-Z a-z 0-9 - . _ ~`, encodes everything else (including `!'()*`). */
export const uriEncode = (text: string): string => {
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    const char = String.fromCharCode(byte);
    out +=
      byte < 0x80 && UNRESERVED.test(char)
        ? char
        : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
};

export const sha256Hex = (data: string): string =>
  createHash('sha256').update(data, 'utf8').digest('hex');

export const hmacSha256Hex = (key: string | Buffer, data: string): string =>
  createHmac('sha256', key).update(data, 'utf8').digest('hex');

/** Plain code-unit order, the same for every sort in both schemes (no locale rules). */
export const byCodeUnit = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
