// Image families: the versions of one image, among which a policy keeps the newest N.
// ModelArts versions share a `name` and differ by `tag`, so the name is the family. BCC images carry
// their version in the name (`web-2024-03-01`), so the family is the name without its trailing run
// of digits, dots, dashes and underscores (`web`); a name made only of those is its own family.

import type { Image, PROVIDERS } from '../images/image.js';

const isVersionCharacter = (code: number): boolean =>
  (code >= 48 && code <= 57) /* 0-9 */ ||
  code === 46 /* . */ ||
  code === 45 /* - */ ||
  code === 95; /* _ */

/** The name without its trailing version characters (a backward scan: no regular expression). */
const withoutVersionSuffix = (name: string): string => {
  let end = name.length;
  while (end > 0 && isVersionCharacter(name.charCodeAt(end - 1))) end -= 1;
  return end === 0 ? name : name.slice(0, end);
};

/** Each provider's rule (a record, so that a new provider cannot compile without choosing one). */
const FAMILY_RULES: Record<(typeof PROVIDERS)[number], (name: string) => string> = {
  modelarts: (name) => name,
  bcc: withoutVersionSuffix,
};

/** The family an image belongs to within its provider (the region is not part of it). */
export const familyOf = (image: Pick<Image, 'provider' | 'name'>): string =>
  FAMILY_RULES[image.provider](image.name);
