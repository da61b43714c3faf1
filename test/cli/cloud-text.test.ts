// Text a cloud chose (image IDs, names, the keys and values of its record) reaches a person's
// terminal through every command's output. A cloud, or whoever named an image there, must not
// be able to drive that terminal: control characters are shown escaped, never sent as they are.

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_MODELARTS, SEEDED } from '../../emulator/demo.js';
import { exitStatusOfError } from '../../lib/cli/exit-status.js';
import { useFixture } from '../support/fixture.js';
import { type CliRun, cloudImages } from './cli-child.js';

const fixture = useFixture({ demoEnv: false });

const cli = (args: readonly string[], env: Record<string, string> = {}): Promise<CliRun> =>
  cloudImages(['--emulator', fixture.url, ...args], env);

/** Sets the terminal's title, clears the screen, and a one-byte CSI (C1) turning text red. */
const HOSTILE = '\x1b]0;owned\x07\x1b[2J\x9b31m';
/** How a person sees HOSTILE: every control character as a `\x..` escape. */
const SHOWN = '\\x1b]0;owned\\x07\\x1b[2J\\x9b31m';

/** A control character other than the newline that ends each line. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is looked for
const CONTROL = /[\x00-\x09\x0b-\x1f\x7f-\x9f]/;

/** A BCC custom image the cloud lists with a hostile ID and a hostile key in its record. */
const hostileImage = {
  id: `m-hostile01${HOSTILE}`,
  name: 'hostile-old',
  type: 'Custom',
  status: 'Available',
  createTime: '2020-01-01T00:00:00Z',
  [`note${HOSTILE}`]: 'set by whoever made the image',
};

/** The output's line that starts with `start` (undefined when none does). */
const lineStarting = (output: string, start: string): string | undefined =>
  output.split('\n').find((line) => line.startsWith(start));

let work: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'cloud-images-text-'));
});

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe('text from a cloud, for people', () => {
  it('show escapes the keys of the provider record', async () => {
    // Prepare: the record under the ID asked for (the only one a show accepts).
    fixture.emulator.state.bcc.set({ ...hostileImage, id: 'm-hostile01' });

    // Act
    const run = await cli(['show', 'bcc', 'm-hostile01']);

    // Assess
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).not.toMatch(CONTROL);
    expect(lineStarting(run.stdout, `details.note${SHOWN} `)).toMatch(
      / +set by whoever made the image$/,
    );
  });

  it('list escapes the IDs in its table', async () => {
    // Prepare
    fixture.emulator.state.bcc.set(hostileImage);

    // Act
    const run = await cli(['list', 'bcc', '--name', 'hostile-*']);

    // Assess
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).not.toMatch(CONTROL);
    expect(lineStarting(run.stdout, `m-hostile01${SHOWN} `)).toMatch(
      / +hostile-old +custom +available +2020-01-01 00:00$/,
    );
  });

  it('list shows characters that reorder or hide text as escapes', async () => {
    // Prepare: a name that, shown as it is, reads backwards from the override on and reorders the
    // columns after it, with a zero-width space before it.
    fixture.emulator.state.bcc.set({
      ...hostileImage,
      id: 'm-hostile03',
      name: 'hostile-\u200bdemo\u202egnp.old',
    });

    // Act
    const run = await cli(['list', 'bcc', '--name', 'hostile-*']);

    // Assess
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).not.toMatch(/[\u200b\u202e]/);
    expect(lineStarting(run.stdout, 'm-hostile03 ')).toMatch(
      / +hostile-\\u200bdemo\\u202egnp\.old +custom +available +/,
    );
  });

  it('list shows every invisible character as an escape, beyond the BMP too', async () => {
    // Prepare: a name with a word joiner, an Arabic letter mark (a bidirectional mark), a soft
    // hyphen, a line separator and invisible tag characters spelling "hi".
    fixture.emulator.state.bcc.set({
      ...hostileImage,
      id: 'm-hostile04',
      name: 'hostile-\u2060de\u061cmo\u00ad\u2028\u{e0068}\u{e0069}.old',
    });

    // Act
    const run = await cli(['list', 'bcc', '--name', 'hostile-*']);

    // Assess
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).not.toMatch(/[\p{Cf}\u2028]/u);
    expect(lineStarting(run.stdout, 'm-hostile04 ')).toMatch(
      / +hostile-\\u2060de\\u061cmo\\u00ad\\u2028\\u\{e0068\}\\u\{e0069\}\.old +custom +available +/,
    );
  });

  it("a run's table escapes the names; an ID the queue would refuse is never planned", async () => {
    // Prepare: a plan over the hostile-ID image (kept: no delete could name it) and one with a
    // well-formed ID and a hostile name (retired).
    fixture.emulator.state.bcc.set(hostileImage);
    fixture.emulator.state.bcc.set({
      ...hostileImage,
      id: 'm-hostile05',
      name: `hostile-old${HOSTILE}`,
    });
    const policy = join(work, 'policy.json');
    await writeFile(
      policy,
      JSON.stringify({
        name: 'hostile',
        provider: 'bcc',
        regions: ['bj'],
        select: { kind: 'custom', name: 'hostile-*' },
        limits: { maxDeletions: 5, maxPercent: 100 },
      }),
    );
    const dir = join(work, 'plans');
    const plan = await cli(['plan', policy, '--dir', dir, '--json']);
    const { planId, decisions } = plan.json<{
      planId: string;
      decisions: Array<{ image: { id: string }; decision: string; reason: string }>;
    }>();

    const applied = await cli(['apply', planId, '--dir', dir, '--yes']);
    const runId = /\brun (run-[0-9a-f]+)/.exec(applied.stdout)?.[1] ?? '';

    // Act
    const run = await cli(['run', runId, '--dir', dir]);

    // Assess
    expect(applied.code, applied.stderr).toBe(0);
    expect(decisions.find((d) => d.image.id === hostileImage.id)).toMatchObject({
      decision: 'keep',
      reason: 'not-selected',
    });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).not.toMatch(CONTROL);
    const row = lineStarting(run.stdout, 'm-hostile05 ') ?? '';
    expect(row, run.stdout).toMatch(/^m-hostile05 +bj +hostile-old.* +deleted/);
    expect(row).toContain(`hostile-old${SHOWN}`);
  });
});

describe("apply's run table", () => {
  it('names an image whose ID the cloud lists in upper case (outcomes carry the canonical ID)', async () => {
    // Prepare: a custom ModelArts image listed with an upper-case UUID, planned, then renamed so
    // that apply skips it and its row shows the name the plan saw.
    const id = 'ABCDEF01-2345-4678-89AB-CDEF01234567';
    const record = fixture.emulator.state.modelarts.get(SEEDED.modelarts.custom);
    fixture.emulator.state.modelarts.set({ ...record, id, name: 'upper-old' });
    const policy = join(work, 'upper.json');
    await writeFile(
      policy,
      JSON.stringify({
        name: 'upper',
        provider: 'modelarts',
        regions: [DEMO_MODELARTS.region],
        select: { kind: 'custom', name: 'upper-*' },
        limits: { maxDeletions: 1, maxPercent: 100 },
      }),
    );
    const dir = join(work, 'upper-plans');
    const plan = await cli(['plan', policy, '--dir', dir, '--json']);
    const { planId } = plan.json<{ planId: string }>();
    fixture.emulator.state.modelarts.set({ ...record, id, name: 'upper-renamed' });

    // Act
    const run = await cli(['apply', planId, '--dir', dir, '--yes']);

    // Assess
    expect(run.code, run.stderr).toBe(0);
    expect(lineStarting(run.stdout, `${id} `), run.stdout).toMatch(
      new RegExp(` +${DEMO_MODELARTS.region} +upper-old +skipped +`),
    );
  });
});

describe('text from a cloud, for scripts', () => {
  it('--json keeps every string exact, with no control character sent raw (DEL and C1 escaped as JSON allows)', async () => {
    // Prepare: a system image (so that a delete is refused with a message naming it).
    const name = `hostile-system${HOSTILE}\x7f`;
    fixture.emulator.state.bcc.set({ ...hostileImage, id: 'm-hostile02', name, type: 'System' });

    // Act
    const shown = await cli(['show', 'bcc', 'm-hostile02', '--json']);
    const refused = await cli(['delete', 'bcc', 'm-hostile02', '--yes', '--json']);

    // Assess: the result on stdout, the error body on stderr.
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).not.toMatch(CONTROL);
    expect(shown.json<{ image: { name: string } }>().image.name).toBe(name);
    expect(refused.code).toBe(exitStatusOfError('ImageProtected'));
    expect(refused.stderr).not.toMatch(CONTROL);
    expect(refused.errorBody().error.message).toContain(`(${name})`);
  });
});
