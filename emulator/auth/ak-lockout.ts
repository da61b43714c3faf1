// Huawei APIG locks an AK/SK pair for 5 minutes after more than 5 consecutive signature failures
// ("AK access failed to reach the limit,forbidden"); a success resets the count.

/** More than this many consecutive failures lock a Huawei AK. */
export const HUAWEI_LOCKOUT_THRESHOLD = 5;
export const DEFAULT_LOCKOUT_MS = 5 * 60 * 1000;

export class AkLockout {
  readonly #failures = new Map<string, number>();
  readonly #lockedUntil = new Map<string, number>();
  readonly #lockoutMs: number;

  constructor(lockoutMs: number = DEFAULT_LOCKOUT_MS) {
    this.#lockoutMs = lockoutMs;
  }

  isLocked(accessKeyId: string, nowMs: number): boolean {
    const until = this.#lockedUntil.get(accessKeyId);
    if (until === undefined) return false;
    if (nowMs < until) return true;
    this.#lockedUntil.delete(accessKeyId);
    return false;
  }

  failure(accessKeyId: string, nowMs: number): void {
    const count = (this.#failures.get(accessKeyId) ?? 0) + 1;
    if (count > HUAWEI_LOCKOUT_THRESHOLD) {
      this.#failures.delete(accessKeyId);
      this.#lockedUntil.set(accessKeyId, nowMs + this.#lockoutMs);
    } else {
      this.#failures.set(accessKeyId, count);
    }
  }

  success(accessKeyId: string): void {
    this.#failures.delete(accessKeyId);
  }

  clear(): void {
    this.#failures.clear();
    this.#lockedUntil.clear();
  }
}
