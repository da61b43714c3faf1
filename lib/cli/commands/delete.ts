// cloud-images delete PROVIDER IMAGE_ID [--region R] [--force] [--dry-run] [--yes]: the HTTP API's
// DELETE /images/{provider}/{imageId}, through the same operation (lib/images/delete-image.ts)
// with the same safety rules, and a person's confirmation first. On a terminal without --yes it
// runs the checks (a dry run), shows the image and asks; from a script it refuses unless --yes,
// so that nothing is ever deleted unprompted by accident. As over HTTP, an image that is not
// there is ImageNotFound.

import type { Command } from 'commander';
import { ImageNotFound } from '../../errors/errors.js';
import { deleteImage } from '../../images/delete-image.js';
import type { DeleteResult } from '../../images/image.js';
import { deleteReported } from '../../runtime/reported-delete.js';
import { deleteInputSchema, parseInput } from '../../validation/inputs.js';
import { Cancelled, UsageError } from '../cli-errors.js';
import { examples } from '../help.js';
import { imageLabel, imageRecord, statusText } from '../output/image.js';
import { startProgress } from '../output/progress.js';
import { cliIdentity, type Session } from '../session.js';
import { COMMAND_LINE_NAMES, providerArgument, regionOptions } from './arguments.js';
import type { Runner } from './runner.js';

export interface DeleteFlags {
  region?: string;
  endpoint?: string;
  force?: boolean;
  dryRun?: boolean;
  yes?: boolean;
}

type Shown = Required<Pick<DeleteResult, 'image'>> & DeleteResult;

/** As the HTTP handler answers: a missing image is a 404 there, ImageNotFound here. */
const present = (result: DeleteResult, provider: string, imageId: string): Shown => {
  if (result.outcome === 'already-absent' || result.image === undefined) {
    throw new ImageNotFound(`${provider} image ${imageId} does not exist`);
  }
  return result as Shown;
};

const humanResult = (result: Shown, session: Session): string => {
  const { out } = session.output;
  const label = imageLabel(result.image);
  if (result.outcome === 'dry-run') {
    return `${imageRecord(result.image, out)}${out.cyan('dry run:')} ${label} would be deleted; nothing was deleted.\n`;
  }
  return `${out.green('deleted')} ${label}\n`;
};

export const remove = async (
  session: Session,
  provider: string,
  imageId: string,
  flags: DeleteFlags,
): Promise<void> => {
  const input = parseInput(
    deleteInputSchema(),
    {
      provider,
      imageId,
      region: flags.region,
      force: flags.force === true ? true : undefined,
      dryRun: flags.dryRun === true ? true : undefined,
    },
    COMMAND_LINE_NAMES,
  );
  session.useEndpoint(input.provider, flags.endpoint);
  const { output } = session;

  if (input.dryRun !== true && flags.yes !== true) {
    if (!output.interactive) {
      throw new UsageError(
        'delete asks for confirmation and this is not a terminal: pass --yes to delete from a script (or --dry-run to check only)',
      );
    }
    // Every check first (a dry run), so that a person is never asked about an image that could
    // not be deleted anyway, and sees what they are about to delete.
    const checked = present(
      await deleteImage({ ...input, dryRun: true }, session.invocation('delete')),
      input.provider,
      input.imageId,
    );
    const { err } = output;
    const image = checked.image;
    output.streams.stderr.write(
      `${err.bold(imageLabel(image))}\n  kind ${image.kind}, status ${statusText(image.status, err)}, region ${image.region}${checked.usage?.inUse === false ? ', not in use' : ''}${input.force === true ? `, ${err.yellow('with --force: its SWR content too')}` : ''}\n`,
    );
    const yes = await session.confirm(`Delete ${input.provider} image ${image.id}?`);
    if (!yes) throw new Cancelled(`nothing was deleted (${imageLabel(image)})`);
  }

  // A fresh invocation: the time a person took to answer is not the delete's.
  const invocation = session.invocation('delete');
  const progress = startProgress(
    session.output,
    input.dryRun === true ? 'checking' : 'deleting',
    1,
  );
  let result: Shown;
  try {
    // Reported as every trigger's delete is: its outcome event, where the configuration sends events.
    const deleted = await deleteReported(input, invocation, {
      trigger: 'cli',
      requestId: session.requestId,
      identity: cliIdentity(),
    });
    result = present(deleted, input.provider, input.imageId);
    progress.update(1);
  } finally {
    progress.stop();
  }
  output.result(result, () => humanResult(result, session));
};

export const registerDelete = (program: Command, run: Runner): void => {
  const command = program
    .command('delete')
    .summary('delete one image (asks first)')
    .description(
      'Deletes one image, with the safety rules of the API: system, shared, operator-protected and unknown kinds are refused, and so are images still being created. On a terminal it shows the image and asks first; from a script it needs --yes.',
    )
    .addArgument(providerArgument())
    .argument('<IMAGE_ID>', 'the image ID (ModelArts: a UUID; BCC: m-...)');
  regionOptions(command)
    .option('--dry-run', 'run every check and delete nothing')
    .option('--force', 'ModelArts only: also delete the image content in SWR')
    .option('-y, --yes', 'do not ask (needed when not on a terminal)')
    .addHelpText(
      'after',
      examples([
        [
          'cloud-images delete bcc m-custom01 --dry-run',
          'Would it be deleted? Exit status 0, or the reason',
        ],
        ['cloud-images delete bcc m-custom01', 'Shows the image, asks, deletes'],
        [
          'cloud-images delete modelarts c9ab2b2f-edda-4556-bdbb-494e868d043c --yes --json',
          "From a script (no question): the HTTP API's body",
        ],
      ]),
    )
    .action((provider: string, imageId: string, flags: DeleteFlags, self: Command) =>
      run((session) => remove(session, provider, imageId, flags), self),
    );
};
