// The stores, the delete queue and the event publisher: AWS (S3, DynamoDB, SQS, EventBridge) where
// the stack set their variables, the local directory otherwise. Apart from the composition root
// so that functions that never store or publish (show, list, usage) do not load them, and those
// that publish only after an operation (a delete) load them then, not during INIT.

import {
  type RetirementConfig,
  retirementBackends,
  retirementConfig,
} from '../config/retirement-config.js';
import { serviceConfig } from '../config/service-config.js';
import { createEventPublisher } from '../events/create-publisher.js';
import type { EventPublisher } from '../events/publisher.js';
import { createLogger } from '../log/log.js';
import type { DeleteQueue, PlanStore, RunStore } from '../retirement/ports.js';
import { createRunMessageCheck, type RunMessageCheck } from '../retirement/run-message-check.js';
import { createDeleteQueue } from '../stores/delete-queue.js';
import { createPlanStore } from '../stores/plan-store.js';
import { createRunStore } from '../stores/run-store.js';

export interface RetirementServices {
  config: RetirementConfig;
  plans: PlanStore;
  runs: RunStore;
  queue: DeleteQueue;
  events: EventPublisher;
  /** Whether a run message on the delete queue is a retire decision its plan made (per process). */
  checkRunMessage: RunMessageCheck;
}

let retirement: RetirementServices | undefined;

/**
 * The stores, queue and event publisher: AWS (S3, DynamoDB, SQS, EventBridge) where the stack set
 * their variables, the local directory otherwise. Built on first use; no AWS client is made until
 * one is called.
 */
export const retirementServices = (): RetirementServices => {
  if (retirement === undefined) {
    const config = retirementConfig();
    const backends = retirementBackends(config);
    const plans = createPlanStore(backends.plans);
    const runs = createRunStore(backends.runs);
    retirement = {
      config,
      plans,
      runs,
      queue: createDeleteQueue(backends.queue),
      events: createEventPublisher(backends.events, {
        log: createLogger(serviceConfig().logLevel, { source: 'events' }),
      }),
      checkRunMessage: createRunMessageCheck({ plans, runs }),
    };
  }
  return retirement;
};
