// The emulator's options from environment variables: `npm run emulator` (main.ts) and `npm start`
// (scripts/start.ts) read the same ones.
//
//   EMULATOR_SEED_MODELARTS_IMAGES       generated ModelArts images added to the demo ones
//   EMULATOR_SEED_MODELARTS_NOTEBOOKS    generated ModelArts notebooks using some of them
//   EMULATOR_SEED_BCC_IMAGES             generated BCC images
//   EMULATOR_SEED_BCC_INSTANCES          generated BCC instances using some of them
//   EMULATOR_SEED_RANDOM                 the generator's seed (default 1)
//   EMULATOR_MODELARTS_OFFSET            `records` (default) or `pages`: how ModelArts lists read offset
//   EMULATOR_RATE_LIMIT_MODELARTS        requests per second per access key, optionally `/burst`
//   EMULATOR_RATE_LIMIT_BCC              (e.g. `5` or `5/10`); unset = no limit

import * as z from 'zod';
import type { RateLimit, SeedSpec } from './options.js';
import type { EmulatorOptions } from './server.js';

type Env = Readonly<Record<string, string | undefined>>;

/** The seed counts when a variable is unset (main.ts: none; npm start: a small inventory). */
export interface SeedDefaults {
  modelartsImages?: number;
  modelartsNotebooks?: number;
  bccImages?: number;
  bccInstances?: number;
}

/** A variable that does not parse; the message names it and what it holds. */
export class EmulatorEnvError extends Error {}

const wholeNumber = (env: Env, name: string, fallback: number): number => {
  const text = env[name];
  if (text === undefined || text === '') return fallback;
  const parsed = z.coerce.number().int().min(0).safeParse(text);
  if (!parsed.success) throw new EmulatorEnvError(`${name} must be a whole number, got ${text}`);
  return parsed.data;
};

const rateLimit = (env: Env, name: string): RateLimit | undefined => {
  const text = env[name];
  if (text === undefined || text === '') return undefined;
  const match = /^(\d+(?:\.\d+)?)(?:\/(\d+))?$/.exec(text);
  if (match === null || Number(match[1]) <= 0) {
    throw new EmulatorEnvError(`${name} must be "perSecond" or "perSecond/burst", got ${text}`);
  }
  return match[2] === undefined
    ? { perSecond: Number(match[1]) }
    : { perSecond: Number(match[1]), burst: Number(match[2]) };
};

/** Seed, offset reading and rate limits from the environment; throws EmulatorEnvError. */
export const emulatorOptionsFromEnv = (
  env: Env,
  defaults: SeedDefaults = {},
): Pick<EmulatorOptions, 'seed' | 'modelartsOffset' | 'rateLimit'> => {
  const seed: SeedSpec = {
    modelarts: {
      images: wholeNumber(env, 'EMULATOR_SEED_MODELARTS_IMAGES', defaults.modelartsImages ?? 0),
      notebooks: wholeNumber(
        env,
        'EMULATOR_SEED_MODELARTS_NOTEBOOKS',
        defaults.modelartsNotebooks ?? 0,
      ),
    },
    bcc: {
      images: wholeNumber(env, 'EMULATOR_SEED_BCC_IMAGES', defaults.bccImages ?? 0),
      instances: wholeNumber(env, 'EMULATOR_SEED_BCC_INSTANCES', defaults.bccInstances ?? 0),
    },
    random: wholeNumber(env, 'EMULATOR_SEED_RANDOM', 1),
  };
  const offset = env.EMULATOR_MODELARTS_OFFSET ?? 'records';
  if (offset !== 'records' && offset !== 'pages') {
    throw new EmulatorEnvError(`EMULATOR_MODELARTS_OFFSET must be records or pages, got ${offset}`);
  }
  const modelarts = rateLimit(env, 'EMULATOR_RATE_LIMIT_MODELARTS');
  const bcc = rateLimit(env, 'EMULATOR_RATE_LIMIT_BCC');
  return {
    seed,
    modelartsOffset: offset,
    rateLimit: {
      ...(modelarts === undefined ? {} : { modelarts }),
      ...(bcc === undefined ? {} : { bcc }),
    },
  };
};
