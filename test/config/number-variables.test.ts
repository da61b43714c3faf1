// The variables that hold numbers (timeouts, attempts, receives, processes), in the functions'
// configuration and the retirement's: written in digits or refused with what is wanted, the same
// words for each; unset or blank takes the default.

import { describe, expect, it } from 'vitest';
import { loadRetirementConfig } from '../../lib/config/retirement-config.js';
import { loadConfig } from '../../lib/config/service-config.js';
import { ConfigurationError } from '../../lib/errors/errors.js';

/** The message of the ConfigurationError `load` throws, or 'accepted'. */
const refusal = (load: () => unknown): string => {
  try {
    load();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigurationError);
    return (error as Error).message;
  }
  return 'accepted';
};

describe('a number variable', () => {
  it.each([
    ['abc', 'a word'],
    ['0x10', 'hexadecimal, which Number() reads as 16'],
    ['1e3', 'an exponent, which Number() reads as 1000'],
    ['2.5', 'a fraction'],
    ['-1', 'a sign'],
    ['9', 'out of range'],
    ['0', 'below the least'],
  ])('refuses %s (%s), saying what is wanted', (value) => {
    // Act
    const message = refusal(() => loadConfig({ UPSTREAM_MAX_ATTEMPTS: value }));

    // Assess: before, 'abc' was "expected number, received NaN" and 0x10 went through as 16.
    expect(message).toBe(
      'invalid configuration: UPSTREAM_MAX_ATTEMPTS: must be a whole number from 1 to 5, in digits',
    );
  });

  it('names the unit and bounds a timeout takes, and reads digits with spaces around them', () => {
    expect(refusal(() => loadConfig({ UPSTREAM_ATTEMPT_TIMEOUT_MS: '0x10' }))).toBe(
      'invalid configuration: UPSTREAM_ATTEMPT_TIMEOUT_MS: must be a whole number of milliseconds from 1 to 2147483647, in digits',
    );
    expect(loadConfig({ UPSTREAM_ATTEMPT_TIMEOUT_MS: ' 500 ' }).upstream.attemptTimeoutMs).toBe(
      500,
    );
  });

  it.each([
    'UPSTREAM_CONNECT_TIMEOUT_MS',
    'UPSTREAM_ATTEMPT_TIMEOUT_MS',
    'UPSTREAM_RETRY_BASE_MS',
    'UPSTREAM_THROTTLE_BASE_MS',
  ])('%s refuses a time longer than a timer can wait, which would fire at once', (variable) => {
    // Prepare: one millisecond past the longest a Node timer waits (2^31 - 1 ms), and the longest.
    const tooLong = '2147483648';
    const longest = '2147483647';

    // Act
    const refused = refusal(() => loadConfig({ [variable]: tooLong }));
    const accepted = refusal(() => loadConfig({ [variable]: longest }));

    // Assess: before, any 15 digits were taken, and such a timer fired after 1 ms.
    expect(refused).toBe(
      `invalid configuration: ${variable}: must be a whole number of milliseconds from 1 to 2147483647, in digits`,
    );
    expect(accepted).toBe('accepted');
  });

  it('takes its default when unset, empty or blank', () => {
    for (const value of [undefined, '', '   ']) {
      expect(loadConfig({ UPSTREAM_MAX_ATTEMPTS: value }).upstream.maxAttempts).toBe(3);
      expect(loadRetirementConfig({ MAX_RECEIVE_COUNT: value }).maxReceiveCount).toBe(5);
    }
  });

  it('reads the retirement variables alike', () => {
    expect(refusal(() => loadRetirementConfig({ MAX_RECEIVE_COUNT: '0x10' }))).toBe(
      'invalid configuration: MAX_RECEIVE_COUNT: must be a whole number from 1 to 1000, in digits',
    );
    expect(refusal(() => loadRetirementConfig({ SQS_MAX_CONCURRENCY: '2000' }))).toBe(
      'invalid configuration: SQS_MAX_CONCURRENCY: must be a whole number from 1 to 1000, in digits',
    );
    expect(loadRetirementConfig({ SQS_MAX_CONCURRENCY: '7' }).sqsMaxConcurrency).toBe(7);
  });

  it("reads the queue consumer's SQS_RECORD_CONCURRENCY alike (1 to 10, default 4)", () => {
    // Before, it was read apart, with Number(), and a malformed value silently became 4.
    for (const value of ['lots', '0x4', '0', '11', '2.5']) {
      expect(refusal(() => loadRetirementConfig({ SQS_RECORD_CONCURRENCY: value }))).toBe(
        'invalid configuration: SQS_RECORD_CONCURRENCY: must be a whole number from 1 to 10, in digits',
      );
    }
    expect(loadRetirementConfig({ SQS_RECORD_CONCURRENCY: ' 7 ' }).sqsRecordConcurrency).toBe(7);
    for (const value of [undefined, '', '   ']) {
      expect(loadRetirementConfig({ SQS_RECORD_CONCURRENCY: value }).sqsRecordConcurrency).toBe(4);
    }
  });
});
