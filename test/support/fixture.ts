// The one test fixture: called at file or describe level, it registers vitest hooks that give the
// suite a started emulator, the functions pointed at it with the demo credentials, a captured log
// sink, a clean emulator and log before each test, and, afterwards, everything put back as it was:
// every process.env variable it set (restored exactly, or deleted if it was unset), every log sink
// it installed, the emulator closed.
//
//   const fixture = useFixture({ env: { UPSTREAM_RETRY_BASE_MS: '5' } });
//   it('...', async () => { fixture.emulator.faults.inject(...); ... fixture.log.only() ... });
//
// Changes made in a test (or a beforeEach) last until the end of that test; changes made in a
// beforeAll last until the end of the suite that called useFixture.

import { afterAll, afterEach, beforeAll, beforeEach, vi } from 'vitest';
import {
  type EmulatorOptions,
  type RunningEmulator,
  startEmulator,
} from '../../emulator/server.js';
import { setLogSink } from '../../lib/log/log.js';
import { emulatorEnvironment } from '../../scripts/local-environment.js';
import { type TestClock, testClock } from './clock.js';
import { createLogCapture, type LogCapture } from './log-capture.js';
import { type Moto, type StartMotoOptions, startMoto } from './moto.js';

/** Variables to set; `undefined` unsets one. */
export type EnvVars = Record<string, string | undefined>;

export interface FixtureOptions {
  /** startEmulator's options (seed, offset mode, rate limits, ...); false: no emulator. */
  emulator?: EmulatorOptions | false;
  /** The emulator runs on a hand-set clock starting here, set back to it before each test. */
  clock?: string;
  /** Point the functions at the emulator with the demo credentials (default: with an emulator). */
  demoEnv?: boolean;
  /** More variables for the whole suite, set after the demo environment. */
  env?: EnvVars;
  /** `count` keeps no lines, only their number (for runs that measure the heap). */
  logs?: 'capture' | 'count';
  /**
   * Also start moto_server (AWS APIs on loopback) for the suite: `fixture.moto`. Options go to
   * startMoto: `{ serialized: true }` for suites whose concurrent writers meet in DynamoDB.
   */
  moto?: boolean | StartMotoOptions;
}

export interface Fixture {
  /** The running emulator (fails outside the suite's hooks and tests, or with `emulator: false`). */
  readonly emulator: RunningEmulator;
  /** The emulator's URL. */
  readonly url: string;
  /** The emulator's clock (only with the `clock` option). */
  readonly clock: TestClock;
  /** moto_server (only with the `moto` option). */
  readonly moto: Moto;
  /** Every line the functions logged in this test (or, in a beforeAll, so far). */
  readonly log: LogCapture;
  /** Sets variables for the rest of the current test, or (in a beforeAll) of the suite. */
  setEnv(vars: EnvVars): void;
  /**
   * Loads modules as a new process (a Lambda sandbox) would: sets `env`, clears vitest's module
   * registry, installs the log capture in the new module graph and returns what `load` imports.
   * For suites that need the configuration, providers or HTTP agent built from another environment.
   */
  fresh<T>(env: EnvVars, load: () => Promise<T>): Promise<T>;
}

type Undo = () => void | Promise<void>;

const assign = (name: string, value: string | undefined): void => {
  if (value === undefined) delete process.env[name];
  else process.env[name] = value;
};

export const useFixture = (options: FixtureOptions = {}): Fixture => {
  const withEmulator = options.emulator !== false;
  const emulatorOptions = options.emulator === false ? {} : (options.emulator ?? {});
  const clock = options.clock === undefined ? undefined : testClock(options.clock);
  const log = createLogCapture(options.logs);
  let emulator: RunningEmulator | undefined;
  let moto: Moto | undefined;
  /** What to undo at the end of the suite, then (on top) at the end of the current test. */
  const scopes: Undo[][] = [];

  const scope = (): Undo[] => {
    const current = scopes.at(-1);
    if (current === undefined) {
      throw new Error('the fixture changes things only in the hooks and tests of its suite');
    }
    return current;
  };

  const unwind = async (undos: Undo[] | undefined): Promise<void> => {
    for (const undo of (undos ?? []).reverse()) await undo();
  };

  const setEnv = (vars: EnvVars): void => {
    const undos = scope();
    for (const [name, value] of Object.entries(vars)) {
      const previous = process.env[name];
      undos.push(() => assign(name, previous));
      assign(name, value);
    }
  };

  const installSink = (install: typeof setLogSink): void => {
    const previous = install(log.sink);
    scope().push(() => {
      install(previous);
    });
  };

  beforeAll(async () => {
    scopes.push([]);
    installSink(setLogSink);
    const undos = scope();
    // Started side by side; whatever did start is stopped again at the end, even if the other failed.
    const [startedEmulator, startedMoto] = await Promise.allSettled([
      withEmulator
        ? startEmulator({ ...(clock === undefined ? {} : { now: clock.now }), ...emulatorOptions })
        : undefined,
      options.moto === undefined || options.moto === false
        ? undefined
        : startMoto(options.moto === true ? {} : options.moto),
    ]);
    if (startedEmulator.status === 'fulfilled' && startedEmulator.value !== undefined) {
      const running = startedEmulator.value;
      emulator = running;
      undos.push(() => running.close());
    }
    if (startedMoto.status === 'fulfilled' && startedMoto.value !== undefined) {
      const running = startedMoto.value;
      moto = running;
      undos.push(() => running.stop());
    }
    for (const result of [startedEmulator, startedMoto]) {
      if (result.status === 'rejected') throw result.reason;
    }
    if (withEmulator && options.demoEnv !== false) setEnv(emulatorEnvironment(started().url));
    setEnv(options.env ?? {});
  });

  beforeEach(() => {
    scopes.push([]);
    if (options.clock !== undefined) clock?.set(options.clock);
    emulator?.reset();
    log.clear();
  });

  afterEach(() => unwind(scopes.pop()));

  afterAll(async () => {
    await unwind(scopes.pop());
    emulator = undefined;
    moto = undefined;
  });

  const started = (): RunningEmulator => {
    if (emulator === undefined)
      throw new Error('no emulator: outside the suite, or emulator: false');
    return emulator;
  };

  return {
    get emulator() {
      return started();
    },
    get url() {
      return started().url;
    },
    get moto() {
      if (moto === undefined) throw new Error('no moto: pass useFixture({ moto: true })');
      return moto;
    },
    get clock() {
      if (clock === undefined) throw new Error('no clock: pass useFixture({ clock: <ISO time> })');
      return clock;
    },
    log,
    setEnv,
    fresh: async (env, load) => {
      setEnv(env);
      vi.resetModules();
      const freshLog = await import('../../lib/log/log.js');
      installSink(freshLog.setLogSink);
      return load();
    },
  };
};
