// cloud-images show PROVIDER IMAGE_ID [--region R] [--endpoint URL]: the HTTP API's
// GET /images/{provider}/{imageId}, through the same operation (lib/images/show-image.ts).

import type { Command } from 'commander';
import { showImage } from '../../images/show-image.js';
import { parseInput, showInputSchema } from '../../validation/inputs.js';
import { examples } from '../help.js';
import { imageRecord } from '../output/image.js';
import type { Session } from '../session.js';
import { COMMAND_LINE_NAMES, providerArgument, regionOptions } from './arguments.js';
import type { Runner } from './runner.js';

export interface ShowFlags {
  region?: string;
  endpoint?: string;
}

export const show = async (
  session: Session,
  provider: string,
  imageId: string,
  flags: ShowFlags,
): Promise<void> => {
  const input = parseInput(
    showInputSchema(),
    { provider, imageId, region: flags.region },
    COMMAND_LINE_NAMES,
  );
  session.useEndpoint(input.provider, flags.endpoint);
  const image = await showImage(input, session.invocation('show'));
  session.output.result({ image }, () => imageRecord(image, session.output.out));
};

export const registerShow = (program: Command, run: Runner): void => {
  const command = program
    .command('show')
    .summary('show one image')
    .description('Shows one image: its status, kind, dates and the provider record.')
    .addArgument(providerArgument())
    .argument('<IMAGE_ID>', 'the image ID (ModelArts: a UUID; BCC: m-...)');
  regionOptions(command)
    .addHelpText(
      'after',
      examples([
        [
          'cloud-images show modelarts 278e88d1-5b71-4766-8502-b3ba72e824d9',
          'One image, for people',
        ],
        [
          'cloud-images show bcc m-custom01 --region gz --json',
          'The HTTP API\'s body {"image": ...}, for scripts',
        ],
        [
          'cloud-images show bcc m-custom01 --emulator http://127.0.0.1:4010',
          'Against the emulator of `EMULATOR_PORT=4010 npm start`',
        ],
      ]),
    )
    .action((provider: string, imageId: string, flags: ShowFlags, self: Command) =>
      run((session) => show(session, provider, imageId, flags), self),
    );
};
