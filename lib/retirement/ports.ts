// The ports retirement needs, owned here: storage for plans (and the audit copy of a finished run),
// runs with their per-image outcomes (exactly once under redelivery and concurrent consumers), and
// the delete queue. No AWS type appears here: lib/stores implements them over S3, DynamoDB and SQS,
// or over a local directory and an in-process queue.

import * as z from '../schema/zod.js';
import { RUN_ID_PATTERN } from './ids.js';
import { countSchema, type Plan, plannedImageSchema } from './plan.js';

/** How every retire decision of a run ends. */
export const RUN_OUTCOMES = ['deleted', 'already-absent', 'skipped', 'failed'] as const;
export const runOutcomeSchema = z.enum(RUN_OUTCOMES);
export type RunOutcome = z.infer<typeof runOutcomeSchema>;

export const runCountsSchema = z.strictObject({
  deleted: countSchema,
  'already-absent': countSchema,
  skipped: countSchema,
  failed: countSchema,
});
export type RunCounts = z.infer<typeof runCountsSchema>;

export const emptyCounts = (): RunCounts => ({
  deleted: 0,
  'already-absent': 0,
  skipped: 0,
  failed: 0,
});

/** Outcomes recorded so far. */
export const countsTotal = (counts: RunCounts): number =>
  counts.deleted + counts['already-absent'] + counts.skipped + counts.failed;

export const runSchema = z.object({
  runId: z.string().check(z.regex(RUN_ID_PATTERN)),
  planId: z.string(),
  provider: z.string(),
  policyName: z.string(),
  createdAt: z.iso.datetime().check(z.describe('When the run was created (apply was accepted).')),
  createdBy: z.optional(z.string()).check(z.describe('The identity that applied the plan.')),
  total: countSchema.check(
    z.describe("The plan's retire decisions: the outcomes the run waits for."),
  ),
  counts: runCountsSchema,
  status: z.enum(['running', 'completed']),
  completedAt: z.optional(z.iso.datetime()),
});
export type Run = z.infer<typeof runSchema>;

/** What a run records for one retire decision (keyed by imageKey: `${region}/${canonicalId}`). */
export const imageOutcomeSchema = z.object({
  imageKey: z.string().check(z.minLength(1)),
  state: z
    .enum(['claimed', 'final'])
    .check(
      z.describe('`claimed`: a delivery started on it and has not recorded an outcome (yet).'),
    ),
  outcome: z.optional(runOutcomeSchema),
  reason: z.optional(z.string()).check(z.describe('Why it was skipped or failed, for people.')),
  error: z
    .optional(z.string())
    .check(
      z.describe(
        "Why: for `failed`, the error's name (the error table, or DeadlineReached); for `skipped`, the refusal's (ImageProtected, ImageBusy, or ImageChanged: the image changed since the plan).",
      ),
    ),
  image: z
    .optional(plannedImageSchema)
    .check(
      z.describe(
        "The image as last seen, before the delete; for a decision found gone after an earlier attempt at it sent its delete, as its plan's decision saw it.",
      ),
    ),
  claimedAt: z.iso.datetime(),
  finishedAt: z.optional(z.iso.datetime()),
});
export type ImageOutcome = z.infer<typeof imageOutcomeSchema>;

/** What POST /retirements/plans/{planId}/apply answers (202): the run to follow. */
export const applyAcceptedSchema = z.object({
  runId: z.string().check(z.regex(RUN_ID_PATTERN)),
  planId: z.string(),
  total: countSchema.check(z.describe('Retire decisions queued: the outcomes the run waits for.')),
  status: z
    .enum(['running', 'completed'])
    .check(
      z.describe('`completed` at once when the plan retires nothing (or the run had finished).'),
    ),
});
export type ApplyAccepted = z.infer<typeof applyAcceptedSchema>;

export const runDocumentSchema = z.object({
  run: runSchema,
  outcomes: z.array(imageOutcomeSchema).check(z.describe('In imageKey order (code units).')),
});
export type RunDocument = z.infer<typeof runDocumentSchema>;

export interface PlanStore {
  /** Stores the plan under its planId (replacing one with the same id: the same plan). */
  put(plan: Plan): Promise<void>;
  /** The plan, or undefined when none has that id. */
  get(planId: string): Promise<Plan | undefined>;
  /** The audit copy of a finished run (runs/{runId}.json). */
  putRun(document: RunDocument): Promise<void>;
}

/** A run as apply creates it: no outcome yet. */
export type NewRun = Omit<Run, 'counts' | 'status' | 'completedAt'>;

export type ClaimResult =
  | { kind: 'claimed' }
  /**
   * An earlier delivery claimed it. `existing.state` `claimed`: that delivery started and did not
   * finish (whether it sent the delete: `deleteSends`); `final`: it recorded `existing.outcome`.
   */
  | { kind: 'already-claimed'; existing: ImageOutcome };

export interface FinishInput {
  outcome: RunOutcome;
  /** Why it was skipped or failed (kept to MAX_REASON_LENGTH characters). */
  reason?: string | undefined;
  /** Why: for `failed`, the error's name; for `skipped`, the refusal's (ImageChanged among them). */
  error?: string | undefined;
  image?: z.infer<typeof plannedImageSchema> | undefined;
  /** ISO 8601. */
  at: string;
}

export type FinishResult =
  /** This call recorded the outcome; `completed`: it also completed the run (publish once). */
  | { kind: 'recorded'; run: Run; completed: boolean }
  /**
   * An outcome was already recorded (nothing counted). `completed` is true when this call found
   * the run done but not yet completed (a consumer died in between) and completed it.
   */
  | { kind: 'already-final'; existing: ImageOutcome; run: Run; completed: boolean };

/** What finishManyUnlessDeleteSent did with one decision (as finishUnlessDeleteSent would). */
export type FinishEach =
  /** This call recorded and counted its outcome. */
  | { kind: 'recorded' }
  /** An outcome was already recorded (nothing counted): it stands. */
  | { kind: 'already-final'; existing: ImageOutcome }
  /** A delivery noted sending its delete: nothing recorded (that delivery records the outcome). */
  | { kind: 'delete-sent' };

export interface FinishManyResult {
  /** One per decision, in the order given. */
  each: FinishEach[];
  /** The run after this call's last write. */
  run: Run;
  /**
   * This call completed the run (publish its completion once): its last write gave every decision
   * an outcome, or it found the run done but not completed (a consumer died in between).
   */
  completed: boolean;
}

/**
 * The most decisions finishManyUnlessDeleteSent records in one write: with the run's counts, one
 * DynamoDB transaction (100 actions at most). More are written in steps of this many.
 */
export const FINISH_BATCH = 99;

/** A run's event that must go out once recorded: a decision's outcome, or the run's completion. */
export type RunEvent = { imageKey: string } | 'completion';

/** Reasons are for people; a longer one is cut to this many characters. */
export const MAX_REASON_LENGTH = 2_000;

export interface RunStore {
  /** 'exists' when a run with this id is already stored (nothing changed). */
  create(run: NewRun): Promise<'created' | 'exists'>;
  /**
   * Claims a retire decision for this delivery. Throws PlanNotFound when the run is not stored.
   */
  claim(runId: string, imageKey: string, at: string): Promise<ClaimResult>;
  /**
   * Records the decision's outcome and counts it, at most once (claimed or not before), then
   * completes the run when every decision has an outcome. Throws PlanNotFound when the run is not
   * stored.
   */
  finish(runId: string, imageKey: string, result: FinishInput): Promise<FinishResult>;
  /**
   * finish, unless a delivery has noted sending the decision's delete (checked in the same write):
   * then nothing is recorded and the answer is undefined (that delivery records the outcome).
   */
  finishUnlessDeleteSent(
    runId: string,
    imageKey: string,
    result: FinishInput,
  ): Promise<FinishResult | undefined>;
  /**
   * finishUnlessDeleteSent for each decision (distinct image keys), in steps of FINISH_BATCH
   * decisions each written at once (and counted in the same write), so that apply records
   * thousands of decisions in the time it would take to record a hundred one by one. Counts and
   * completion end as if each had been finished alone; the decision whose write completed the run
   * owns its completion event. A failure part-way leaves the steps before it recorded. Throws
   * PlanNotFound when the run is not stored.
   */
  finishManyUnlessDeleteSent(
    runId: string,
    decisions: readonly { imageKey: string; result: FinishInput }[],
  ): Promise<FinishManyResult>;
  /**
   * Marks the run completed when every decision has an outcome (a run of 0 decisions at once).
   * True for exactly one caller: the one that completed it. PlanNotFound when not stored.
   */
  complete(runId: string, at: string): Promise<boolean>;
  /**
   * Notes, just before a delivery sends the decision's delete, that it does (claiming the decision
   * if no delivery has; the first note stands). A later delivery that finds the image gone can then
   * tell "this run deleted it" (its reply was lost) from "it was gone already". False, and nothing
   * noted, when the decision already has its final outcome (another delivery of the message, or
   * apply, recorded it meanwhile): the delete must then not be sent.
   */
  markDeleteSent(runId: string, imageKey: string, at: string): Promise<boolean>;
  /**
   * How many deliveries of this run noted sending the decision's delete (0: none did). A delivery
   * whose own delete found the image gone can tell from it that another delivery's delete did.
   */
  deleteSends(runId: string, imageKey: string): Promise<number>;
  /**
   * Notes that the event of a decision's outcome, or of the run's completion, was published, so
   * that a later delivery does not publish it again.
   */
  markPublished(runId: string, event: RunEvent, at: string): Promise<void>;
  /**
   * The events a decision owes: its outcome's, once recorded and not noted published; the run's
   * completion's, when this decision's outcome completed the run (one decision owns it, so a run
   * whose completion event was lost gets it once) and it is not noted published. A delivery that
   * stopped (or could not publish) left them owed: a later delivery of the decision publishes them.
   */
  unpublished(runId: string, imageKey: string): Promise<{ outcome: boolean; completion: boolean }>;
  /** The run and every outcome so far, or undefined when not stored. */
  read(runId: string): Promise<RunDocument | undefined>;
  /** The run alone (one read, whatever its outcomes), or undefined when not stored. */
  readRun(runId: string): Promise<Run | undefined>;
}

/**
 * A retire decision on its way to the delete queue consumer. The queue's schema bounds its text
 * fields to RUN_MESSAGE_MAX_LENGTH (run-message-limits.ts), which the planner heeds too.
 */
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
  /** Who applied the plan (for the events). */
  identity?: string | undefined;
}

/**
 * The most messages one send call of the queue takes at once (SQS SendMessageBatch's limit): apply
 * hands the queue a batch at a time, several batches in flight.
 */
export const QUEUE_BATCH = 10;

export interface DeleteQueue {
  /**
   * Sends every message (in batches of QUEUE_BATCH); resolves with the messages that could not be
   * sent after retries, so that each still gets an outcome.
   */
  send(messages: readonly RunMessage[], options?: SendOptions): Promise<RunMessage[]>;
}

export interface SendOptions {
  /**
   * Aborted when the send must end: no further call is started and a call still waiting is given
   * up; their messages are handed back (one given up may have been queued all the same).
   */
  signal?: AbortSignal;
}
