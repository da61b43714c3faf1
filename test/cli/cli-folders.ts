// The folders of a command-line test file: a scratch folder for the file (`work`: policies, plan
// copies) and a fresh plans folder for each test (`dir`, the --dir every `cli` call is given),
// with the BCC policy the retirement tests plan from.

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, expect } from 'vitest';
import type { RecordedRequest } from '../../emulator/types.js';
import { type Plan, planSchema } from '../../lib/retirement/plan.js';
import { type CliRun, cloudImages } from './cli-child.js';

/** Old custom BCC images of region bj, the newest of each family kept, at most `maxDeletions`. */
export const bccPolicyYaml = (maxDeletions: number): string => `name: old-bcc-images
provider: bcc
regions: [bj]
select:
  olderThanDays: 30
keep:
  newestPerFamily: 1
limits:
  maxDeletions: ${maxDeletions}
  maxPercent: 50
`;

/** The images a plan retires. */
export const retired = (plan: Plan) =>
  plan.decisions.filter((decision) => decision.decision === 'retire').map((d) => d.image);

/** The DELETE requests the emulator received for each image ID. */
export const deletesByImage = (emulator: {
  requests: readonly RecordedRequest[];
}): Map<string, number> => {
  const sent = new Map<string, number>();
  for (const request of emulator.requests) {
    if (request.method !== 'DELETE' || request.imageId === undefined) continue;
    sent.set(request.imageId, (sent.get(request.imageId) ?? 0) + 1);
  }
  return sent;
};

export interface CliFolders {
  /** The file's scratch folder. */
  readonly work: string;
  /** This test's plans folder (a test may point it elsewhere). */
  dir: string;
  /** This test's number in the file (for names of its own in `work`). */
  readonly tests: number;
  /** `cloud-images --emulator <the fixture's> ...args --dir <dir>` in a child process. */
  cli(args: readonly string[], env?: Record<string, string>): Promise<CliRun>;
  /** `cloud-images plan` of this policy (written to a file in `work`), which must succeed. */
  plan(policyYaml: string): Promise<Plan>;
}

export const useCliFolders = (fixture: { readonly url: string }, name: string): CliFolders => {
  let work = '';
  let dir = '';
  let tests = 0;
  let policies = 0;
  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), `cloud-images-${name}-`));
  });
  beforeEach(() => {
    tests += 1;
    dir = join(work, `plans-${tests}`);
  });
  afterAll(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });
  const cli: CliFolders['cli'] = (args, env = {}) =>
    cloudImages(['--emulator', fixture.url, ...args, '--dir', dir], env);
  return {
    get work() {
      return work;
    },
    get dir() {
      return dir;
    },
    set dir(folder: string) {
      dir = folder;
    },
    get tests() {
      return tests;
    },
    cli,
    plan: async (policyYaml) => {
      policies += 1;
      const policy = join(work, `policy-${tests}-${policies}.yaml`);
      await writeFile(policy, policyYaml);
      const run = await cli(['plan', policy, '--json']);
      expect(run.code, run.stderr).toBe(0);
      return planSchema.parse(run.json());
    },
  };
};
