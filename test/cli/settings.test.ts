// CLOUD_IMAGES_TIMEOUT_MS as the command line reads it (lib/cli/settings.ts): a positive whole
// number of milliseconds written in digits, read and refused as the functions' own millisecond
// variables are (lib/config/env-values.ts: spaces around the digits allowed, blank for the default,
// at most the longest a timer waits).

import { describe, expect, it } from 'vitest';
import { timeoutMsFor } from '../../lib/cli/settings.js';
import { loadConfig } from '../../lib/config/service-config.js';
import { ConfigurationError } from '../../lib/errors/errors.js';

const REFUSAL =
  'invalid configuration: CLOUD_IMAGES_TIMEOUT_MS: must be a whole number of milliseconds from 1 to 2147483647, in digits';

describe('CLOUD_IMAGES_TIMEOUT_MS', () => {
  it.each(['1', '2500', '900000'])('%s is taken as it is', (raw) => {
    expect(timeoutMsFor('show', { CLOUD_IMAGES_TIMEOUT_MS: raw })).toBe(Number(raw));
  });

  it.each(['0x10', '1e3', '+100', '1.5', '0', '-5', 'abc', '1 00', '2147483648', '5000000000'])(
    '%j is ConfigurationError naming it (Number() took hex and exponents)',
    (raw) => {
      expect(() => timeoutMsFor('show', { CLOUD_IMAGES_TIMEOUT_MS: raw })).toThrow(
        new ConfigurationError(REFUSAL),
      );
    },
  );

  it.each([' 7', '7 ', ' 7\t'])(
    '%j is 7: spaces around the digits are allowed, as in the functions’ number variables',
    (raw) => {
      // Before, the command line alone refused them.
      expect(timeoutMsFor('show', { CLOUD_IMAGES_TIMEOUT_MS: raw })).toBe(7);
    },
  );

  it('takes and refuses what the functions’ number variables take and refuse', () => {
    const samples = [' 100', '100 ', '  ', '0x10', '1e3', '+1', '1.5', '0', 'abc', '007', '1 0'];
    for (const raw of samples) {
      const cli = (): number => timeoutMsFor('show', { CLOUD_IMAGES_TIMEOUT_MS: raw });
      const functions = (): number =>
        loadConfig({ UPSTREAM_ATTEMPT_TIMEOUT_MS: raw }).upstream.attemptTimeoutMs;
      const verdict = (read: () => number): string => {
        try {
          read();
          return 'taken';
        } catch {
          return 'refused';
        }
      };
      expect(verdict(cli), JSON.stringify(raw)).toBe(verdict(functions));
    }
  });

  it('unset, empty or blank: the default, longer for the commands that walk whole inventories', () => {
    expect(timeoutMsFor('show', {})).toBe(60_000);
    expect(timeoutMsFor('plan', { CLOUD_IMAGES_TIMEOUT_MS: '' })).toBe(900_000);
    expect(timeoutMsFor('show', { CLOUD_IMAGES_TIMEOUT_MS: '   ' })).toBe(60_000);
  });
});
