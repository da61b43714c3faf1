// apply(planId) → a run: one delete per retire decision, through the delete queue (so the deletes
// run on Lambda's own scaling and the clouds' pacing), each decision ending in exactly one
// outcome. The messages go out a batch at a time, several batches in flight. A decision whose
// message the consumer would refuse (the planner retires no image whose message fields the queue's
// schema refuses, so in a verified plan only an applier's identity over its bound), or which cannot
// be sent, is recorded `failed` at once, so a run never waits for an outcome that
// cannot come (unless a consumer has sent its delete: the send went through after all, and that
// delivery records it). A plan that is not as it was made is refused before any run starts; a run
// of it that had started (a retried schedule firing across an upgrade of the planner) has each
// decision without an outcome recorded `failed` instead (UnverifiablePlan), nothing queued.
//
// Apply ends by its deadline (an HTTP apply has API Gateway's 29 s): it starts no send once the
// time left is what recording the decisions not yet queued would take (`recordReserveMs`), cuts
// the sends still waiting then, and records each decision it did not queue `failed`
// (DeadlineReached: apply the plan again), FINISH_BATCH in one write, so that the caller still gets
// its run and the run still completes. Should even that not finish in time (a queue that fails or
// crawls from the start of a very large plan), the decisions left are counted in `unrecorded`:
// neither queued nor recorded.

import { createHash, randomBytes } from 'node:crypto';
import { InvalidRequest, PlanNotFound } from '../errors/errors.js';
import type { Deadline } from '../http/deadline.js';
import type { CallContext } from '../images/provider-port.js';
import type { PlannedImage } from './plan.js';
import { inconsistencyOf, substitutionOf, UnverifiablePlan } from './plan-integrity.js';
import { imageKey } from './planner.js';
import {
  type DeleteQueue,
  FINISH_BATCH,
  type NewRun,
  type PlanStore,
  QUEUE_BATCH,
  type Run,
  type RunMessage,
  type RunStore,
} from './ports.js';

/**
 * Send calls (SQS SendMessageBatch, a batch each) in flight at once. One call takes a round trip
 * (15-20 ms to SQS), so one at a time sends 500-650 messages a second and 100,000 decisions (a
 * policy's largest maxDeletions) take minutes; the order of a run's messages does not matter.
 * Against moto with 15 ms added to each call (bench/apply-send.ts), 10,000 messages: 23.5 s one
 * at a time, 7.7 s with 4 in flight, 6.0 s with 8 and with 16 (moto's one-at-a-time server is
 * then the bound). SQS takes calls side by side, so 8 bring about 8 round trips' worth; more
 * would soon meet the client's own CPU (1.6 ms a call on a full core, several times that in a
 * small Lambda) and only add sockets: 8.
 */
export const QUEUE_LANES = 8;

/**
 * Runs `work` on each item, `lanes` at a time, in order of start. A failure stops further starts;
 * once the ones under way have ended, the first failure is thrown.
 */
const inLanes = async <T>(
  items: readonly T[],
  lanes: number,
  work: (item: T) => Promise<void>,
): Promise<void> => {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const lane = async (): Promise<void> => {
    while (failure === undefined && next < items.length) {
      const item = items[next] as T;
      next += 1;
      try {
        await work(item);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(lanes, items.length) }, lane));
  if (failure !== undefined) throw failure.error;
};

/**
 * What recording one decision `failed` is allowed, in steps of up to FINISH_BATCH decisions each
 * one store call (finishManyUnlessDeleteSent: on DynamoDB one transaction of their items and the
 * run's counts, then a read of the run), one step after another: every step writes the run's one
 * item, and DynamoDB cancels transactions on one item that overlap, so steps side by side would
 * only conflict. Measured against moto (bench/apply-record.ts, 990 decisions): 6.6 ms a decision in
 * steps of 99 (7.0 ms with 20 ms added to each call), nearly all of it moto's own CPU on each item;
 * one by one, 4 at a time, 14.1 ms. A real table is bound instead by the run's one partition (one
 * partition key per run): 1,000 write units a second, 2 per item written in a transaction, so
 * some 2 ms a decision, more once consumers share it. A store slower than this leaves decisions
 * `unrecorded` (see ApplyResult) rather than a late answer.
 */
export const RECORD_MS = 8;

/**
 * The time recording `count` decisions takes, FINISH_BATCH at a time (with one more step's worth
 * for the last to end), at most `capMs`.
 */
export const recordReserveMs = (count: number, capMs: number): number =>
  count === 0
    ? 0
    : Math.min(capMs, (Math.ceil(count / FINISH_BATCH) + 1) * FINISH_BATCH * RECORD_MS);

/**
 * The most kept back for recording, as a share of the time apply had when it began sending: beyond
 * it a queue that fails from the start would leave nothing to send with. An HTTP apply (27 s)
 * keeps at most 9 s: about 1,000 decisions at RECORD_MS (a queue that refuses every send at once
 * leaves the whole time to recording: some 3,300).
 */
const RECORD_RESERVE_SHARE = 1 / 3;

/** Below this much time before its cut-off, a send call is not started. */
const MIN_SEND_MS = 100;

/** What sending ended with: the messages sent but not taken, and those not sent in time. */
export interface Sent {
  /** Tried, and the queue did not take them (after retries). */
  unsent: RunMessage[];
  /** Not queued in the time apply had: never tried, or their call cut short (it may have gone). */
  late: RunMessage[];
}

/**
 * Sends the messages a batch at a time, `lanes` batches in flight, while the deadline leaves time
 * for recording what is not sent (`reserveMs` of how many that is): a batch is started only then,
 * and a call still waiting when that time comes is cut.
 */
export const sendAll = async (
  queue: DeleteQueue,
  messages: readonly RunMessage[],
  options: {
    lanes?: number;
    deadline?: Deadline | undefined;
    reserveMs?: (toRecord: number) => number;
  } = {},
): Promise<Sent> => {
  const { deadline, reserveMs = () => 0 } = options;
  const batches: RunMessage[][] = [];
  for (let start = 0; start < messages.length; start += QUEUE_BATCH) {
    batches.push(messages.slice(start, start + QUEUE_BATCH));
  }
  const sent: Sent = { unsent: [], late: [] };
  // Messages not known sent: those of batches not started, under way, or not taken.
  let open = messages.length;
  let stopped = false;
  await inLanes(batches, options.lanes ?? QUEUE_LANES, async (batch) => {
    // Time enough to send this batch, and then to record every message not known sent yet?
    const sendMs = deadline === undefined ? Infinity : deadline.remainingMs() - reserveMs(open);
    if (stopped || sendMs < MIN_SEND_MS) {
      stopped = true;
      sent.late.push(...batch);
      return;
    }
    // A timer cleared once the call ends (AbortSignal.timeout would stay pending till it fires).
    const cutter = Number.isFinite(sendMs) ? new AbortController() : undefined;
    const timer = cutter === undefined ? undefined : setTimeout(() => cutter.abort(), sendMs);
    let unsent: RunMessage[];
    try {
      unsent = await queue.send(batch, cutter === undefined ? {} : { signal: cutter.signal });
    } finally {
      clearTimeout(timer);
    }
    const cut = cutter?.signal.aborted === true;
    (cut ? sent.late : sent.unsent).push(...unsent);
    // A cut call's messages are still to be recorded: they stay open, and so keep their reserve.
    if (!cut) open -= batch.length - unsent.length;
  });
  return sent;
};

export interface ApplyDeps {
  plans: PlanStore;
  runs: RunStore;
  queue: DeleteQueue;
  /** Why the consumer would refuse this message (its schema), or undefined when it takes it. */
  refusal?: (message: RunMessage) => string | undefined;
  now?: () => Date;
  /** When apply's work must end; absent: no limit. */
  deadline?: Deadline | undefined;
  /** Told the plan's provider once the plan is read, for the log line and metrics. */
  context?: Pick<CallContext, 'provider'>;
}

/** A retire decision that was never queued, recorded `failed` with this error at once. */
export interface Unqueued {
  message: RunMessage;
  /**
   * InvalidRequest: the queue would refuse it, or its plan can no longer be verified (a started
   * run's). DeadlineReached: not queued in the time apply had (applying the plan again tries it).
   */
  error: 'InvalidRequest' | 'StoreUnavailable' | 'DeadlineReached';
  reason: string;
}

export interface ApplyResult {
  runId: string;
  planId: string;
  total: number;
  /** True when the run completed at once (nothing to retire, or nothing could be sent). */
  completed: boolean;
  /**
   * Decisions whose delete was not queued and whose `failed` this apply recorded (one a consumer
   * had recorded already, from a message sent though its send seemed to fail, is not among them).
   */
  unqueued: Unqueued[];
  /**
   * A run of the given ID had been started before (a retried schedule firing): only its decisions
   * without a final outcome were queued again (the consumer records each decision once).
   */
  repeated: boolean;
  /**
   * Retire decisions neither queued nor recorded: apply's time ran out first. They have no
   * outcome and the run stays `running` until a repeat of the same run (a retried schedule firing)
   * queues them. Recording is allowed RECORD_MS a decision: an HTTP apply records about 1,000 in
   * the time it keeps back from a queue that crawls, and some 3,300 when the queue refuses every
   * send at once; a larger plan, or a slower store, leaves the rest here.
   */
  unrecorded: number;
}

/**
 * The message of a retire decision of a run: what apply queues, and so what the consumer takes
 * as that decision (a message that is not exactly this is no decision of its plan).
 */
export const runMessageOf = (
  image: PlannedImage,
  run: { planId: string; runId: string; force: boolean; identity: string | undefined },
): RunMessage => ({
  provider: image.provider,
  imageId: image.id,
  region: image.region,
  ...(run.force ? { force: true } : {}),
  planId: run.planId,
  runId: run.runId,
  imageKey: imageKey(image),
  expected: {
    status: image.status,
    name: image.name,
    ...(image.updatedAt === undefined ? {} : { updatedAt: image.updatedAt }),
  },
  ...(run.identity === undefined ? {} : { identity: run.identity }),
});

export const newRunId = (): string => `run-${randomBytes(10).toString('hex')}`;

/**
 * The run ID of one firing of a schedule, derived from what stays the same when Lambda retries
 * the firing's invocation (its request ID): a retry finds the run it started and starts none.
 */
export const firingRunId = (firing: string): string =>
  `run-${createHash('sha256').update(`firing:${firing}`).digest('hex').slice(0, 20)}`;

/** Whether a run of this ID was started for this plan (false without an ID). */
const startedOf = async (
  runs: ApplyDeps['runs'],
  runId: string | undefined,
  planId: string,
): Promise<boolean> => runId !== undefined && (await runs.readRun(runId))?.planId === planId;

/**
 * Refuses a run that is not of this plan: a run ID given to go on with a run (a schedule firing's,
 * or one an operator resumes) must name a run of the plan applied. `field`: what the caller calls
 * the run ID (the command line's `--resume`); the input's `runId` otherwise.
 */
export const refuseRunOfAnotherPlan = (
  run: Pick<Run, 'runId' | 'planId'>,
  planId: string,
  field = 'runId',
): void => {
  if (run.planId !== planId) {
    throw new InvalidRequest(
      `${field}: run ${run.runId} is a run of plan ${run.planId}, not of plan ${planId}`,
      { field },
    );
  }
};

/**
 * A started run (of this plan): who applied it, and the image keys of its final outcomes.
 */
const startedRun = async (
  runs: ApplyDeps['runs'],
  runId: string,
  planId: string,
): Promise<{ createdBy: string | undefined; done: Set<string> }> => {
  const started = await runs.read(runId);
  if (started === undefined) throw new PlanNotFound(`no run ${runId} is stored`);
  refuseRunOfAnotherPlan(started.run, planId);
  return {
    createdBy: started.run.createdBy,
    done: new Set(
      started.outcomes
        .filter((outcome) => outcome.state === 'final')
        .map((outcome) => outcome.imageKey),
    ),
  };
};

export const applyPlan = async (
  planId: string,
  deps: ApplyDeps,
  options: { createdBy?: string | undefined; runId?: string } = {},
): Promise<ApplyResult> => {
  const now = deps.now ?? (() => new Date());
  const plan = await deps.plans.get(planId);
  if (plan === undefined) throw new PlanNotFound(`no plan ${planId} is stored`);
  if (deps.context !== undefined) deps.context.provider = plan.policy.provider;
  const substituted = substitutionOf(plan, planId);
  const inconsistent = substituted === undefined ? inconsistencyOf(plan) : undefined;
  // A plan not as it was made starts no run. A run of it already started (a retried schedule
  // firing, an upgrade of the planner in between) still has its decisions end: those without an
  // outcome are recorded `failed` below (UnverifiablePlan), none queued, when the plan's decisions
  // are still its ID's, and so the run's.
  const altered = substituted ?? inconsistent;
  if (
    altered !== undefined &&
    (substituted !== undefined || !(await startedOf(deps.runs, options.runId, planId)))
  ) {
    throw new InvalidRequest(
      `planId: plan ${planId} has been altered since it was made (${altered}); make a new plan`,
      { field: 'planId' },
    );
  }
  const unverifiable =
    inconsistent === undefined ? undefined : new UnverifiablePlan(planId, inconsistent);
  if (!plan.complete) {
    throw new InvalidRequest(
      `planId: plan ${planId} is incomplete (${plan.incomplete ?? 'not every image was seen'}) and cannot be applied; make a new plan`,
      { field: 'planId' },
    );
  }
  const retire = plan.decisions.filter((decision) => decision.decision === 'retire');
  const runId = options.runId ?? newRunId();
  const run: NewRun = {
    runId,
    planId,
    provider: plan.policy.provider,
    policyName: plan.policy.name,
    createdAt: now().toISOString(),
    ...(options.createdBy === undefined ? {} : { createdBy: options.createdBy }),
    total: retire.length,
  };
  const repeated = (await deps.runs.create(run)) === 'exists';
  // A run started before may have stopped anywhere (a crash after creating it, part of its
  // decisions queued): what has no final outcome yet is queued again, the rest left alone, as
  // decisions of the run as it was started (the consumer takes a message only with its run's
  // applier, whoever asks again).
  const started = repeated
    ? await startedRun(deps.runs, runId, planId)
    : { createdBy: options.createdBy, done: new Set<string>() };
  const { done } = started;
  const messages: RunMessage[] = retire.map(({ image }) =>
    runMessageOf(image, {
      planId,
      runId,
      force: plan.policy.force === true,
      identity: started.createdBy,
    }),
  );
  const unqueued: Unqueued[] = [];
  const sendable: RunMessage[] = [];
  for (const message of messages) {
    if (done.has(message.imageKey)) continue;
    if (unverifiable !== undefined) {
      unqueued.push({ message, error: 'InvalidRequest', reason: unverifiable.message });
      continue;
    }
    const refusal = deps.refusal?.(message);
    if (refusal === undefined) sendable.push(message);
    else {
      unqueued.push({
        message,
        error: 'InvalidRequest',
        reason: `not queued: the delete queue would refuse it (${refusal})`,
      });
    }
  }
  const { deadline } = deps;
  const capMs = (deadline?.remainingMs() ?? 0) * RECORD_RESERVE_SHARE;
  const sent = await sendAll(deps.queue, sendable, {
    deadline,
    // The refused ones are recorded too.
    reserveMs: (open) => recordReserveMs(unqueued.length + open, capMs),
  });
  for (const message of sent.unsent) {
    unqueued.push({
      message,
      error: 'StoreUnavailable',
      reason: 'the delete could not be queued',
    });
  }
  const queued = sendable.length - sent.unsent.length - sent.late.length;
  for (const message of sent.late) {
    unqueued.push({
      message,
      error: 'DeadlineReached',
      reason: `not queued: apply ran out of time (the delete queue took ${queued} of ${sendable.length} decisions in the time it had); apply the plan again`,
    });
  }
  // The last of these outcomes completes the run when nothing was queued.
  let completedByOutcome = false;
  const recorded: Unqueued[] = [];
  let unrecorded = 0;
  for (let start = 0; start < unqueued.length; ) {
    // A whole step, or as much of one as the time left allows.
    const size =
      deadline === undefined
        ? FINISH_BATCH
        : Math.min(FINISH_BATCH, Math.floor(deadline.remainingMs() / RECORD_MS));
    if (size < 1) {
      unrecorded = unqueued.length - start;
      break;
    }
    const step = unqueued.slice(start, start + size);
    start += step.length;
    const at = now().toISOString();
    // A send whose replies were lost may have queued it after all: a consumer that has sent its
    // delete records the outcome (`failed` here would contradict it), so the store records
    // `failed` only where no delivery noted a delete, in the same write. A consumer still looking
    // then finds it recorded and sends no delete.
    const finished = await deps.runs.finishManyUnlessDeleteSent(
      runId,
      step.map(({ message, error, reason }) => ({
        imageKey: message.imageKey,
        result: { outcome: 'failed', error, reason, at },
      })),
    );
    // One a consumer recorded (its send went through after all) is its own, with its events.
    finished.each.forEach((each, index) => {
      if (each.kind === 'recorded') recorded.push(step[index] as Unqueued);
    });
    completedByOutcome ||= finished.completed;
  }
  // Nothing queued (nothing to retire, or a started run's every outcome recorded): the run
  // completes now. A queued decision's delivery completes it instead, and so owns its completion
  // event (its redelivery publishes one that was lost); apply completing it here, a consumer having
  // recorded the last outcome meanwhile, would leave that event no delivery to come back.
  const completed =
    completedByOutcome ||
    (queued === 0 && unrecorded === 0 && (await deps.runs.complete(runId, now().toISOString())));
  return {
    runId,
    planId,
    total: retire.length,
    completed,
    unqueued: recorded,
    repeated,
    unrecorded,
  };
};
