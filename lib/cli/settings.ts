// The command line's configuration on top of the functions' own (read from the environment by
// lib/config and the providers, unchanged): where the emulator is, which endpoint a provider uses,
// how long a command may take upstream.

import { milliseconds } from '../config/env-values.js';
import { setAsideEventBus } from '../config/retirement-config.js';
import { checkEndpoint, endpointOverride } from '../config/service-config.js';
import type { OperationName } from '../errors/error-table.js';
import { ConfigurationError, InvalidRequest } from '../errors/errors.js';
import { PUBLISH_RESERVE_MS } from '../events/eventbridge-publisher.js';
import { findCloud } from '../providers/registry.js';

type Env = Record<string, string | undefined>;

/** What the entry point knows about the emulator (scripts/local-environment.ts, which lib cannot import). */
export interface EmulatorWiring {
  /** Both providers pointed at the emulator at `url`, with the demo credentials it accepts. */
  environment(url: string): Record<string, string>;
  /** Variables of real credentials only (session tokens), dropped when the emulator is used. */
  realOnlyVariables: readonly string[];
}

export const EMULATOR_VARIABLE = 'CLOUD_IMAGES_EMULATOR';
export const TIMEOUT_VARIABLE = 'CLOUD_IMAGES_TIMEOUT_MS';

const EMULATOR_FLAG = '--emulator';
const EVENT_BUS_VARIABLE = 'EVENT_BUS_NAME';

/** The emulator to use: `--emulator`, else CLOUD_IMAGES_EMULATOR; the name says which, for messages. */
export const emulatorChoice = (
  flag: string | undefined,
  env: Env,
): { url: string; source: string } | undefined => {
  if (flag !== undefined) return { url: flag, source: EMULATOR_FLAG };
  const fromEnv = env[EMULATOR_VARIABLE];
  return fromEnv === undefined || fromEnv === ''
    ? undefined
    : { url: fromEnv, source: EMULATOR_VARIABLE };
};

/**
 * A base URL given on the command line (--endpoint, --emulator), checked by the rule every
 * endpoint override follows: a bad one is the caller's input, InvalidRequest naming the flag (in
 * a variable it is configuration: ConfigurationError, lib/config).
 */
const flagOrigin = (flag: string, url: string): string => {
  const checked = checkEndpoint(url);
  if ('problem' in checked) {
    throw new InvalidRequest(`${flag}: ${checked.problem}`, { field: flag });
  }
  return checked.origin;
};

/**
 * Points every provider at the emulator with its demo credentials, as `npm start` does. The URL is
 * checked by the rule every endpoint override follows (https, or http on loopback; no path).
 */
export const pointAtEmulator = (
  choice: { url: string; source: string },
  env: Env,
  wiring: EmulatorWiring,
): void => {
  const origin =
    choice.source === EMULATOR_FLAG
      ? flagOrigin(EMULATOR_FLAG, choice.url)
      : endpointOverride({ [choice.source]: choice.url }, choice.source);
  if (origin === undefined) return;
  Object.assign(env, wiring.environment(origin));
  const bus = env[EVENT_BUS_VARIABLE];
  if (wiring.realOnlyVariables.includes(EVENT_BUS_VARIABLE) && bus !== undefined && bus !== '') {
    // The log's "events are off" line says why, not that the variable was never set.
    setAsideEventBus(
      `${choice.source} ignores ${EVENT_BUS_VARIABLE} (demo deletes never reach a real event bus)`,
    );
  }
  for (const name of wiring.realOnlyVariables) delete env[name];
};

/** `--endpoint` for a provider: sets that cloud's endpoint variable (MODELARTS_ENDPOINT, BCC_ENDPOINT). */
export const useEndpoint = (provider: string, url: string | undefined, env: Env): void => {
  if (url === undefined) return;
  const cloud = findCloud(provider);
  if (cloud === undefined) return; // inputs are validated first: an unknown provider never gets here
  env[cloud.endpointVariable] = flagOrigin('--endpoint', url);
};

/** Plans and applies walk whole inventories; a show or delete is one or two calls. */
const LONG_OPERATIONS: readonly OperationName[] = ['plan', 'apply', 'list', 'usage'];
const DEFAULT_TIMEOUT_MS = 60_000;
const LONG_TIMEOUT_MS = 15 * 60_000;

/**
 * The least an apply may be given: its events' publish reserve and a second for its work. With
 * less, it would start no send and record every decision failed (DeadlineReached), a run that
 * did nothing: the setting is refused before anything is asked or sent.
 */
export const APPLY_MIN_TIMEOUT_MS = PUBLISH_RESERVE_MS + 1_000;

/** The longest a command may spend upstream: CLOUD_IMAGES_TIMEOUT_MS, or 60 s (15 min for the long ones). */
export const timeoutMsFor = (operation: OperationName, env: Env): number => {
  const fallback = LONG_OPERATIONS.includes(operation) ? LONG_TIMEOUT_MS : DEFAULT_TIMEOUT_MS;
  // Read as the functions' millisecond variables are (lib/config/env-values.ts: digits, spaces
  // around them allowed, unset or blank for the default, at most the longest a timer waits; Number()
  // alone took 0x10, 1e9), refused in the same words.
  const read = milliseconds(fallback).safeParse(env[TIMEOUT_VARIABLE]);
  if (!read.success) {
    throw new ConfigurationError(
      `invalid configuration: ${TIMEOUT_VARIABLE}: ${read.error.issues[0]?.message ?? 'must be a whole number of milliseconds'}`,
    );
  }
  const value = read.data;
  if (operation === 'apply' && value < APPLY_MIN_TIMEOUT_MS) {
    throw new ConfigurationError(
      `invalid configuration: ${TIMEOUT_VARIABLE}: apply needs at least ${APPLY_MIN_TIMEOUT_MS} ms (${PUBLISH_RESERVE_MS} of them are kept for publishing its events)`,
    );
  }
  return value;
};
