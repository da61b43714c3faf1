// Text from a cloud (an image's name, a description, an error message quoting them) is printed to
// a terminal: control characters in it could move the cursor, recolour or rewrite the screen. They
// are shown as `\x1b`-style escapes instead. (--json output keeps values exact: terminalJson escapes
// them as JSON does.)

// C0 controls but tab, DEL, and the C1 controls (\x9b is a one-byte CSI on some terminals).
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const CONTROL = /[\x00-\x08\x0a-\x1f\x7f-\x9f]/g;

// Characters that change what a line shows without being seen: Unicode's format characters
// (bidirectional overrides, isolates and marks, the Arabic letter mark among them: a name can show
// its text backwards and reorder the columns after it; zero-width spaces and joiners, the word
// joiner, the BOM, the soft hyphen, the invisible tag characters) and the line and paragraph
// separators. Shown as `\u202e`-style escapes (`\u{e0041}` beyond the BMP), so that what a person
// reads is what the cloud holds.
const INVISIBLE = /[\p{Cf}\p{Zl}\p{Zp}]/gu;

const unicodeEscape = (char: string): string => {
  const code = char.codePointAt(0) ?? 0;
  return code > 0xffff ? `\\u{${code.toString(16)}}` : `\\u${code.toString(16).padStart(4, '0')}`;
};

export const printable = (text: string): string =>
  text
    .replace(CONTROL, (char) => `\\x${char.charCodeAt(0).toString(16).padStart(2, '0')}`)
    .replace(INVISIBLE, unicodeEscape);

// JSON.stringify escapes the C0 controls only; DEL and the C1 controls are valid in a JSON string
// as they are, and would reach the terminal raw.
const JSON_RAW_CONTROL = /[\x7f-\x9f]/g;

/**
 * `JSON.stringify(value, null, indent)` with DEL and the C1 controls written as `\u00XX` escapes:
 * the same JSON value (a script reads every string exactly), and nothing a terminal would obey.
 */
export const terminalJson = (value: unknown, indent?: number): string =>
  JSON.stringify(value, null, indent).replace(
    JSON_RAW_CONTROL,
    (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
