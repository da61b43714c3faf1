// What retirement needs from storage, owned here and implemented by lib/stores (S3 and DynamoDB
// when deployed, a local directory for npm start and the command line).

import type { Plan } from './plan.js';

export interface PlanStore {
  put(plan: Plan): Promise<void>;
  /** Undefined when no plan with this id is stored. */
  get(planId: string): Promise<Plan | undefined>;
}
