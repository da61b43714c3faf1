// CLOUD_IMAGES_TIMEOUT_MS as the command line reads it (lib/cli/settings.ts): a positive whole
// number of milliseconds written in digits, as the functions' own whole-number variables are.

import { describe, expect, it } from 'vitest';
import { timeoutMsFor } from '../../lib/cli/settings.js';
import { ConfigurationError } from '../../lib/errors/errors.js';

describe('CLOUD_IMAGES_TIMEOUT_MS', () => {
  it.each(['1', '2500', '900000'])('%s is taken as it is', (raw) => {
    expect(timeoutMsFor('show', { CLOUD_IMAGES_TIMEOUT_MS: raw })).toBe(Number(raw));
  });

  it.each(['0x10', '1e3', ' 100', '100 ', '+100', '1.5', '0', '-5', 'abc'])(
    '%j is ConfigurationError naming it (Number() took hex, exponents and spaces)',
    (raw) => {
      expect(() => timeoutMsFor('show', { CLOUD_IMAGES_TIMEOUT_MS: raw })).toThrow(
        new ConfigurationError(
          'invalid configuration: CLOUD_IMAGES_TIMEOUT_MS: must be a positive whole number of milliseconds',
        ),
      );
    },
  );

  it('unset or empty: the default, longer for the commands that walk whole inventories', () => {
    expect(timeoutMsFor('show', {})).toBe(60_000);
    expect(timeoutMsFor('plan', { CLOUD_IMAGES_TIMEOUT_MS: '' })).toBe(900_000);
  });
});
