// Text from a cloud (an image's name, a description, an error message quoting them) is printed to
// a terminal: control characters in it could move the cursor, recolour or rewrite the screen. They
// are shown as `\x1b`-style escapes instead. (--json output keeps values exact: JSON escapes them.)

// C0 controls but tab, DEL, and the C1 controls (\x9b is a one-byte CSI on some terminals).
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const CONTROL = /[\x00-\x08\x0a-\x1f\x7f-\x9f]/g;

export const printable = (text: string): string =>
  text.replace(CONTROL, (char) => `\\x${char.charCodeAt(0).toString(16).padStart(2, '0')}`);
