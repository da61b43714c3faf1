// What retirement needs from storage, owned here and implemented by lib/stores (S3 and DynamoDB
// when deployed, a local directory for npm start and the command line).

import type { Plan } from './plan.js';

export interface PlanStore {
  put(plan: Plan): Promise<void>;
  /** Undefined when no plan with this id is stored. */
  get(planId: string): Promise<Plan | undefined>;
}

export const RUN_OUTCOMES = ['deleted', 'already-absent', 'skipped', 'failed'] as const;
export type RunOutcome = (typeof RUN_OUTCOMES)[number];

export interface RunRecord {
  runId: string;
  planId: string;
  provider: string;
  policyName: string;
  createdAt: string;
  createdBy?: string | undefined;
  /** Retire decisions: the outcomes the run waits for. */
  total: number;
  counts: Record<RunOutcome, number>;
  status: 'running' | 'completed';
  completedAt?: string | undefined;
}

/** What became of one retire decision. */
export interface OutcomeRecord {
  imageKey: string;
  state: 'claimed' | 'final';
  outcome?: RunOutcome | undefined;
  /** Why it was skipped, or the failure's message. */
  reason?: string | undefined;
  /** The error's name, for `failed` (and the refusal's, for `skipped`). */
  error?: string | undefined;
  claimedAt: string;
  finishedAt?: string | undefined;
}

export type ClaimResult = { claimed: true } | { claimed: false; existing: OutcomeRecord };

export interface RunStore {
  create(run: RunRecord): Promise<void>;
  /** Claims a decision for this delivery; the existing record when an earlier delivery did. */
  claim(runId: string, imageKey: string, at: string): Promise<ClaimResult>;
  /** Records the decision's one outcome and counts it; 'already-final' when one was recorded. */
  finish(
    runId: string,
    imageKey: string,
    outcome: { outcome: RunOutcome; reason?: string; error?: string; at: string },
  ): Promise<'recorded' | 'already-final'>;
  /** Marks the run completed once every decision has its outcome; true for the one call that did. */
  complete(runId: string, at: string): Promise<boolean>;
  read(runId: string): Promise<{ run: RunRecord; outcomes: OutcomeRecord[] } | undefined>;
}

/** A retire decision on its way to the delete queue consumer. */
export interface RunMessage {
  provider: string;
  imageId: string;
  region: string;
  force?: boolean | undefined;
  planId: string;
  runId: string;
  imageKey: string;
  /** What the plan saw: anything else now means the image changed since, and it is skipped. */
  expected: { status: string; name: string; updatedAt?: string | undefined };
}

export interface DeleteQueue {
  /**
   * Sends every message (in batches); resolves with the messages that could not be sent after
   * retries, so that each still gets an outcome.
   */
  send(messages: readonly RunMessage[]): Promise<RunMessage[]>;
}
