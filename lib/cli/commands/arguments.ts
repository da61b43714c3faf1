// Arguments and options several commands share, and how a flag given twice is read.

import { Argument, type Command } from 'commander';
import { cloudKeys } from '../../providers/registry.js';
import { UsageError } from '../cli-errors.js';

export const providerArgument = (): Argument =>
  new Argument('<PROVIDER>', `the cloud: ${cloudKeys().join(' or ')}`);

/**
 * The input's fields as the command line calls them: a refusal names the flag or argument the
 * person typed (`--created-before: must be ...`, `IMAGE_ID: must be ...`), not the API's field
 * (lib/schema/issues.ts `fields`). Every field the image commands put in their input is here.
 */
export const COMMAND_LINE_NAMES: Readonly<Record<string, string>> = {
  provider: 'PROVIDER',
  imageId: 'IMAGE_ID',
  region: '--region',
  force: '--force',
  dryRun: '--dry-run',
  kind: '--kind',
  status: '--status',
  name: '--name',
  createdBefore: '--created-before',
  createdAfter: '--created-after',
  limit: '--limit',
  cursor: '--cursor',
};

/** What --endpoint takes (a bad one is InvalidRequest naming it; in the variables, ConfigurationError). */
export const ENDPOINT_FORM = 'https://host[:port]; http:// only on loopback; no path';

/**
 * The arguments of `apply` that find a plan and reach its provider as a command with these flags
 * did (what plan prints next), and with `resume` go on with that run of it (what an apply cut
 * short and `run` print).
 */
export const applyArguments = (
  planId: string,
  flags: { dir?: string | undefined; endpoint?: string | undefined; resume?: string | undefined },
): string[] => [
  'apply',
  planId,
  ...(flags.resume === undefined ? [] : ['--resume', flags.resume]),
  ...(flags.dir === undefined ? [] : ['--dir', flags.dir]),
  ...(flags.endpoint === undefined ? [] : ['--endpoint', flags.endpoint]),
];

/** --region and --endpoint, for commands that talk to one provider. */
export const regionOptions = (command: Command): Command =>
  command
    .option('--region <region>', "the region (default: the provider's configured region)")
    .option(
      '--endpoint <url>',
      `the provider's base URL instead of MODELARTS_ENDPOINT / BCC_ENDPOINT (${ENDPOINT_FORM})`,
    );

/**
 * A flag that takes a list (`--status`): given again, its values add to the list, as the API reads
 * a query parameter given twice (API Gateway joins the values with commas): `--status failed
 * --status error` is `--status failed,error`.
 */
export const addToList = (value: string, previous: string | undefined): string =>
  previous === undefined ? value : `${previous},${value}`;

/**
 * Every other flag that takes a value, the global ones included, takes one: given twice it is a
 * bad command line naming the flag (commander would keep the last value, and `--region bj
 * --region gz` would act on gz without a word). Called once every command is registered, so that
 * none is left out; a flag without a value (`--json`, `--yes`) may be given twice.
 */
export const refuseRepeatedFlags = (program: Command): void => {
  for (const command of [program, ...program.commands]) {
    const help =
      command === program ? 'cloud-images --help' : `cloud-images ${command.name()} --help`;
    for (const option of command.options) {
      // Only flags that take a value: not --json, nor a negation (--no-color, default true).
      if (!(option.required || option.optional) || option.parseArg !== undefined) continue;
      const flag = option.long ?? option.flags;
      option.argParser((value: string, previous: string | undefined) => {
        if (previous !== undefined) {
          throw new UsageError(`${flag} is given more than once; it takes one value (see ${help})`);
        }
        return value;
      });
    }
  }
};
