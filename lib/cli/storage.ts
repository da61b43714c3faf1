// Where the command line keeps plans and runs: a folder on this machine (CLOUD_IMAGES_DIR or
// --dir, default ./.cloud-images), through the same local-directory stores `npm start` uses
// (lib/stores): plans/<planId>.json (with the HTML report beside it), the run journals
// (run-journals/<runId>.jsonl), and runs/<runId>.json, the record of a finished run.

import { join, resolve } from 'node:path';
import { InvalidRequest } from '../errors/errors.js';
import { type Plan, planSchema } from '../retirement/plan.js';
import type { PlanStore, RunDocument, RunStore } from '../retirement/ports.js';
import { localRunStore, runJournalPath } from '../stores/local-run-store.js';
import { localPlanStore } from '../stores/plan-store.js';

export const DIR_VARIABLE = 'CLOUD_IMAGES_DIR';
export const DEFAULT_DIR = '.cloud-images';

export interface LocalStorage {
  /** The folder, absolute. */
  dir: string;
  plans: PlanStore;
  runs: RunStore;
  planPath(planId: string): string;
  reportPath(planId: string): string;
  runPath(runId: string): string;
  /** The journal of a run: its state while it runs, and where one cut short is left. */
  journalPath(runId: string): string;
}

/** The folder: --dir, else CLOUD_IMAGES_DIR, else ./.cloud-images; empty is not set (as for the other variables). */
export const folderOf = (
  flag: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
): string => (flag === undefined || flag === '' ? env[DIR_VARIABLE] || DEFAULT_DIR : flag);

/** What chooses the folder, as a store's failure names it (not RETIREMENT_STORE_DIR: the events'). */
const DIR_SETTING = `--dir or ${DIR_VARIABLE}`;

export const localStorage = (dir: string): LocalStorage => {
  const root = resolve(dir);
  return {
    dir: root,
    plans: localPlanStore({ dir: root, setting: DIR_SETTING }),
    runs: localRunStore({ dir: root, setting: DIR_SETTING }),
    planPath: (planId) => join(root, 'plans', `${planId}.json`),
    reportPath: (planId) => join(root, 'plans', `${planId}.html`),
    runPath: (runId) => join(root, 'runs', `${runId}.json`),
    journalPath: (runId) => runJournalPath(root, runId),
  };
};

/** A plan file as the plan schema reads it; anything else is InvalidRequest naming the file. */
export const parseStoredPlan = (text: string, path: string): Plan => {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new InvalidRequest(`plan: ${path} is not valid JSON`, { field: 'plan' });
  }
  const parsed = planSchema.safeParse(value);
  if (!parsed.success) {
    throw new InvalidRequest(`plan: ${path} is not a plan (${parsed.error.issues[0]?.message})`, {
      field: 'plan',
    });
  }
  return parsed.data;
};

/** The record of a finished run, beside the plans; where it was written. */
export const writeRun = async (storage: LocalStorage, record: RunDocument): Promise<string> => {
  await storage.plans.putRun(record);
  return storage.runPath(record.run.runId);
};
