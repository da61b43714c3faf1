// How `cloud-images apply` delivers a decision again after a transient failure, as the stack's
// queue would (lib/cli/commands/apply.ts nextDelivery): the queue's pauses while there is time for
// them, and the last delivery at once when a pause would use up the time left (that delivery
// records the outcome; a pause past the deadline only delays it).

import { describe, expect, it } from 'vitest';
import { MAX_RECEIVES, nextDelivery } from '../../lib/cli/commands/apply.js';

describe('apply: the delivery after a transient failure', () => {
  it('pauses as the queue does (0.5 s, then 1 s) while the time left outlasts the pause', () => {
    expect(nextDelivery(1, 60_000)).toEqual({ receive: 2, pauseMs: 500 });
    expect(nextDelivery(2, 60_000)).toEqual({ receive: 3, pauseMs: 1_000 });
    expect(nextDelivery(1, 501)).toEqual({ receive: 2, pauseMs: 500 });
  });

  it('goes to the last delivery at once when the pause would use up the time left', () => {
    // The time is up, or nearly: a few milliseconds left used to pause 0.5 s past the deadline first.
    for (const [receive, remainingMs] of [
      [1, 0],
      [1, -20],
      [1, 5],
      [1, 500],
      [2, 999],
    ] as const) {
      expect(nextDelivery(receive, remainingMs), `${receive} with ${remainingMs} ms`).toEqual({
        receive: MAX_RECEIVES,
        pauseMs: 0,
      });
    }
  });
});
