// Text from a cloud (an image's name, a description, an error message quoting them) is printed to
// a terminal: control characters in it could move the cursor, recolour or rewrite the screen. They
// are shown as `\x1b`-style escapes instead. (--json output keeps values exact: terminalJson escapes
// them as JSON does.)

// C0 controls but tab, DEL, and the C1 controls (\x9b is a one-byte CSI on some terminals).
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const CONTROL = /[\x00-\x08\x0a-\x1f\x7f-\x9f]/g;

export const printable = (text: string): string =>
  text.replace(CONTROL, (char) => `\\x${char.charCodeAt(0).toString(16).padStart(2, '0')}`);

// JSON.stringify escapes the C0 controls only; DEL and the C1 controls are valid in a JSON string
// as they are, and would reach the terminal raw.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
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
