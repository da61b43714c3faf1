// One `cloud-images apply` at a time on a run: while an apply works a run it holds the run's lock
// file beside its journal (run-journals/<runId>.lock), so a second apply of that run (--resume in
// another terminal) is refused as StoreUnavailable before it asks, sends or records anything, and
// the first completes with one outcome per decision. A lock left by an apply that was killed (its
// process gone) is taken over; the lock is gone once an apply ends, however it ends. Each apply is
// the real CLI in a child process against the emulator, with a plans folder of the test's own.

import { readdir, readFile, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { exitStatusOfError } from '../../lib/cli/exit-status.js';
import type { Plan } from '../../lib/retirement/plan.js';
import type { RunDocument } from '../../lib/retirement/ports.js';
import { type Child, spawnChild } from '../support/child.js';
import { useFixture } from '../support/fixture.js';
import { bareEnv, type CliRun, launcher } from './cli-child.js';
import { bccPolicyYaml, deletesByImage, retired, useCliFolders } from './cli-folders.js';

const fixture = useFixture({
  emulator: { seed: { bcc: { images: 30, instances: 4 }, random: 7 } },
  demoEnv: false,
});

const folders = useCliFolders(fixture, 'lock');
const { cli } = folders;

/** `cloud-images apply <args> --yes` started in a child process, not waited for. */
const startApply = (args: readonly string[]): Child =>
  spawnChild(
    process.execPath,
    [launcher, '--emulator', fixture.url, 'apply', ...args, '--dir', folders.dir, '--yes'],
    { env: bareEnv() },
  );

const planOf = (): Promise<Plan> => folders.plan(bccPolicyYaml(4));

const deletesSent = (): number =>
  fixture.emulator.requests.filter((request) => request.method === 'DELETE').length;

const journals = () => join(folders.dir, 'run-journals');

/** What the folder of run journals holds (nothing when there is none). */
const journalFolder = async (): Promise<string[]> =>
  (await readdir(journals()).catch(() => [])).sort();

/** The run ID of the one journal in the folder, once there is one. */
const theRunId = async (): Promise<string> => {
  for (;;) {
    const journal = (await journalFolder()).find((name) => name.endsWith('.jsonl'));
    if (journal !== undefined) return journal.replace(/\.jsonl$/, '');
    await sleep(20);
  }
};

/** How many `finish` entries (recorded outcomes) the run's journal has for each decision. */
const finishesByDecision = async (runId: string): Promise<Map<string, number>> => {
  const finishes = new Map<string, number>();
  const text = await readFile(join(journals(), `${runId}.jsonl`), 'utf8');
  for (const line of text.split('\n').filter((each) => each !== '')) {
    const entry = JSON.parse(line) as { op: string; imageKey?: string };
    if (entry.op !== 'finish' || entry.imageKey === undefined) continue;
    finishes.set(entry.imageKey, (finishes.get(entry.imageKey) ?? 0) + 1);
  }
  return finishes;
};

describe('two applies of one run', () => {
  it('a second apply --resume of a run another apply is working is StoreUnavailable naming that apply; it sends and records nothing, and the first completes with one outcome per decision', async () => {
    // Prepare: an apply whose first delete the emulator holds a moment; once that delete has
    // arrived, the apply is stopped (SIGSTOP) in the middle of its run, so it stays there, alive,
    // for as long as the test needs.
    const plan = await planOf();
    const toRetire = retired(plan);
    expect(toRetire.length).toBeGreaterThan(1);
    fixture.emulator.faults.inject({
      match: { provider: 'bcc', operation: 'delete' },
      times: 1,
      action: { kind: 'latency', ms: 3_000 },
    });
    const first = startApply([plan.planId]);
    let second: CliRun;
    let journalBefore: string;
    let journalAfter: string;
    let deletesBefore: number;
    let deletesAfter: number;
    let lock: string;
    let shownMeanwhile: CliRun;
    const runId = await theRunId();
    try {
      while (deletesSent() < 1) await sleep(20);
      process.kill(first.pid, 'SIGSTOP');
      journalBefore = await readFile(join(journals(), `${runId}.jsonl`), 'utf8');
      deletesBefore = deletesSent();

      // Act
      second = await cli(['apply', plan.planId, '--resume', runId, '--yes', '--json']);
      journalAfter = await readFile(join(journals(), `${runId}.jsonl`), 'utf8');
      deletesAfter = deletesSent();
      lock = await readFile(join(journals(), `${runId}.lock`), 'utf8');
      shownMeanwhile = await cli(['run', runId, '--json']);
    } finally {
      process.kill(first.pid, 'SIGCONT');
    }
    const firstEnded = await first.exited();

    // Assess: the second refused (StoreUnavailable's status), naming the run and the apply that
    // holds it; it sent no delete and wrote nothing to the run's journal.
    expect(second.code, second.stderr).toBe(exitStatusOfError('StoreUnavailable'));
    const { message } = second.errorBody().error;
    expect(message).toContain(`run ${runId}`);
    expect(message).toContain(`pid ${first.pid}`);
    expect(message).toContain(hostname());
    expect(deletesAfter).toBe(deletesBefore);
    expect(journalAfter).toBe(journalBefore);
    // The lock beside the journal named the first; showing the run needed none.
    expect(JSON.parse(lock)).toEqual({
      pid: first.pid,
      host: hostname(),
      startedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT.*Z$/),
    });
    expect(shownMeanwhile.code, shownMeanwhile.stderr).toBe(0);
    // The first went on and completed the run: one outcome and one DELETE per decision.
    expect(firstEnded, first.output()).toBe(0);
    const shown = await cli(['run', runId, '--json']);
    expect(shown.json<RunDocument>().run).toMatchObject({
      status: 'completed',
      counts: { deleted: toRetire.length, 'already-absent': 0, skipped: 0, failed: 0 },
    });
    const finishes = await finishesByDecision(runId);
    expect(finishes.size).toBe(toRetire.length);
    expect(
      [...finishes.values()].every((count) => count === 1),
      JSON.stringify([...finishes]),
    ).toBe(true);
    for (const image of toRetire)
      expect(deletesByImage(fixture.emulator).get(image.id), image.id).toBe(1);
    expect(await journalFolder()).toEqual([`${runId}.jsonl`]);
  });

  it('a lock left by an apply that was killed (its process gone, on this host) is taken over: the run resumed completes and its lock is gone', async () => {
    // Prepare: an apply killed (SIGKILL: nothing on its way out) while its second delete waits
    // for a reply that never comes; its lock stays, naming a process that is no more.
    const plan = await planOf();
    const toRetire = retired(plan);
    const deletes = { provider: 'bcc', operation: 'delete' } as const;
    fixture.emulator.faults.inject({ match: deletes, action: { kind: 'latency', ms: 1 } });
    fixture.emulator.faults.inject({ match: deletes, times: 1, action: { kind: 'stall' } });
    const killed = startApply([plan.planId]);
    const runId = await theRunId();
    while (deletesSent() < 2) await sleep(20);
    process.kill(killed.pid, 'SIGKILL');
    expect(await killed.exited()).toBe('SIGKILL');
    const left = JSON.parse(await readFile(join(journals(), `${runId}.lock`), 'utf8')) as unknown;

    // Act
    const resumed = await cli(['apply', plan.planId, '--resume', runId, '--yes', '--json']);

    // Assess: the lock was the killed apply's; the resume took it over and completed the run.
    expect(left).toMatchObject({ pid: killed.pid, host: hostname() });
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.json<RunDocument>().run).toMatchObject({
      runId,
      status: 'completed',
      counts: { deleted: toRetire.length, 'already-absent': 0, skipped: 0, failed: 0 },
    });
    for (const image of toRetire) {
      expect(fixture.emulator.state.bcc.has(image.id), image.id).toBe(false);
    }
    expect(await journalFolder()).toEqual([`${runId}.jsonl`]);
  });
});

describe('the lock of a run', () => {
  it('is gone after an apply that ends with an error', async () => {
    // Prepare: the runs folder is a stray file, so the run's record cannot be written.
    const plan = await planOf();
    await writeFile(join(folders.dir, 'runs'), 'not a folder');

    // Act
    const applied = await cli(['apply', plan.planId, '--yes', '--json']);

    // Assess: it ended with the store's error; only the run's journal is left.
    expect(applied.code, applied.stderr).toBe(exitStatusOfError('ConfigurationError'));
    const folder = await journalFolder();
    expect(folder).toHaveLength(1);
    expect(folder[0]).toMatch(/^run-[0-9a-f]{20}\.jsonl$/);
  });

  it('is gone after Ctrl-C (SIGINT) ends an apply, which still says how to resume its run', async () => {
    // Prepare: the first delete answers, the next never does: SIGINT comes while it waits.
    const plan = await planOf();
    const deletes = { provider: 'bcc', operation: 'delete' } as const;
    fixture.emulator.faults.inject({ match: deletes, action: { kind: 'latency', ms: 1 } });
    fixture.emulator.faults.inject({ match: deletes, times: 10, action: { kind: 'stall' } });
    const apply = startApply([plan.planId]);
    const runId = await theRunId();
    while (deletesSent() < 2) await sleep(20);
    const lockedMeanwhile = await journalFolder();

    // Act
    process.kill(apply.pid, 'SIGINT');

    // Assess: ended by the signal after saying how far it got; the lock held until then is gone.
    expect(await apply.exited()).toBe('SIGINT');
    expect(apply.output()).toMatch(
      new RegExp(`^apply interrupted \\(SIGINT\\): run ${runId} .*\n.*--resume ${runId} `),
    );
    expect(lockedMeanwhile).toEqual([`${runId}.jsonl`, `${runId}.lock`]);
    expect(await journalFolder()).toEqual([`${runId}.jsonl`]);
  });
});
