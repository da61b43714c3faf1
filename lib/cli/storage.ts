// Where the command line keeps plans and runs: a folder on this machine (CLOUD_IMAGES_DIR or
// --dir, default ./.cloud-images): plans/<planId>.json (with the HTML report beside it) and
// runs/<runId>.json. The plan store is the retirement port (lib/retirement/ports.ts) over files;
// a run lives in this process while `apply` works through it (the run store port in memory) and
// is written out whole at the end.
//
// For the lead: lib/stores is to have the local-directory stores `npm start` uses; once it does,
// `localStorage` below should return those instead (same folder layout or not: only this file
// and its test know it).

import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { InvalidRequest } from '../errors/errors.js';
import { PLAN_ID_PATTERN, type Plan, planSchema } from '../retirement/plan.js';
import type {
  ClaimResult,
  OutcomeRecord,
  PlanStore,
  RunRecord,
  RunStore,
} from '../retirement/ports.js';

export const DIR_VARIABLE = 'CLOUD_IMAGES_DIR';
export const DEFAULT_DIR = '.cloud-images';

export interface LocalStorage {
  /** The folder, absolute. */
  dir: string;
  plans: PlanStore;
  planPath(planId: string): string;
  reportPath(planId: string): string;
  runPath(runId: string): string;
}

/** Writes whole or not at all: a reader never sees half a plan. */
const writeAtomically = async (path: string, text: string): Promise<void> => {
  const partial = `${path}.${randomUUID()}.partial`;
  await writeFile(partial, text, 'utf8');
  await rename(partial, path);
};

export const localStorage = (dir: string): LocalStorage => {
  const root = resolve(dir);
  const planPath = (planId: string) => join(root, 'plans', `${planId}.json`);
  return {
    dir: root,
    planPath,
    reportPath: (planId) => join(root, 'plans', `${planId}.html`),
    runPath: (runId) => join(root, 'runs', `${runId}.json`),
    plans: {
      put: async (plan) => {
        await mkdir(join(root, 'plans'), { recursive: true });
        await writeAtomically(planPath(plan.planId), `${JSON.stringify(plan, null, 2)}\n`);
      },
      get: async (planId) => {
        // Only a plan ID names a file here: nothing else can reach outside the folder.
        if (!PLAN_ID_PATTERN.test(planId)) return undefined;
        let text: string;
        try {
          text = await readFile(planPath(planId), 'utf8');
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
          throw error;
        }
        return parseStoredPlan(text, planPath(planId));
      },
    },
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

/** A run while this process applies it; `read` gives what `apply --json` prints. */
export const memoryRunStore = (): RunStore => {
  const runs = new Map<string, { run: RunRecord; outcomes: Map<string, OutcomeRecord> }>();
  const entry = (runId: string) => {
    const found = runs.get(runId);
    if (found === undefined) throw new Error(`no run ${runId}`);
    return found;
  };
  return {
    create: async (run) => {
      runs.set(run.runId, { run: structuredClone(run), outcomes: new Map() });
    },
    claim: async (runId, imageKey, at): Promise<ClaimResult> => {
      const { outcomes } = entry(runId);
      const existing = outcomes.get(imageKey);
      if (existing !== undefined) return { claimed: false, existing: structuredClone(existing) };
      outcomes.set(imageKey, { imageKey, state: 'claimed', claimedAt: at });
      return { claimed: true };
    },
    finish: async (runId, imageKey, outcome) => {
      const { run, outcomes } = entry(runId);
      const existing = outcomes.get(imageKey);
      if (existing?.state === 'final') return 'already-final';
      outcomes.set(imageKey, {
        imageKey,
        state: 'final',
        outcome: outcome.outcome,
        reason: outcome.reason,
        error: outcome.error,
        claimedAt: existing?.claimedAt ?? outcome.at,
        finishedAt: outcome.at,
      });
      run.counts[outcome.outcome] += 1;
      return 'recorded';
    },
    complete: async (runId, at) => {
      const { run } = entry(runId);
      const done = Object.values(run.counts).reduce((sum, count) => sum + count, 0);
      if (run.status === 'completed' || done < run.total) return false;
      run.status = 'completed';
      run.completedAt = at;
      return true;
    },
    read: async (runId) => {
      const found = runs.get(runId);
      return found === undefined
        ? undefined
        : structuredClone({ run: found.run, outcomes: [...found.outcomes.values()] });
    },
  };
};

export const writeRun = async (
  storage: LocalStorage,
  record: { run: RunRecord; outcomes: OutcomeRecord[] },
): Promise<string> => {
  await mkdir(join(storage.dir, 'runs'), { recursive: true });
  const path = storage.runPath(record.run.runId);
  await writeAtomically(path, `${JSON.stringify(record, null, 2)}\n`);
  return path;
};
