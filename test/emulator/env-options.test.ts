// The emulator's environment variables (npm run emulator, npm start): what each sets, the defaults
// a caller gives, and a clear message naming a variable that does not parse.

import { describe, expect, it } from 'vitest';
import { EmulatorEnvError, emulatorOptionsFromEnv } from '../../emulator/env-options.js';

describe('emulator options from the environment', () => {
  it('reads the seed counts, the offset reading and the rate limits', () => {
    const options = emulatorOptionsFromEnv({
      EMULATOR_SEED_MODELARTS_IMAGES: '12',
      EMULATOR_SEED_MODELARTS_NOTEBOOKS: '3',
      EMULATOR_SEED_BCC_IMAGES: '20',
      EMULATOR_SEED_BCC_INSTANCES: '4',
      EMULATOR_SEED_RANDOM: '9',
      EMULATOR_MODELARTS_OFFSET: 'pages',
      EMULATOR_RATE_LIMIT_MODELARTS: '5',
      EMULATOR_RATE_LIMIT_BCC: '2.5/10',
    });
    expect(options).toEqual({
      seed: {
        modelarts: { images: 12, notebooks: 3 },
        bcc: { images: 20, instances: 4 },
        random: 9,
      },
      modelartsOffset: 'pages',
      rateLimit: { modelarts: { perSecond: 5 }, bcc: { perSecond: 2.5, burst: 10 } },
    });
  });

  it("uses the caller's seed defaults for unset variables, and a variable over a default", () => {
    const options = emulatorOptionsFromEnv(
      { EMULATOR_SEED_BCC_IMAGES: '0' },
      { modelartsImages: 40, modelartsNotebooks: 5, bccImages: 40, bccInstances: 6 },
    );
    expect(options.seed).toEqual({
      modelarts: { images: 40, notebooks: 5 },
      bcc: { images: 0, instances: 6 },
      random: 1,
    });
    expect(options.modelartsOffset).toBe('records');
    expect(options.rateLimit).toEqual({});
  });

  it.each([
    ['EMULATOR_SEED_BCC_IMAGES', '-1', 'EMULATOR_SEED_BCC_IMAGES must be a whole number, got -1'],
    ['EMULATOR_SEED_RANDOM', 'x', 'EMULATOR_SEED_RANDOM must be a whole number, got x'],
    ['EMULATOR_MODELARTS_OFFSET', 'rows', 'EMULATOR_MODELARTS_OFFSET must be records or pages'],
    ['EMULATOR_RATE_LIMIT_BCC', '0', 'EMULATOR_RATE_LIMIT_BCC must be "perSecond"'],
    ['EMULATOR_RATE_LIMIT_MODELARTS', '5/x', 'EMULATOR_RATE_LIMIT_MODELARTS must be "perSecond"'],
  ])('%s=%s is refused, naming the variable', (name, value, message) => {
    expect(() => emulatorOptionsFromEnv({ [name]: value })).toThrow(EmulatorEnvError);
    expect(() => emulatorOptionsFromEnv({ [name]: value })).toThrow(message);
  });
});
