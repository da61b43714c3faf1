// Arguments and options several commands share.

import { Argument, type Command } from 'commander';
import { cloudKeys } from '../../providers/registry.js';

export const providerArgument = (): Argument =>
  new Argument('<provider>', `the cloud: ${cloudKeys().join(' or ')}`);

/** What --endpoint takes (a bad one is InvalidRequest naming it; in the variables, ConfigurationError). */
export const ENDPOINT_FORM = 'https://host[:port]; http:// only on loopback; no path';

/** --region and --endpoint, for commands that talk to one provider. */
export const regionOptions = (command: Command): Command =>
  command
    .option('--region <region>', "the region (default: the provider's configured region)")
    .option(
      '--endpoint <url>',
      `the provider's base URL instead of MODELARTS_ENDPOINT / BCC_ENDPOINT (${ENDPOINT_FORM})`,
    );
