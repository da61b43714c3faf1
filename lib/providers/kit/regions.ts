// Choosing where a call goes: the operator's endpoint override (any well-formed region then), or
// the cloud's known endpoint table. A request can never make the service call a host the operator
// did not configure, and a region the credentials are not set up for is the caller's mistake.

import { ConfigurationError, InvalidRequest } from '../../errors/errors.js';

/**
 * The base URL for a region; an unknown region is InvalidRequest, reported before any call, on
 * `field`: the caller's name for it (a request's `region`, a policy's `regions`).
 */
export const originFor = (
  key: string,
  region: string,
  table: Readonly<Record<string, string>>,
  override: string | undefined,
  field = 'region',
): string => {
  if (override !== undefined) return override;
  // Own entries only: `constructor` is a well-formed region name, and no endpoint.
  const origin = Object.hasOwn(table, region) ? table[region] : undefined;
  if (origin === undefined) {
    throw new InvalidRequest(
      `${field}: '${region}' is not a known ${key} region (known: ${Object.keys(table).join(', ')})`,
      { field },
    );
  }
  return origin;
};

/** A region the credentials have no setup for (a ModelArts project): the caller chose it. */
export const assertConfiguredRegion = (
  key: string,
  region: string,
  configured: readonly string[] | undefined,
  field = 'region',
): void => {
  if (configured === undefined || configured.includes(region)) return;
  throw new InvalidRequest(
    `${field}: '${region}' is not configured for ${key} (configured: ${configured.join(', ')})`,
    { field },
  );
};

/**
 * The default region must itself be usable: a bad default is the operator's, not the caller's. It
 * comes from the deployment's configuration (the credentials secret, or a variable): the caller's
 * message names what is wrong and the regions that would do, never the value (the log line has it).
 */
export const assertUsableDefault = (
  key: string,
  region: string,
  table: Readonly<Record<string, string>>,
  override: string | undefined,
): void => {
  if (override === undefined && !Object.hasOwn(table, region)) {
    throw new ConfigurationError(
      `the default ${key} region (the secret's defaultRegion, or the region variable without a secret) is not a known ${key} region (known: ${Object.keys(table).join(', ')}) and no endpoint override is set`,
      { logDetail: `default ${key} region ${region}` },
    );
  }
};
