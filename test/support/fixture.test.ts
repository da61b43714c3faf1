// The fixture every suite stands on: what it gives a suite and each test, and that it puts back
// everything it changed (the variables it set, the log sink, the emulator) once the suite is over.

import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { SEEDED } from '../../emulator/demo.js';
import { createLogger, type LogSink, setLogSink } from '../../lib/log/log.js';
import { useFixture } from './fixture.js';

const SUITE_VARIABLE = 'CIF_FIXTURE_SUITE';
const TEST_VARIABLE = 'CIF_FIXTURE_TEST';
const PRESET_VARIABLE = 'CIF_FIXTURE_PRESET';

/** The log sink installed right now. */
const currentSink = (): LogSink => {
  const current = setLogSink(() => undefined);
  setLogSink(current);
  return current;
};

let environmentBefore: Record<string, string | undefined>;
let sinkBefore: LogSink;
let emulatorUrl = '';

beforeAll(() => {
  vi.stubEnv(PRESET_VARIABLE, 'before');
  environmentBefore = { ...process.env };
  sinkBefore = currentSink();
});

afterAll(() => {
  vi.unstubAllEnvs();
});

describe('a suite with the fixture', () => {
  const fixture = useFixture({ env: { [SUITE_VARIABLE]: 'suite', [PRESET_VARIABLE]: 'changed' } });

  it('points the functions at its emulator with the demo credentials, then sets the suite variables', async () => {
    emulatorUrl = fixture.url;
    expect(process.env.MODELARTS_ENDPOINT).toBe(fixture.url);
    expect(process.env.BCC_ENDPOINT).toBe(fixture.url);
    expect(process.env[SUITE_VARIABLE]).toBe('suite');
    expect(process.env[PRESET_VARIABLE]).toBe('changed');
    const health = await fetch(`${fixture.url}/_emulator/health`);
    expect(health.status).toBe(200);
  });

  it('keeps what a test sets for that test only (set here)', () => {
    fixture.setEnv({ [TEST_VARIABLE]: 'test', [SUITE_VARIABLE]: undefined });
    expect(process.env[TEST_VARIABLE]).toBe('test');
    expect(SUITE_VARIABLE in process.env).toBe(false);
  });

  it('keeps what a test sets for that test only (gone in the next)', () => {
    expect(TEST_VARIABLE in process.env).toBe(false);
    expect(process.env[SUITE_VARIABLE]).toBe('suite');
  });

  it('captures the log lines, raw and parsed (written here)', () => {
    createLogger('info').info('first', { n: 1 });
    expect(fixture.log.only()).toMatchObject({ level: 'info', message: 'first', n: 1 });
    createLogger('info').warn('second');
    expect(fixture.log.raw).toHaveLength(2);
    expect(fixture.log.linesWhere({ message: 'second' })).toEqual([
      expect.objectContaining({ level: 'warn' }),
    ]);
    expect(fixture.log.count).toBe(2);
    fixture.emulator.faults.inject({ action: { kind: 'status', status: 503 } });
    fixture.emulator.state.bcc.delete(SEEDED.bcc.custom);
  });

  it('starts each test with no log line and the emulator reset (after the test above)', () => {
    expect(fixture.log.raw).toEqual([]);
    expect(fixture.emulator.faults.list()).toEqual([]);
    expect(fixture.emulator.state.bcc.has(SEEDED.bcc.custom)).toBe(true);
  });

  it('loads modules afresh with fresh(): the new module graph logs into the same capture', async () => {
    const fresh = await fixture.fresh(
      { [TEST_VARIABLE]: 'fresh' },
      () => import('../../lib/log/log.js'),
    );
    expect(fresh.setLogSink).not.toBe(setLogSink);
    expect(process.env[TEST_VARIABLE]).toBe('fresh');
    fresh.createLogger('info').info('from the fresh graph');
    expect(fixture.log.only()).toMatchObject({ message: 'from the fresh graph' });
  });
});

describe('a fixture outside its hooks and tests', () => {
  const fixture = useFixture({ emulator: false });
  // Collecting the suite: none of the fixture's hooks has run yet.
  const refusal = (() => {
    try {
      fixture.setEnv({ [TEST_VARIABLE]: 'x' });
    } catch (error) {
      return error;
    }
    return undefined;
  })();

  it('refuses to change the environment; without an emulator it has none to give', () => {
    expect(String(refusal)).toMatch(/hooks and tests of its suite/);
    expect(TEST_VARIABLE in process.env).toBe(false);
    expect(() => fixture.emulator).toThrow(/no emulator/);
  });
});

describe('after a suite with the fixture', () => {
  it('has put back every variable it set and deleted those it added', () => {
    expect({ ...process.env }).toEqual(environmentBefore);
  });

  it('has put back the log sink', () => {
    expect(currentSink()).toBe(sinkBefore);
  });

  it('has closed the emulator', async () => {
    expect(emulatorUrl).not.toBe('');
    await expect(fetch(`${emulatorUrl}/_emulator/health`)).rejects.toThrow();
  });
});
