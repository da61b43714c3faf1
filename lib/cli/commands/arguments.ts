// Arguments and options several commands share.

import { Argument, type Command } from 'commander';
import { cloudKeys } from '../../providers/registry.js';

export const providerArgument = (): Argument =>
  new Argument('<provider>', `the cloud: ${cloudKeys().join(' or ')}`);

/** --region and --endpoint, for commands that talk to one provider. */
export const regionOptions = (command: Command): Command =>
  command
    .option('--region <region>', "the region (default: the provider's configured region)")
    .option(
      '--endpoint <url>',
      "the provider's base URL instead of MODELARTS_ENDPOINT / BCC_ENDPOINT (https://host[:port])",
    );
