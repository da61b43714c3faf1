// What the variable resolvers of serverless.yml (scripts/stack-params.cjs,
// scripts/policy-schedules.cjs) share: errors osls prints as they are, and the project's own
// TypeScript modules (lib/), so that a resolver checks a value with the very parser the functions
// use instead of a copy of it.
//
// CommonJS because osls loads `${file(...)}` JavaScript with require().

'use strict';

const path = require('node:path');
const { pathToFileURL } = require('node:url');

/** The repository's root folder (serverless.yml's). */
const ROOT = path.resolve(__dirname, '..');

/** An error osls prints as it is: its message, no stack trace. */
const stackError = (message) => {
  const error = new Error(message);
  error.stack = message;
  return error;
};

const loaded = new Map();

/**
 * A module of the repository (a path from its root, `lib/retirement/policy.ts`), loaded through
 * tsx (a development dependency, present wherever osls is): osls runs on plain Node, which cannot
 * resolve lib's `.js` import suffixes to the `.ts` files. Loaded once per process.
 */
const importProjectModule = (relativePath) => {
  const url = pathToFileURL(path.join(ROOT, relativePath)).href;
  if (!loaded.has(url)) {
    const { tsImport } = require('tsx/esm/api');
    loaded.set(url, tsImport(url, __filename));
  }
  return loaded.get(url);
};

module.exports = { ROOT, importProjectModule, stackError };
