// Where the command line keeps plans and runs: a folder on this machine (CLOUD_IMAGES_DIR or
// --dir, default ./.cloud-images), through the same local-directory stores `npm start` uses
// (lib/stores): plans/<planId>.json (with the HTML report beside it), the run journals
// (run-journals/<runId>.jsonl, with <runId>.lock beside it while an apply works the run), and
// runs/<runId>.json, the record of a finished run.

import { join, resolve } from 'node:path';
import { InvalidRequest, StoreUnavailable } from '../errors/errors.js';
import { PLAN_WORDING, type Plan, planSchema } from '../retirement/plan.js';
import type { PlanStore, RunDocument, RunStore } from '../retirement/ports.js';
import { describeIssue } from '../schema/issues.js';
import { jsonTextRefusal, parseJsonText } from '../schema/json-text.js';
import { type HeldLock, type LockHolder, takeFileLock } from '../stores/file-lock.js';
import { localRunStore, runJournalPath, runLockPath } from '../stores/local-run-store.js';
import { localPlanStore } from '../stores/plan-store.js';
import { fileFailure } from '../stores/store-errors.js';

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
  /**
   * Takes the run's lock, which an apply holds while it works the run so that no other apply
   * works it at the same time (a lock left by an apply that is gone is taken over); held by
   * another apply: StoreUnavailable naming it.
   */
  lockRun(runId: string): Promise<HeldLock>;
}

/** The folder: --dir, else CLOUD_IMAGES_DIR, else ./.cloud-images; empty is not set (as for the other variables). */
export const folderOf = (
  flag: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
): string => (flag === undefined || flag === '' ? env[DIR_VARIABLE] || DEFAULT_DIR : flag);

/** What chooses the folder, as a store's failure names it (not RETIREMENT_STORE_DIR: the events'). */
const DIR_SETTING = `--dir or ${DIR_VARIABLE}`;

/** Why an apply of a run another apply holds is refused, and what to do. */
const runHeld = (runId: string, path: string, holder: LockHolder | undefined): StoreUnavailable =>
  new StoreUnavailable(
    holder === undefined
      ? `run ${runId} is locked by another cloud-images apply, whose lock file ${path} cannot be read yet: wait a few seconds and try again (a lock file that stays unreadable is taken over)`
      : `run ${runId} is being worked by another cloud-images apply (pid ${holder.pid} on host ${holder.host}, started ${holder.startedAt}): wait for it to end, then try again; if that process is gone (on another host, which cannot be checked from here), remove its lock file ${path}`,
  );

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
    lockRun: async (runId) => {
      const path = runLockPath(root, runId);
      let attempt: Awaited<ReturnType<typeof takeFileLock>>;
      try {
        attempt = await takeFileLock(path);
      } catch (error) {
        throw fileFailure(
          { what: 'the local store', variable: DIR_SETTING, resource: root },
          'lock a run in',
          error,
        );
      }
      if (attempt.kind === 'held') throw runHeld(runId, path, attempt.holder);
      return attempt.lock;
    },
  };
};

/**
 * A plan file as the plan schema reads it; anything else is InvalidRequest naming the file and
 * what is wrong: where the JSON breaks (line and column), or the first field that is not a plan's.
 */
export const parseStoredPlan = (text: string, path: string): Plan => {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    const read = parseJsonText(text);
    const message = read.ok
      ? `plan: ${path} is not valid JSON`
      : jsonTextRefusal(read.problem, text, 'plan', path).message;
    throw new InvalidRequest(message, { field: 'plan' });
  }
  const parsed = planSchema.safeParse(value, { reportInput: true });
  if (!parsed.success) {
    // The first issue, in the words of the inputs and policies (a plan edited by hand is read by
    // a person): a wrong type as what it must be, unknown fields named, choices and bounds listed.
    const issue = parsed.error.issues[0];
    const what =
      issue === undefined ? 'plan: is not valid' : describeIssue(issue, PLAN_WORDING).message;
    throw new InvalidRequest(`plan: ${path} is not a plan (${what})`, { field: 'plan' });
  }
  return parsed.data;
};

/** The record of a finished run, beside the plans; where it was written. */
export const writeRun = async (storage: LocalStorage, record: RunDocument): Promise<string> => {
  await storage.plans.putRun(record);
  return storage.runPath(record.run.runId);
};
