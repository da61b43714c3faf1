// A clock a test sets and advances by hand, for the emulator's signature time checks, lockouts and
// rate limits (startEmulator({ now: clock.now })).

export interface TestClock {
  now(): Date;
  advance(ms: number): void;
  set(iso: string): void;
}

export const testClock = (start = '2026-03-01T12:00:00Z'): TestClock => {
  let current = new Date(start);
  return {
    now: (): Date => new Date(current),
    advance: (ms: number): void => {
      current = new Date(current.getTime() + ms);
    },
    set: (iso: string): void => {
      current = new Date(iso);
    },
  };
};
