// The functions' own variables (lib/config/service-config.ts) as an operator reads their refusal:
// each bad variable named with what it must be, in plain words, and never its value.

import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config/service-config.js';
import { ConfigurationError } from '../../lib/errors/errors.js';
import { thrownBy } from '../support/outcomes.js';

describe('loadConfig', () => {
  it('names a LOG_LEVEL outside its set with the levels it takes, in words, without the value', () => {
    // Prepare: a value an operator could mistype, which must not be repeated back.
    const env = { LOG_LEVEL: 'loud-s3cr3t' };

    // Act
    const error = thrownBy(() => loadConfig(env), ConfigurationError);

    // Assess: before, zod's words ('Invalid option: expected one of "debug"|"info"|...').
    expect(error.message).toBe(
      'invalid configuration: LOG_LEVEL: must be one of debug, info, warn, error, silent',
    );
    expect(error.message).not.toContain('s3cr3t');
  });

  it('names every bad variable at once, each in its own words', () => {
    // Act
    const error = thrownBy(
      () => loadConfig({ LOG_LEVEL: 'loud', UPSTREAM_MAX_ATTEMPTS: 'lots' }),
      ConfigurationError,
    );

    // Assess
    expect(error.message).toBe(
      'invalid configuration: LOG_LEVEL: must be one of debug, info, warn, error, silent; UPSTREAM_MAX_ATTEMPTS: must be a whole number from 1 to 5, in digits',
    );
  });
});
