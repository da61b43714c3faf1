// How long each text field of a run message (ports.ts RunMessage) may be, in characters: the delete
// queue's schema (lib/validation) refuses a longer one. One home, below both: the planner keeps an
// image whose message would be refused (apply could only record it `failed`, and it would take one
// of the deletions the limits allow), so the planner and the schema must use the same numbers.
// The message's other fields need no bound here: its region is one of the policy's (the shape the
// queue takes), and its provider, plan and run IDs are the plan's and the run's own.

export const RUN_MESSAGE_MAX_LENGTH = {
  imageId: 64,
  imageKey: 200,
  expected: { status: 64, name: 1_024, updatedAt: 64 },
  identity: 2_048,
} as const;
