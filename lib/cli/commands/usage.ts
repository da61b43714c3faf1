// cloud-images usage PROVIDER IMAGE_ID [--region R]: what uses an image (ModelArts notebooks, BCC
// instances), through the operation the API's usage route calls (lib/images/image-usage.ts). A
// scan that ran out of time is printed as far as it got and ends as UpstreamTimeout: it never
// reads as "not in use".

import type { Command } from 'commander';
import { UpstreamTimeout } from '../../errors/errors.js';
import { imageUsage, type UsageResult } from '../../images/image-usage.js';
import { parseInput, usageInputSchema } from '../../validation/inputs.js';
import { examples } from '../help.js';
import { printable } from '../output/printable.js';
import { startActivity } from '../output/progress.js';
import { columns } from '../output/table.js';
import type { Session } from '../session.js';
import { COMMAND_LINE_NAMES, providerArgument, regionOptions } from './arguments.js';
import type { Runner } from './runner.js';

export interface UsageFlags {
  region?: string;
  endpoint?: string;
}

const humanUsage = (result: UsageResult, label: string, session: Session): string => {
  const { out } = session.output;
  if (result.references.length === 0) {
    return result.complete
      ? `${out.green('not in use')}: no notebook or instance uses ${label}\n`
      : `${out.yellow('none found so far')} (the scan did not finish)\n`;
  }
  const heading = `${out.yellow('in use')}: ${label} is used by ${result.references.length}${result.complete ? '' : ' (at least: the scan did not finish)'}\n`;
  return `${heading}${columns(
    ['TYPE', 'ID', 'NAME', 'STATUS'].map((title) => out.bold(title)),
    result.references.map((reference) => [
      reference.type,
      printable(reference.id),
      printable(reference.name),
      printable(reference.status),
    ]),
  )}`;
};

export const usage = async (
  session: Session,
  provider: string,
  imageId: string,
  flags: UsageFlags,
): Promise<void> => {
  const input = parseInput(
    usageInputSchema(),
    { provider, imageId, region: flags.region },
    COMMAND_LINE_NAMES,
  );
  session.useEndpoint(input.provider, flags.endpoint);
  const activity = startActivity(session.output, `scanning what uses ${input.imageId}`);
  let result: UsageResult;
  try {
    result = await imageUsage(input, session.invocation('usage'));
  } finally {
    activity.stop();
  }
  const label = `${input.provider} image ${input.imageId}`;
  session.output.result(result, () => humanUsage(result, label, session));
  if (!result.complete) {
    throw new UpstreamTimeout(
      `the usage scan of ${label} stopped before the end; what it did not read may use the image (allow more time with CLOUD_IMAGES_TIMEOUT_MS)`,
    );
  }
};

export const registerUsage = (program: Command, run: Runner): void => {
  const command = program
    .command('usage')
    .summary('what uses one image')
    .description(
      'Lists what uses one image: ModelArts notebooks, BCC instances (found by scanning their lists; an image in use is never deleted).',
    )
    .addArgument(providerArgument())
    .argument('<IMAGE_ID>', 'the image ID (ModelArts: a UUID; BCC: m-...)');
  regionOptions(command)
    .addHelpText(
      'after',
      examples([
        ['cloud-images usage bcc m-custom01', 'What uses it, as a table'],
        [
          'cloud-images usage modelarts c9ab2b2f-edda-4556-bdbb-494e868d043c --json | jq .inUse',
          "For scripts: the HTTP API's usage body",
        ],
      ]),
    )
    .action((provider: string, imageId: string, flags: UsageFlags, self: Command) =>
      run((session) => usage(session, provider, imageId, flags), self),
    );
};
