// What a cloud's signature check gives the request pipeline.

import type { ReceivedRequest } from '../incoming.js';
import type { EmulatorResponse } from '../response.js';

/** Accepted (with the verified access key, which rate limits count against) or refused. */
export type AuthOutcome =
  | { ok: true; accessKeyId: string }
  | { ok: false; response: EmulatorResponse };

/** One emulator's signature checker for one cloud (it may keep state, e.g. AK lockouts). */
export interface Authenticator {
  verify(request: ReceivedRequest, requestId: string, now: Date): AuthOutcome;
  /** Forget any state (lockouts). */
  clear(): void;
}

/** The secret for an access key the emulator knows. */
export type SecretLookup = (accessKeyId: string) => string | undefined;
