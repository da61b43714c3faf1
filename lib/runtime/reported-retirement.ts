// Retirement operations whose outcomes are also events on the service's bus (plans, applies,
// retire decisions): the caller gets the same result (or error) as from the operation itself, and
// the events are published first (publishing never turns an outcome into a failure). A run's
// events are noted published in the run store once out; a queued decision whose events were lost
// is told (`onNotPublished`) so that its delivery comes back to publish them. Apply's own events
// (decisions it could not queue, a run completed at once) have no delivery to come back: a loss
// there is logged and counted only.

import { InvalidRequest, StoreUnavailable, UpstreamTimeout } from '../errors/errors.js';
import type { CatalogueEvent } from '../events/catalogue.js';
import { PUBLISH_RESERVE_MS } from '../events/eventbridge-publisher.js';
import { deadlineBefore } from '../http/deadline.js';
import { type ApplyResult, applyPlan, firingRunId } from '../retirement/apply-plan.js';
import { createPlan, type PlanOptions } from '../retirement/create-plan.js';
import type { Plan } from '../retirement/plan.js';
import type { Policy } from '../retirement/policy.js';
import type { RunMessage } from '../retirement/ports.js';
import {
  abandonOne,
  type Retired,
  type RetireOptions,
  retireOne,
} from '../retirement/retire-one.js';
import { runMessageRefusal } from '../validation/inputs.js';
import type { Invocation } from './invocation.js';
import {
  deleteOutcomeEvents,
  plannedEvent,
  retiredEvents,
  runCompletedEvent,
} from './outcome-events.js';
import { type RetirementServices, retirementServices } from './retirement-services.js';

const now = () => new Date().toISOString();

/** Where plans and runs are kept: the service's, or the command line's own folder. */
export type RetirementStores = Pick<RetirementServices, 'plans' | 'runs'>;

/**
 * Notes each of a run's events that went out (each on its own: a partial publish leaves only the
 * lost ones owed), so that no later delivery publishes it again. `imageKey`: the decision an
 * outcome event is of.
 */
const markPublished = async (
  stores: RetirementStores,
  runId: string,
  events: readonly CatalogueEvent[],
  lost: readonly CatalogueEvent[],
  imageKeyOf: (event: CatalogueEvent) => string | undefined,
): Promise<void> => {
  const at = now();
  await Promise.all(
    events
      .filter((event) => !lost.includes(event))
      .map((event) => {
        if (event.detailType === 'Retirement Run Completed') {
          return stores.runs.markPublished(runId, 'completion', at);
        }
        const imageKey = imageKeyOf(event);
        return imageKey === undefined
          ? undefined
          : stores.runs.markPublished(runId, { imageKey }, at);
      }),
  );
};

/**
 * Called when a decision's events could not be published: the caller has the delivery come back
 * (the queue redelivers it, and that delivery publishes what is still unpublished).
 */
export type OnNotPublished = () => void;

/**
 * A decision's outcome event and, when it completed the run, the completion event and audit copy.
 * Each event, once out, is noted published in the run store; one an earlier delivery recorded and
 * did not see go out is published now (at least once: rarely twice, never lost).
 */
const reportRetired = async (
  message: RunMessage,
  invocation: Invocation,
  retired: Retired,
  requestId: string,
  stores: RetirementStores,
  onNotPublished?: OnNotPublished,
  owedHeld = false,
): Promise<Retired> => {
  const events = retiredEvents(
    { provider: message.provider, imageId: message.imageId, region: message.region },
    owedHeld ? { ...retired, unpublished: undefined } : retired,
    {
      trigger: 'run',
      requestId,
      planId: message.planId,
      runId: message.runId,
      identity: message.identity,
    },
    now(),
  );
  await invocation.publish(events, async ({ lost }) => {
    if (lost.length > 0) onNotPublished?.();
    await markPublished(stores, message.runId, events, lost, () => message.imageKey);
  });
  // The audit copy of the finished run, beside its plan: written by the delivery that completed
  // the run, and again by a later delivery of a decision already recorded in a completed run (the
  // same document: the completing delivery may have failed to write it, and nothing else would).
  if (retired.completedRun || (!retired.recorded && retired.run.status === 'completed')) {
    const document = await stores.runs.read(message.runId);
    if (document !== undefined) await stores.plans.putRun(document);
  }
  return retired;
};

/**
 * One retire decision of a run, its outcome event, and the run's completion event. `owedHeld`: an
 * earlier record of this queue batch handled the same decision (it was queued twice) and holds
 * its events for the batch's publish, so what the store still shows owed is not published again.
 */
export const retireReported = async (
  message: RunMessage,
  invocation: Invocation,
  options: RetireOptions,
  requestId: string,
  stores: RetirementStores = retirementServices(),
  onNotPublished?: OnNotPublished,
  owedHeld = false,
): Promise<Retired> => {
  invocation.preparePublish();
  const retired = await retireOne(message, { ...invocation, runs: stores.runs }, options);
  return reportRetired(message, invocation, retired, requestId, stores, onNotPublished, owedHeld);
};

/**
 * A decision recorded `failed` without being worked on (abandonOne: its last delivery with no time
 * left, or a plan that can no longer be verified), with its events.
 */
export const abandonReported = async (
  message: RunMessage,
  invocation: Invocation,
  failure: { error: string; reason: string },
  requestId: string,
  onNotPublished?: OnNotPublished,
  delivery: { options?: RetireOptions; owedHeld?: boolean } = {},
): Promise<Retired> => {
  const stores = retirementServices();
  const retired = await abandonOne(message, { runs: stores.runs }, failure, delivery.options);
  return reportRetired(
    message,
    invocation,
    retired,
    requestId,
    stores,
    onNotPublished,
    delivery.owedHeld,
  );
};

/** apply, the events of decisions that could not be queued, and of a run completed at once. */
export const applyReported = async (
  planId: string,
  invocation: Invocation,
  createdBy: string | undefined,
  services: RetirementStores & Pick<RetirementServices, 'queue'> = retirementServices(),
  runId?: string,
): Promise<ApplyResult> => {
  const { plans, runs, queue } = services;
  const applied = await applyPlan(
    planId,
    {
      plans,
      runs,
      queue,
      refusal: runMessageRefusal,
      context: invocation.context,
      // Apply's own events are published after it, in the time kept back for a publish.
      deadline: deadlineBefore(invocation.deadline, PUBLISH_RESERVE_MS),
    },
    { createdBy, ...(runId === undefined ? {} : { runId }) },
  );
  if (applied.unrecorded > 0) {
    invocation.log.error(
      'apply ran out of time: retire decisions neither queued nor recorded have no outcome',
      { runId: applied.runId, planId, total: applied.total, unrecorded: applied.unrecorded },
    );
  }
  // Which decision each outcome event is of, to note it published.
  const decisionOf = new Map<CatalogueEvent, string>();
  const events = applied.unqueued.flatMap(({ message, error, reason }) =>
    deleteOutcomeEvents(
      { provider: message.provider, imageId: message.imageId, region: message.region },
      error === 'DeadlineReached'
        ? { failure: { name: error, message: reason, retryable: true } }
        : {
            error:
              error === 'InvalidRequest'
                ? new InvalidRequest(reason)
                : new StoreUnavailable(reason),
          },
      {
        trigger: 'run',
        requestId: applied.runId,
        planId,
        runId: applied.runId,
        identity: createdBy,
      },
      now(),
    ).map((event) => {
      decisionOf.set(event, message.imageKey);
      return event;
    }),
  );
  if (applied.completed) {
    const document = await runs.read(applied.runId);
    if (document !== undefined) {
      events.push(runCompletedEvent(document.run));
      await plans.putRun(document);
    }
  }
  // Noted published, so that a consumer that still gets one of these decisions (a send reported
  // failed that went through) does not publish its outcome again.
  await invocation.publish(events, ({ lost }) =>
    markPublished(services, applied.runId, events, lost, (event) => decisionOf.get(event)),
  );
  return applied;
};

export interface ScheduledResult {
  planId: string;
  complete: boolean;
  retire: number;
  runId?: string;
  /**
   * A retry of a firing that had started its run: no new plan; only that run's decisions without
   * a final outcome were queued again (none once it completed).
   */
  repeated?: boolean;
}

/**
 * A firing whose apply ran out of time with decisions neither queued nor recorded fails, so that
 * Lambda retries it: the retry finds the firing's run and queues what has no outcome yet.
 */
const failIfUnrecorded = (applied: ApplyResult): void => {
  if (applied.unrecorded === 0) return;
  throw new StoreUnavailable(
    `run ${applied.runId}: ${applied.unrecorded} of ${applied.total} retire decisions were neither queued nor recorded in the time the firing had; its retry queues them`,
  );
};

/**
 * One firing of a policy's schedule: the plan and, for `"apply": "auto"`, its run, whose ID comes
 * from `firing` (the policy and the firing's scheduled time, or the invocation's request ID, which
 * Lambda keeps across its retries). A firing delivered or retried again whose run had started
 * makes no new plan (a fresh plan would pick the next oldest images and delete up to the limits
 * once more); it only queues again what that run had not sent. An incomplete plan is stored and
 * announced, then thrown as UpstreamTimeout (nothing applied; a retry plans again).
 */
export const scheduledReported = async (
  policy: Policy,
  invocation: Invocation,
  identity: string,
  firing: string,
  services: RetirementStores & Pick<RetirementServices, 'queue'> = retirementServices(),
): Promise<ScheduledResult> => {
  const runId = firingRunId(firing);
  if (policy.apply === 'auto') {
    const earlier = await services.runs.read(runId);
    if (earlier !== undefined) {
      // This firing's run started before: no new plan. A run that had not finished sending (the
      // earlier attempt stopped partway) gets its plan's undecided decisions queued again.
      const { planId, total, status } = earlier.run;
      if (status === 'running') {
        failIfUnrecorded(await applyReported(planId, invocation, identity, services, runId));
      }
      return { planId, complete: true, retire: total, runId, repeated: true };
    }
  }
  const plan = await planReported(
    policy,
    invocation,
    'schedule',
    { createdBy: identity },
    services.plans,
  );
  if (!plan.complete) {
    // Stored and announced (complete: false), but a firing that decided nothing has not done its
    // work: it fails, as `cloud-images plan` does, so that Lambda tries it again within the hour
    // and a firing that still cannot plan is kept in the schedules' dead-letter queue, instead of
    // answering a success while an `auto` policy retired nothing.
    throw new UpstreamTimeout(
      `plan ${plan.planId} of policy ${policy.name} is incomplete and decides nothing: ${plan.incomplete ?? 'not every image was seen'}${policy.apply === 'auto' ? '; nothing was applied' : ''}`,
    );
  }
  const result: ScheduledResult = {
    planId: plan.planId,
    complete: plan.complete,
    retire: plan.totals.retire,
  };
  if (policy.apply === 'auto') {
    const applied = await applyReported(plan.planId, invocation, identity, services, runId);
    failIfUnrecorded(applied);
    result.runId = applied.runId;
    if (applied.repeated) result.repeated = true;
  }
  return result;
};

/** plan, stored, and its `Retirement Planned` event. */
export const planReported = async (
  policy: Policy,
  invocation: Invocation,
  trigger: 'http' | 'schedule' | 'cli',
  options: PlanOptions = {},
  plans: RetirementStores['plans'] = retirementServices().plans,
): Promise<Plan> => {
  const plan = await createPlan(policy, { ...invocation, plans }, options);
  await invocation.publish([plannedEvent(plan, trigger)]);
  return plan;
};
