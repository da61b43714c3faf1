// RFC 3986 encoding (only unreserved characters kept, upper-case hex, UTF-8 bytes): what goes on
// the wire and what both signing schemes canonicalise with, so what is signed is what is sent.
//
// It runs for every attempt of every upstream call, so it avoids needless work: text that is
// already unreserved (most path segments, keys and ids) is returned as it is, other text goes
// through the native encodeURIComponent (with `!'()*` fixed up).

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
