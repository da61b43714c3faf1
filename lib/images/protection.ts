// Operator protection: images an operator has put out of reach by ID (PROTECTED_IMAGE_IDS,
// compared the way the image's cloud compares IDs) or by name glob
// (PROTECTED_IMAGE_NAME_PATTERNS, matched without backtracking).

import { ConfigurationError } from '../errors/errors.js';
import { compileGlob, type Glob, MAX_GLOB_LENGTH } from './glob.js';
import type { Image } from './image.js';

export interface ProtectionRules {
  ids: readonly string[];
  nameGlobs: readonly string[];
}

/** Why the operator protects this image, or undefined. */
export type Protection = (image: Image, canonicalId: (id: string) => string) => string | undefined;

export const createProtection = (rules: ProtectionRules): Protection => {
  const tooLong = rules.nameGlobs.find((glob) => glob.length > MAX_GLOB_LENGTH);
  if (tooLong !== undefined) {
    throw new ConfigurationError(
      `invalid configuration: PROTECTED_IMAGE_NAME_PATTERNS: a pattern is longer than ${MAX_GLOB_LENGTH} characters`,
    );
  }
  const globs: readonly Glob[] = rules.nameGlobs.map(compileGlob);
  // Canonical ID sets per cloud, built on first use (the canonical form is the cloud's).
  const idSets = new Map<(id: string) => string, ReadonlySet<string>>();
  const idsFor = (canonicalId: (id: string) => string): ReadonlySet<string> => {
    let set = idSets.get(canonicalId);
    if (set === undefined) {
      set = new Set(rules.ids.map(canonicalId));
      idSets.set(canonicalId, set);
    }
    return set;
  };
  return (image, canonicalId) => {
    if (idsFor(canonicalId).has(canonicalId(image.id))) {
      return 'protected by the operator (PROTECTED_IMAGE_IDS)';
    }
    const glob = globs.find((candidate) => candidate.matches(image.name));
    return glob === undefined
      ? undefined
      : `protected by the operator (name matches '${glob.source}')`;
  };
};
