// Image families: the versions of one image, among which a policy keeps the newest N (per region).
// A ModelArts family is the image `name` (its versions differ by `tag`). A BCC family is the name
// without its trailing run of digits, dots, dashes and underscores (`web-2024-03-01` → `web`); a
// name made only of those is its own family. The rule is literal: `ubuntu-amd64-20150617` is
// family `ubuntu-amd`. A provider with no rule here has the name as family: every name its own
// family, which keeps more, never less.

import type { Image } from '../images/image.js';

const nameAsFamily = (name: string): string => name;

const isVersionCharacter = (code: number): boolean =>
  (code >= 48 && code <= 57) /* 0-9 */ ||
  code === 46 /* . */ ||
  code === 45 /* - */ ||
  code === 95; /* _ */

/** The name without its trailing version characters (a backward scan: no regular expression). */
const nameWithoutVersionSuffix = (name: string): string => {
  let end = name.length;
  while (end > 0 && isVersionCharacter(name.charCodeAt(end - 1))) end -= 1;
  return end === 0 ? name : name.slice(0, end);
};

const FAMILY_RULES: Readonly<Record<string, (name: string) => string>> = {
  modelarts: nameAsFamily,
  bcc: nameWithoutVersionSuffix,
};

/** The family an image belongs to within its provider (the region is not part of it). */
export const familyOf = (image: Pick<Image, 'provider' | 'name'>): string =>
  (Object.hasOwn(FAMILY_RULES, image.provider)
    ? (FAMILY_RULES[image.provider] ?? nameAsFamily)
    : nameAsFamily)(image.name);
