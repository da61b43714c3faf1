// cloud-images run RUN_ID [--dir DIR]: a run kept in the local folder (an apply's, finished or cut
// short), as the HTTP API's GET /retirements/runs/{runId} gives it, through the same operation
// (lib/retirement/read-run.ts): for people its plan, status, counts and outcomes; --json the body.

import type { Command } from 'commander';
import type { PlannedImage } from '../../retirement/plan.js';
import type { RunDocument } from '../../retirement/ports.js';
import { readRun } from '../../retirement/read-run.js';
import { parseInput, runRefSchema } from '../../validation/inputs.js';
import { examples } from '../help.js';
import { plannedImages, runText } from '../output/run.js';
import type { Session } from '../session.js';
import {
  DEFAULT_DIR,
  DIR_VARIABLE,
  folderOf,
  type LocalStorage,
  localStorage,
} from '../storage.js';
import { applyArguments } from './arguments.js';
import type { Runner } from './runner.js';

export interface RunFlags {
  dir?: string;
}

/**
 * The images the run's plan decided on, for the outcomes recorded before their image was seen (a
 * decision that failed first), as apply's summary names them; none when every outcome has its
 * image, or the plan is not in the folder (or cannot be read there: the names are left blank).
 */
const plannedFor = async (
  document: RunDocument,
  storage: LocalStorage,
): Promise<ReadonlyMap<string, PlannedImage> | undefined> => {
  if (document.outcomes.every((outcome) => outcome.image !== undefined)) return undefined;
  const plan = await storage.plans.get(document.run.planId).catch(() => undefined);
  return plan === undefined ? undefined : plannedImages(plan);
};

export const showRun = async (session: Session, runId: string, flags: RunFlags): Promise<void> => {
  // As the read-run function, which fails its requests when a variable is malformed.
  session.checkConfiguration();
  const input = parseInput(runRefSchema, { runId }, { runId: 'RUN_ID' });
  const storage = localStorage(folderOf(flags.dir, session.env));
  const document = await readRun(input.runId, storage.runs, storage.dir);
  const { run } = document;
  // --json is the run's body alone: the plan is read only for people.
  const planned = session.output.json ? undefined : await plannedFor(document, storage);
  session.output.result(document, () =>
    runText(
      document,
      session.output.out,
      session.nextCommand(applyArguments(run.planId, { dir: flags.dir, resume: run.runId })),
      planned,
    ),
  );
};

export const registerRun = (program: Command, run: Runner): void => {
  program
    .command('run')
    .summary('show a run of a plan (its outcomes so far)')
    .description(
      "Shows a run kept in the local folder, finished or cut short: its plan, status, counts by outcome and every outcome (image, region, name, outcome, why), as the API's GET /retirements/runs/{runId} gives it. A run still running whose apply was cut short (Ctrl-C) is resumed with `cloud-images apply PLAN --resume RUN_ID`.",
    )
    .argument('<RUN_ID>', "the run ID ('run-' and 20 hex digits), as apply printed it")
    .option(
      '--dir <dir>',
      `where plans and runs are kept (default: ${DIR_VARIABLE}, or ${DEFAULT_DIR} here)`,
    )
    .addHelpText(
      'after',
      examples([
        ['cloud-images run run-0123456789abcdef0123', 'The run: counts and every outcome'],
        [
          'cloud-images run run-0123456789abcdef0123 --json | jq .run.status',
          "For scripts: the body of the API's GET /retirements/runs/{runId}",
        ],
      ]),
    )
    .action((runId: string, flags: RunFlags, self: Command) =>
      run((session) => showRun(session, runId, flags), self),
    );
};
