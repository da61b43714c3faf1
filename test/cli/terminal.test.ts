// `cloud-images` on a real terminal: each run in a tmux pane (a pseudo-terminal) on a tmux server
// of this test's own, against the fixture.emulator. A person answers the delete prompt through send-keys;
// what they see is read back with capture-pane: the image they are asked about, the question, the
// progress bar while the delete runs, the result, colour.

import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SEEDED } from '../../emulator/demo.js';
import { useFixture } from '../support/fixture.js';
import { bareEnv, cloudImages, launcher, root } from './cli-child.js';

const fixture = useFixture({ demoEnv: false });

const run = promisify(execFile);
/** The tmux server's socket, in a folder of this test's own. */
let socketDir: string;
let sessions = 0;

const tmux = async (...args: string[]): Promise<string> =>
  (
    await run('tmux', ['-S', join(socketDir, 'tmux.sock'), '-f', '/dev/null', ...args], {
      cwd: root,
      env: bareEnv(),
    })
  ).stdout;

const quote = (value: string): string => `'${value.replaceAll("'", `'\\''`)}'`;

/**
 * Starts `cloud-images <args>` in a new 120x30 pane; the pane stays after it exits and shows
 * `EXIT:<status>`. Returns the session's name.
 */
const startInTerminal = async (
  args: readonly string[],
  env: Record<string, string> = {},
): Promise<string> => {
  sessions += 1;
  const name = `s${sessions}`;
  const assignments = Object.entries(env).map(([key, value]) => `${key}=${quote(value)}`);
  const command = [
    'env',
    ...assignments,
    quote(process.execPath),
    quote(launcher),
    '--emulator',
    quote(fixture.url),
    ...args.map(quote),
  ].join(' ');
  await tmux(
    'new-session',
    '-d',
    '-s',
    name,
    '-x',
    '120',
    '-y',
    '30',
    // The pane's shell traps Ctrl-C (its command does not inherit the trap) so that it outlives
    // one and says how the command ended.
    `trap : INT; ${command}; echo "EXIT:$?"; sleep 600`,
  );
  return name;
};

/** What the pane shows now (with -e: colours as escape sequences). */
const screen = (session: string, escapes = false): Promise<string> =>
  tmux('capture-pane', '-p', ...(escapes ? ['-e'] : []), '-t', session);

/** Polls the pane until `pattern` shows, within `timeoutMs`; resolves with the screen. */
const waitForScreen = async (
  session: string,
  pattern: RegExp,
  timeoutMs = 20_000,
  escapes = false,
): Promise<string> => {
  const deadline = Date.now() + timeoutMs;
  let shown = '';
  while (Date.now() < deadline) {
    shown = await screen(session, escapes);
    if (pattern.test(shown)) return shown;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`the terminal never showed ${pattern}; it shows:\n${shown}`);
};

const deletesSent = (): number =>
  fixture.emulator.requests.filter((request) => request.method === 'DELETE').length;

beforeAll(async () => {
  socketDir = await mkdtemp(join(tmpdir(), 'cloud-images-tmux-'));
});

afterAll(async () => {
  // Only the server this test started, on its own socket.
  if (socketDir) {
    await tmux('kill-server').catch(() => undefined);
    await rm(socketDir, { recursive: true, force: true });
  }
});

describe('delete on a terminal', () => {
  it('shows the image, asks, and on "y" deletes with a progress bar, then says what it deleted', async () => {
    // The delete takes a moment, so the bar is seen before it completes.
    fixture.emulator.faults.inject({
      match: { provider: 'bcc', operation: 'delete' },
      action: { kind: 'latency', ms: 1_500 },
    });
    const session = await startInTerminal(['delete', 'bcc', SEEDED.bcc.custom]);

    const asked = await waitForScreen(session, /Delete bcc image m-custom01\?/);
    expect(asked).toContain('bcc image m-custom01 (my-custom-ubuntu)');
    expect(asked).toMatch(/kind custom, status available, region bj, not in use/);
    expect(asked).toMatch(/\(y\/N\)/);
    expect(deletesSent()).toBe(0);

    await tmux('send-keys', '-t', session, 'y', 'Enter');

    const during = await waitForScreen(session, /deleting .* 0\/1/);
    expect(during).not.toContain('EXIT:');
    const after = await waitForScreen(session, /EXIT:\d+/);
    expect(after).toMatch(/deleting .* 1\/1/);
    expect(after).toMatch(/^deleted bcc image m-custom01 \(my-custom-ubuntu\)$/m);
    expect(after).toContain('EXIT:0');
    expect(fixture.emulator.state.bcc.has(SEEDED.bcc.custom)).toBe(false);
  });

  it('on "n" deletes nothing and ends with the cancelled status', async () => {
    const session = await startInTerminal(['delete', 'modelarts', SEEDED.modelarts.custom]);
    await waitForScreen(session, /Delete modelarts image .*\?/);

    await tmux('send-keys', '-t', session, 'n', 'Enter');

    const after = await waitForScreen(session, /EXIT:\d+/);
    expect(after).toMatch(/Cancelled: nothing was deleted/);
    expect(after).toContain('EXIT:3');
    expect(deletesSent()).toBe(0);
    expect(fixture.emulator.state.modelarts.has(SEEDED.modelarts.custom)).toBe(true);
  });

  it('Ctrl-D at the question is no: deletes nothing and ends with the cancelled status', async () => {
    // Prepare
    const session = await startInTerminal(['delete', 'modelarts', SEEDED.modelarts.custom]);
    await waitForScreen(session, /Delete modelarts image .*\?/);

    // Act: the end of input, as Ctrl-D on an empty line gives it.
    await tmux('send-keys', '-t', session, 'C-d');

    // Assess
    const after = await waitForScreen(session, /EXIT:\d+/);
    expect(after).toMatch(/Cancelled: nothing was deleted/);
    expect(after).not.toMatch(/Warning/);
    expect(after).toContain('EXIT:3');
    expect(deletesSent()).toBe(0);
  });

  it('never asks about an image it would refuse: a system image is ImageProtected at once', async () => {
    const session = await startInTerminal(['delete', 'bcc', SEEDED.bcc.system]);

    const after = await waitForScreen(session, /EXIT:\d+/);
    expect(after).not.toMatch(/Delete bcc image/);
    expect(after).toMatch(/ImageProtected: bcc image m-nky7qeom/);
    expect(after).toContain('EXIT:11');
    expect(deletesSent()).toBe(0);
  });
});

describe('list on a terminal', () => {
  it('counts the images listed so far while it pages, then prints the table', async () => {
    fixture.emulator.seed({ bcc: { images: 2_500 } });
    // Each upstream page of 1,000 takes a moment, so the count is seen between pages.
    fixture.emulator.faults.inject({
      match: { provider: 'bcc', operation: 'list-images' },
      times: 3,
      action: { kind: 'latency', ms: 700 },
    });
    const session = await startInTerminal(['list', 'bcc']);

    const during = await waitForScreen(session, /listing bcc images: (1000|2000)/);
    expect(during).not.toContain('EXIT:');
    const after = await waitForScreen(session, /EXIT:\d+/);
    expect(after).toMatch(/^2504 images of bcc in bj$/m);
    expect(after).toContain('EXIT:0');
  });
});

describe('plan on a terminal', () => {
  it('says which stage it is at while it reads the inventory, then prints the summary', async () => {
    fixture.emulator.seed({ bcc: { images: 2_500 }, random: 7 });
    fixture.emulator.faults.inject({
      match: { provider: 'bcc', operation: 'list-images' },
      times: 3,
      action: { kind: 'latency', ms: 700 },
    });
    const policy = join(socketDir, 'plan-policy.json');
    await writeFile(
      policy,
      JSON.stringify({
        name: 'everything-old',
        provider: 'bcc',
        regions: ['bj'],
        select: { olderThanDays: 30 },
        limits: { maxDeletions: 10, maxPercent: 10 },
      }),
    );
    const session = await startInTerminal(['plan', policy, '--dir', join(socketDir, 'plans')]);

    const during = await waitForScreen(session, /reading the images of bj: (1000|2000)/);
    expect(during).not.toContain('EXIT:');
    const after = await waitForScreen(session, /EXIT:\d+/);
    expect(after).toMatch(/^plan plan-[0-9a-f]{24} of policy everything-old \(bcc: bj\)$/m);
    expect(after).toMatch(/^ {2}2504 images: 10 to retire/m);
    expect(after).toContain('EXIT:0');
  });
});

/** A plan of `dir` that retires 4 of 30 BCC images; its ID. */
const planRetiringFour = async (dir: string): Promise<string> => {
  fixture.emulator.seed({ bcc: { images: 30 }, random: 7 });
  const policy = join(socketDir, 'policy.json');
  await writeFile(
    policy,
    JSON.stringify({
      name: 'old-bcc-images',
      provider: 'bcc',
      regions: ['bj'],
      select: { olderThanDays: 30 },
      keep: { newestPerFamily: 1 },
      limits: { maxDeletions: 4, maxPercent: 50 },
    }),
  );
  const planned = await cloudImages([
    '--emulator',
    fixture.url,
    'plan',
    policy,
    '--dir',
    dir,
    '--json',
  ]);
  const { planId, totals } = planned.json<{ planId: string; totals: { retire: number } }>();
  expect(totals.retire).toBe(4);
  return planId;
};

describe('apply on a terminal', () => {
  it('shows the plan, asks, then counts deletes as they complete and sums up the run', async () => {
    const dir = join(socketDir, 'plans');
    const planId = await planRetiringFour(dir);
    // Each delete takes a moment, so the bar is seen between them.
    fixture.emulator.faults.inject({
      match: { provider: 'bcc', operation: 'delete' },
      times: 4,
      action: { kind: 'latency', ms: 600 },
    });
    const session = await startInTerminal(['apply', planId, '--dir', dir]);

    const asked = await waitForScreen(session, /Retire 4 images of bcc\?/);
    expect(asked).toContain(`plan ${planId} of policy old-bcc-images (bcc: bj)`);
    expect(asked).toMatch(/4 to retire/);
    expect(deletesSent()).toBe(0);

    await tmux('send-keys', '-t', session, 'y', 'Enter');

    const during = await waitForScreen(session, /retiring .* [123]\/4/);
    expect(during).not.toContain('EXIT:');
    const after = await waitForScreen(session, /EXIT:\d+/);
    expect(after).toMatch(/retiring .* 4\/4/);
    expect(after).toMatch(
      /^run run-[0-9a-f]+ of plan plan-[0-9a-f]+: 4 deleted, 0 already absent, 0 skipped, 0 failed$/m,
    );
    expect(after).toContain('EXIT:0');
    expect(deletesSent()).toBe(4);
  });

  it('on "n" starts no run: deletes nothing and leaves the folder as it was (no run-journals/)', async () => {
    // Prepare
    const dir = join(socketDir, 'declined');
    const planId = await planRetiringFour(dir);
    const before = await readdir(dir);
    const session = await startInTerminal(['apply', planId, '--dir', dir]);
    await waitForScreen(session, /Retire 4 images of bcc\?/);

    // Act
    await tmux('send-keys', '-t', session, 'n', 'Enter');

    // Assess
    const after = await waitForScreen(session, /EXIT:\d+/);
    expect(after).toMatch(/Cancelled: nothing was deleted/);
    expect(after).toContain('EXIT:3');
    expect(deletesSent()).toBe(0);
    expect(await readdir(dir)).toEqual(before);
  });

  it('Ctrl-C while it retires ends it there, as Ctrl-C ends any command (no further delete, status 130), and says how far the run got and how to resume it', async () => {
    // Prepare: the first delete answers, the second never does: Ctrl-C comes while it waits.
    const dir = join(socketDir, 'interrupted');
    const planId = await planRetiringFour(dir);
    const deletes = { provider: 'bcc', operation: 'delete' } as const;
    fixture.emulator.faults.inject({ match: deletes, action: { kind: 'latency', ms: 1 } });
    fixture.emulator.faults.inject({ match: deletes, times: 3, action: { kind: 'stall' } });
    const session = await startInTerminal(['apply', planId, '--dir', dir]);
    await waitForScreen(session, /Retire 4 images of bcc\?/);
    await tmux('send-keys', '-t', session, 'y', 'Enter');
    await waitForScreen(session, /retiring .* 1\/4/);
    while (deletesSent() < 2) await new Promise((resolve) => setTimeout(resolve, 20));

    // Act
    await tmux('send-keys', '-t', session, 'C-c');

    // Assess: the bar stopped (the terminal echoes ^C after it), then on lines of their own the
    // run, its outcomes, where it is kept and the command that resumes it.
    const after = await waitForScreen(session, /EXIT:\d+/, 3_000);
    expect(after).toContain('EXIT:130');
    expect(after).toMatch(
      /retiring .* 1\/4(\^C)?\s*\napply interrupted \(SIGINT\): run run-[0-9a-f]{20} /,
    );
    expect(after.replace(/\n/g, '')).toMatch(
      /has an outcome for 1 of 4 decisions \(1 deleted, 0 already absent, 0 skipped, 0 failed\).*its journal: .*interrupted\/run-journals\/run-[0-9a-f]{20}\.jsonl; to resume it: cloud-images --emulator \S+ apply plan-[0-9a-f]{24} --resume run-[0-9a-f]{20} --dir /,
    );
    expect(deletesSent()).toBe(2);
  });

  it('--resume after Ctrl-C shows the plan, asks about the decisions left, then completes the run', async () => {
    // Prepare: an apply cut short by Ctrl-C while its second delete waits (never carried out).
    const dir = join(socketDir, 'resumed');
    const planId = await planRetiringFour(dir);
    const deletes = { provider: 'bcc', operation: 'delete' } as const;
    fixture.emulator.faults.inject({ match: deletes, action: { kind: 'latency', ms: 1 } });
    fixture.emulator.faults.inject({ match: deletes, times: 1, action: { kind: 'stall' } });
    const cut = await startInTerminal(['apply', planId, '--dir', dir, '--yes']);
    while (deletesSent() < 2) await new Promise((resolve) => setTimeout(resolve, 20));
    await tmux('send-keys', '-t', cut, 'C-c');
    const told = (await waitForScreen(cut, /EXIT:130/, 3_000)).replace(/\n/g, '');
    const runId = /apply interrupted \(SIGINT\): run (run-[0-9a-f]{20}) /.exec(told)?.[1] ?? '';

    // Act
    const session = await startInTerminal(['apply', planId, '--resume', runId, '--dir', dir]);
    const asked = await waitForScreen(session, /\(y\/N\)/);
    await tmux('send-keys', '-t', session, 'y', 'Enter');
    const after = await waitForScreen(session, /EXIT:\d+/);

    // Assess: asked about the 3 decisions without an outcome, before any delete; then the same
    // run with all 4 deleted (the delete cut short sent again: it had not been carried out).
    expect(asked).toContain(`plan ${planId} of policy old-bcc-images (bcc: bj)`);
    expect(asked).toContain(
      `Resume run ${runId}: retire its other 3 images of bcc (1 of 4 have an outcome)?`,
    );
    expect(after).toMatch(
      new RegExp(
        `^run ${runId} of plan ${planId}: 4 deleted, 0 already absent, 0 skipped, 0 failed$`,
        'm',
      ),
    );
    expect(after).toContain('EXIT:0');
    expect(deletesSent()).toBe(5);
  });
});

describe('colour on a terminal', () => {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: an SGR colour escape is what is looked for
  const colourEscape = /\x1b\[(?:[0-9;]*;)?3[0-9]m/;

  it('is on, and off with NO_COLOR', async () => {
    const coloured = await startInTerminal(['show', 'bcc', SEEDED.bcc.custom]);
    const plain = await startInTerminal(['show', 'bcc', SEEDED.bcc.custom], { NO_COLOR: '1' });

    const withColour = await waitForScreen(coloured, /EXIT:0/, 20_000, true);
    const withoutColour = await waitForScreen(plain, /EXIT:0/, 20_000, true);
    expect(withColour).toMatch(colourEscape);
    expect(await screen(coloured)).toMatch(/status +available \(Available\)/);
    expect(withoutColour).not.toMatch(colourEscape);
    expect(withoutColour).toMatch(/status +available \(Available\)/);
  });

  it('is off with --no-color, the confirmation prompt included', async () => {
    // Prepare
    const session = await startInTerminal(['--no-color', 'delete', 'bcc', SEEDED.bcc.custom]);

    // Act
    const asked = await waitForScreen(session, /Delete bcc image m-custom01\?/, 20_000, true);
    await tmux('send-keys', '-t', session, 'n', 'Enter');
    const answered = await waitForScreen(session, /EXIT:\d+/, 20_000, true);

    // Assess
    expect(asked).not.toMatch(colourEscape);
    expect(answered).not.toMatch(colourEscape);
    expect(answered).toMatch(/Delete bcc image m-custom01\? No/);
    expect(answered).toContain('EXIT:3');
  });
});
