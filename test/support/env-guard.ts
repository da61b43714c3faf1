// A vitest setup file: fails a test file that leaves process.env other than it found it (the
// variables named), then puts it back. Suites change the environment through useFixture (setEnv,
// fresh) or vi.stubEnv with vi.unstubAllEnvs, both of which restore it.

import { afterAll } from 'vitest';

// Taken when the file is set up, before the test file is imported.
const before: Record<string, string | undefined> = { ...process.env };

/** Set by a library when it is imported, not by a test. */
const SET_ON_IMPORT = new Set([
  // @aws-lambda-powertools/commons (behind lib/runtime/metrics) appends its user agent once.
  'AWS_SDK_UA_APP_ID',
]);

const leakedVariables = (): string[] => {
  const names = new Set([...Object.keys(before), ...Object.keys(process.env)]);
  return [...names]
    .filter((name) => !SET_ON_IMPORT.has(name) && before[name] !== process.env[name])
    .sort();
};

// Registered before any of the file's own hooks, so (hooks stack) it runs after all of them.
afterAll(() => {
  const leaked = leakedVariables();
  if (leaked.length === 0) return;
  for (const name of leaked) {
    const value = before[name];
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  throw new Error(
    `this test file left process.env changed: ${leaked.join(', ')} (use useFixture's setEnv/fresh, or vi.stubEnv with vi.unstubAllEnvs)`,
  );
});
