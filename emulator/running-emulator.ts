// What startEmulator returns: the handle tests drive the emulator through (the control API offers
// the same over HTTP).

import type { EmulatorSettings } from './clouds/dialect.js';
import type { FaultController } from './faults.js';
import type { SeedSpec } from './options.js';
import type { RateLimiter } from './rate-limit.js';
import type { EmulatorState, StateCounts } from './state.js';
import type { RecordedRequest } from './types.js';

export interface RunningEmulator {
  /** `http://host:port`, no trailing slash. */
  url: string;
  port: number;
  faults: FaultController;
  state: EmulatorState;
  /** Every provider request received, oldest first (control requests are not recorded). */
  requests: RecordedRequest[];
  /** Behaviour that can change while running: `settings.modelartsOffset = 'pages'`. */
  settings: EmulatorSettings;
  /** Request-rate limits per cloud and access key, and what each key sent (`counters()`). */
  rateLimit: RateLimiter;
  /**
   * Replace the records with the demo ones plus those `spec` generates (deterministic for a given
   * `spec.random` and clock day). reset() still goes back to the seed the emulator started with.
   */
  seed(spec: SeedSpec): StateCounts;
  /**
   * Back to how it started: records re-seeded (demo + the configured seed), faults, recorded
   * requests, AK lockouts and rate counters cleared, settings and rate limits as configured.
   */
  reset(): void;
  /** Stop listening and destroy every open socket (stalled ones too). */
  close(): Promise<void>;
}
