// cloud-images plan POLICY_FILE [--dir DIR]: a retirement plan for a policy kept in a file (JSON or
// YAML), made by the operation the API's plan route calls (lib/retirement/create-plan.ts: the whole
// inventory and usage of the policy's regions, the planner) and stored in the local folder, with
// its HTML report beside it. Nothing is deleted: `cloud-images apply` does that. A plan that could
// not see everything in time decides nothing: it is printed and ends as UpstreamTimeout.

import type { Command } from 'commander';
import { UpstreamTimeout } from '../../errors/errors.js';
import type { PlanProgress } from '../../retirement/create-plan.js';
import type { Plan } from '../../retirement/plan.js';
import { planReported } from '../../runtime/reported-retirement.js';
import { examples } from '../help.js';
import { planSummary, writePlanReport } from '../output/plan.js';
import { startStatus } from '../output/progress.js';
import { readPolicyFile } from '../policy-file.js';
import { cliIdentity, type Session } from '../session.js';
import { DEFAULT_DIR, DIR_VARIABLE, folderOf, localStorage } from '../storage.js';
import { applyArguments, ENDPOINT_FORM } from './arguments.js';
import type { Runner } from './runner.js';

export interface PlanFlags {
  dir?: string;
  endpoint?: string;
}

const stageText = (progress: PlanProgress): string => {
  switch (progress.stage) {
    case 'inventory':
      return `reading the images of ${progress.region}: ${progress.images}`;
    case 'usage':
      return `finding what uses the images of ${progress.region}`;
    default:
      return `deciding for ${progress.images} images`;
  }
};

export const plan = async (
  session: Session,
  policyFile: string,
  flags: PlanFlags,
): Promise<void> => {
  const policy = await readPolicyFile(policyFile);
  session.useEndpoint(policy.provider, flags.endpoint);
  const storage = localStorage(folderOf(flags.dir, session.env));
  const { output } = session;
  const status = startStatus(output, `planning ${policy.name}`);
  let made: Plan;
  try {
    made = await planReported(
      policy,
      session.invocation('plan'),
      'cli',
      { createdBy: cliIdentity(), onProgress: (progress) => status.set(stageText(progress)) },
      storage.plans,
    );
  } finally {
    status.stop();
  }
  const report = storage.reportPath(made.planId);
  await writePlanReport(made, report);
  output.result(made, () => {
    const { out } = output;
    const where = `  plan:   ${storage.planPath(made.planId)}\n  report: ${report}\n`;
    if (!made.complete) return `${planSummary(made, out)}${where}`;
    const next =
      made.totals.retire > 0
        ? `  apply:  ${session.nextCommand(applyArguments(made.planId, flags))}\n`
        : `  ${out.dim('nothing to retire')}\n`;
    return `${planSummary(made, out)}${where}${next}`;
  });
  if (!made.complete) {
    throw new UpstreamTimeout(
      `the plan is incomplete and decides nothing: ${made.incomplete ?? 'not every image was seen'} (allow more time with CLOUD_IMAGES_TIMEOUT_MS)`,
    );
  }
};

export const registerPlan = (program: Command, run: Runner): void => {
  program
    .command('plan')
    .summary('plan a retirement policy (deletes nothing)')
    .description(
      'Plans a retirement policy kept in a JSON or YAML file: for every image of its provider in its regions, what would happen and why. The plan is stored in the local folder with its HTML report; `cloud-images apply` carries it out.',
    )
    .argument('<POLICY_FILE>', 'the policy, JSON or YAML (see docs/policy.schema.json)')
    .option(
      '--dir <dir>',
      `where plans and runs are kept (default: ${DIR_VARIABLE}, or ${DEFAULT_DIR} here)`,
    )
    .option('--endpoint <url>', `the policy's provider at this base URL (${ENDPOINT_FORM})`)
    .addHelpText(
      'after',
      examples([
        [
          'cloud-images plan policies/stale-training-images.yml',
          'The summary, and where the plan and its report are',
        ],
        [
          'cloud-images plan policy.json --json | jq .totals',
          "For scripts: the plan, as the API's plan route answers it",
        ],
      ]),
    )
    .action((policyFile: string, flags: PlanFlags, self: Command) =>
      run((session) => plan(session, policyFile, flags), self),
    );
};
