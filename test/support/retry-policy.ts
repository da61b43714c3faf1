// The retry policy of suites that call a provider directly: the deployed three attempts, with
// waits short enough for a test.

import type { RetryPolicy } from '../../lib/http/retry.js';

export const FAST_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 3,
  retryBaseMs: 1,
  throttleBaseMs: 1,
  maxBackoffMs: 20,
  attemptTimeoutMs: 2000,
};
