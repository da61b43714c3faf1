// cloud-images apply PLAN [--resume RUN_ID] [--dir DIR] [--yes]: carries out a stored plan (its
// ID) or a plan file, through the operations the service's run uses, with their events:
// applyReported (a run, one message per retire decision) and retireReported (look again just
// before the delete: skip what changed since the plan, became protected or in use; delete; one
// outcome each). The messages are worked through here, one at a time, instead of through the
// stack's queue, with a progress bar as deletes complete and a summary at the end. Like delete, it
// asks first on a terminal and needs --yes from a script. --resume goes on with a run of the plan
// that was cut short (Ctrl-C): apply's own repeat of a started run (as a retried schedule
// firing's), which works only on the decisions without an outcome. While it works a run, an apply
// holds the run's lock (run-journals/<runId>.lock): another apply of that run (a --resume in a
// second terminal) is refused as StoreUnavailable before it asks or sends anything, so that no
// decision gets two deletes and two outcomes. The lock goes when the apply ends, however it ends.

import { setTimeout as sleep } from 'node:timers/promises';
import type { Command } from 'commander';
import { errorNamed, InvalidRequest, isImageError, PlanNotFound } from '../../errors/errors.js';
import { newRunId, refuseRunOfAnotherPlan } from '../../retirement/apply-plan.js';
import { PLAN_ID_PATTERN } from '../../retirement/ids.js';
import type { Plan, PlannedImage } from '../../retirement/plan.js';
import { alterationOf } from '../../retirement/plan-integrity.js';
import {
  countsTotal,
  emptyCounts,
  type ImageOutcome,
  type Run,
  type RunCounts,
  type RunDocument,
  type RunMessage,
} from '../../retirement/ports.js';
import { readRun } from '../../retirement/read-run.js';
import { DeleteUnderWay, type Retired } from '../../retirement/retire-one.js';
import type { Invocation } from '../../runtime/invocation.js';
import { applyReported, retireReported } from '../../runtime/reported-retirement.js';
import { parseInput, runRefSchema } from '../../validation/inputs.js';
import { Cancelled, UsageError } from '../cli-errors.js';
import { exitErrorOfOutcome } from '../exit-status.js';
import { examples } from '../help.js';
import { beforeSignalEnds } from '../interruption.js';
import type { Paint } from '../output/colour.js';
import { planSummary } from '../output/plan.js';
import { startProgress } from '../output/progress.js';
import { countsText, outcomesTable, plannedImages } from '../output/run.js';
import { readTextFile } from '../read-text-file.js';
import { cliIdentity, type Session } from '../session.js';
import { timeoutMsFor } from '../settings.js';
import {
  DEFAULT_DIR,
  DIR_VARIABLE,
  folderOf,
  type LocalStorage,
  localStorage,
  parseStoredPlan,
  writeRun,
} from '../storage.js';
import { applyArguments, ENDPOINT_FORM } from './arguments.js';
import type { Runner } from './runner.js';

export interface ApplyFlags {
  dir?: string;
  endpoint?: string;
  yes?: boolean;
  /** The run of this plan to go on with (an apply of it cut short). */
  resume?: string;
}

/** Deliveries of one decision before its outcome is `failed` (the stack's queue allows as many). */
export const MAX_RECEIVES = 3;
const REDELIVERY_PAUSE_MS = 500;

/**
 * What follows delivery `receive` of a decision that failed transiently: the pause before the
 * next (the queue's: 0.5 s, then 1 s), or the last delivery at once when the pause would use up
 * the time left. Once the time is up a later delivery can only fail the same way; the last one
 * records the outcome (the queue's would, after its pauses).
 */
export const nextDelivery = (
  receive: number,
  remainingMs: number,
): { receive: number; pauseMs: number } => {
  const pauseMs = REDELIVERY_PAUSE_MS * receive;
  return remainingMs <= pauseMs
    ? { receive: MAX_RECEIVES, pauseMs: 0 }
    : { receive: receive + 1, pauseMs };
};

/**
 * The plan to apply: a stored one by ID, or a plan file (kept in the folder once the question is
 * answered: `keep`). Either is refused when it was edited since it was made, before anything is
 * asked or stored.
 */
const planOf = async (
  reference: string,
  storage: LocalStorage,
): Promise<{ plan: Plan; keep: () => Promise<void> }> => {
  const byId = PLAN_ID_PATTERN.test(reference);
  const plan = byId
    ? await storage.plans.get(reference)
    : parseStoredPlan(await readTextFile(reference, 'plan'), reference);
  if (plan === undefined)
    throw new PlanNotFound(`no plan ${reference} is stored in ${storage.dir}`);
  const altered = alterationOf(plan);
  if (altered !== undefined) {
    throw new InvalidRequest(
      `plan: ${reference} has been altered since it was made (${altered}); make a new plan`,
      { field: 'plan' },
    );
  }
  const keep = async (): Promise<void> => {
    if (!byId) await storage.plans.put(plan);
  };
  return { plan, keep };
};

/**
 * The run --resume names: one stored in the folder (else PlanNotFound), of this plan (else
 * InvalidRequest, as apply itself refuses it).
 */
const runToResume = async (
  reference: string,
  planId: string,
  storage: LocalStorage,
): Promise<Run> => {
  const { runId } = parseInput(runRefSchema, { runId: reference }, { runId: '--resume' });
  const { run } = await readRun(runId, storage.runs, storage.dir);
  refuseRunOfAnotherPlan(run, planId, '--resume');
  return run;
};

/**
 * What an apply cut short by Ctrl-C or SIGTERM says on its way out (on stderr, whatever the
 * flags: the process ends without its result): the run, its outcomes so far, where the run is
 * kept and how to resume it. The decisions without an outcome keep none: the run stays `running`
 * in its journal, and a delete under way may have gone through (resuming looks again first).
 */
const interrupted = (
  signal: NodeJS.Signals,
  run: { runId: string; planId: string; total: number; counts: RunCounts },
  where: { journal: string; resume: string },
  paint: Paint,
): string =>
  `apply interrupted (${signal}): run ${run.runId} of plan ${run.planId} has an outcome for ${countsTotal(run.counts)} of ${run.total} decisions (${countsText(run.counts, paint)}); the others have none and the run stays running\n` +
  `  its journal: ${where.journal}; to resume it: ${where.resume}\n`;

const humanRun = (view: RunDocument, plan: Plan, path: string, session: Session): string => {
  const { out } = session.output;
  const { counts } = view.run;
  const planned = plannedImages(plan);
  const lines = [
    `${out.bold(`run ${view.run.runId}`)} of plan ${plan.planId}: ${countsText(counts, out)}`,
  ];
  // The name the plan saw (an image skipped as renamed since is shown by that name).
  const table = outcomesTable(
    view.outcomes.filter((outcome) => outcome.outcome !== 'deleted'),
    out,
    (outcome) => planned.get(outcome.imageKey)?.name,
  );
  return `${lines.join('\n')}\n${table}  run record: ${path}\n`;
};

/**
 * One decision through retireOne (with its outcome event, where the configuration sends events),
 * redelivered as the stack's queue would while it is transient. `planned`: the image as the plan's
 * decision knew it.
 */
const retire = async (
  message: RunMessage,
  planned: PlannedImage | undefined,
  invocation: Invocation,
  storage: LocalStorage,
  requestId: string,
): Promise<Retired> => {
  for (let receive = 1; ; ) {
    try {
      return await retireReported(
        message,
        invocation,
        { receiveCount: receive, maxReceiveCount: MAX_RECEIVES, planned },
        requestId,
        storage,
      );
    } catch (error) {
      // Transient, or a skip or failure not recorded over the delete an earlier receive noted
      // sending (its reply lost): deliver again, as the queue would, until its last receive (on
      // which retireOne records the outcome itself). Anything else, or the run store failing past
      // that, ends the command with that error: a dead-letter queue is the stack's, not the terminal's.
      const again = error instanceof DeleteUnderWay || (isImageError(error) && error.retryable);
      if (!again || receive >= MAX_RECEIVES) throw error;
      const next = nextDelivery(receive, invocation.deadline.remainingMs());
      if (next.pauseMs > 0) await sleep(next.pauseMs);
      receive = next.receive;
    }
  }
};

export const apply = async (
  session: Session,
  reference: string,
  flags: ApplyFlags,
): Promise<void> => {
  // A timeout too short for any apply, or a malformed configuration, is refused before the plan
  // is read or a question asked.
  timeoutMsFor('apply', session.env);
  session.checkConfiguration();
  const storage = localStorage(folderOf(flags.dir, session.env));
  const { plan, keep } = await planOf(reference, storage);
  if (flags.resume === undefined) {
    // A fresh run: its ID is new, so no other apply can work it before it starts. It is asked
    // about before its lock is taken and a plan file kept, so that a "no" (or a refusal before
    // the question) leaves the folder as it was: the lock makes run-journals/, the plan plans/.
    await confirmed(session, plan, undefined, flags);
    await keep();
    await withRunLock(storage, newRunId(), (runId) =>
      applyLocked(session, storage, plan, runId, flags),
    );
    return;
  }
  // A run resumed is checked (stored, of this plan) before its lock is taken, and read again once
  // it is held (another apply may have worked on it until then), before it is asked about.
  const { runId } = await runToResume(flags.resume, plan.planId, storage);
  await withRunLock(storage, runId, async () => {
    await confirmed(session, plan, await runToResume(runId, plan.planId, storage), flags);
    await keep();
    await applyLocked(session, storage, plan, runId, flags);
  });
};

/** `work` on the run, holding its lock (released however it ends, a signal included). */
const withRunLock = async (
  storage: LocalStorage,
  runId: string,
  work: (runId: string) => Promise<void>,
): Promise<void> => {
  const lock = await storage.lockRun(runId);
  const unlockOnSignal = beforeSignalEnds(() => lock.release());
  try {
    await work(runId);
  } finally {
    unlockOnSignal();
    lock.release();
  }
};

/**
 * The endpoint applied, and the question asked where one is (a run resumed: about its decisions
 * without an outcome); a "no" is Cancelled.
 */
const confirmed = async (
  session: Session,
  plan: Plan,
  resumed: Run | undefined,
  flags: ApplyFlags,
): Promise<void> => {
  session.useEndpoint(plan.policy.provider, flags.endpoint);
  const { output } = session;

  // The decisions this apply works on: the plan's retire decisions, or those of the run resumed
  // that have no outcome yet.
  const toRetire =
    resumed === undefined ? plan.totals.retire : resumed.total - countsTotal(resumed.counts);
  if (plan.complete && toRetire > 0 && flags.yes !== true) {
    if (!output.interactive) {
      throw new UsageError(
        'apply asks for confirmation and this is not a terminal: pass --yes to apply from a script',
      );
    }
    output.streams.stderr.write(planSummary(plan, output.err));
    const images = `${toRetire} image${toRetire === 1 ? '' : 's'} of ${plan.policy.provider}`;
    const yes = await session.confirm(
      resumed === undefined
        ? `Retire ${images}?`
        : `Resume run ${resumed.runId}: retire its other ${images} (${countsTotal(resumed.counts)} of ${resumed.total} have an outcome)?`,
    );
    if (!yes) throw new Cancelled(`nothing was deleted (plan ${plan.planId})`);
  }
};

/** apply, once the run's lock is held and the question answered. */
const applyLocked = async (
  session: Session,
  storage: LocalStorage,
  plan: Plan,
  runId: string,
  flags: ApplyFlags,
): Promise<void> => {
  const { output } = session;
  const { runs } = storage;
  const messages: RunMessage[] = [];
  const invocation = session.invocation('apply');
  // A run resumed is apply's repeat of a started run: only its decisions without an outcome are
  // queued (here: worked through below), each as a decision of the run as it was started.
  const applied = await applyReported(
    plan.planId,
    invocation,
    cliIdentity(),
    {
      plans: storage.plans,
      runs,
      // The messages are worked through below, in this process, instead of the stack's queue.
      queue: {
        send: async (batch) => {
          messages.push(...batch);
          return [];
        },
      },
    },
    runId,
  );
  const resume = session.nextCommand(
    applyArguments(plan.planId, { ...flags, resume: applied.runId }),
  );

  // The run's outcomes as the last decision left them (from those it had: a run resumed, or
  // decisions apply recorded `failed` unqueued), for Ctrl-C or SIGTERM to tell; said after the
  // bar, which is started after this and so stops first.
  const soFar = {
    ...applied,
    counts: (await runs.readRun(applied.runId))?.counts ?? emptyCounts(),
  };
  const tell = beforeSignalEnds((signal) =>
    output.streams.stderr.write(
      interrupted(
        signal,
        soFar,
        { journal: storage.journalPath(applied.runId), resume },
        output.err,
      ),
    ),
  );
  const progress = startProgress(output, 'retiring', messages.length);
  const planned = plannedImages(plan);
  let done = 0;
  try {
    for (const message of messages) {
      const image = planned.get(message.imageKey);
      soFar.counts = (
        await retire(message, image, invocation, storage, session.requestId)
      ).run.counts;
      done += 1;
      progress.increment();
    }
  } catch (error) {
    // The run store failing: say how far the run got (its record may not be writable).
    if (!isImageError(error)) throw error;
    throw errorNamed(
      error.name,
      `${error.message} (run ${applied.runId} stopped after ${done} of ${messages.length} decisions; to resume it: ${resume})`,
      {
        field: error.field,
        upstream: error.upstream,
        retryAfterSeconds: error.retryAfterSeconds,
        logDetail: error.logDetail,
      },
    );
  } finally {
    progress.stop();
    tell();
  }

  const view = await runs.read(applied.runId);
  if (view === undefined) throw new Error(`run ${applied.runId} vanished`);
  const path = await writeRun(storage, view);
  output.result(view, () => humanRun(view, plan, path, session));

  const failed = view.outcomes.filter((outcome) => outcome.outcome === 'failed');
  // The failure recorded first (the outcomes are in image-key order; on a tie, that order): a run
  // resumed may hold failures recorded before this apply's.
  const earliest = failed.reduce<ImageOutcome | undefined>(
    (first, outcome) =>
      first === undefined || (outcome.finishedAt ?? '') < (first.finishedAt ?? '')
        ? outcome
        : first,
    undefined,
  );
  if (earliest !== undefined) {
    const first = earliest.error ?? 'InternalError';
    const message = `${failed.length} of ${view.run.total} retire decisions failed (first: ${first}); the run record has each reason: ${path}`;
    const status = exitErrorOfOutcome(first);
    throw status === undefined ? new Error(message) : errorNamed(status, message);
  }
};

export const registerApply = (program: Command, run: Runner): void => {
  program
    .command('apply')
    .summary('carry out a plan (asks first)')
    .description(
      'Carries out a plan: every retire decision is looked at again just before its delete (skipped when the image changed since the plan, became protected or in use), deleted, and given one outcome. Shows progress as deletes complete and a summary at the end; the run record is kept in the local folder (`cloud-images run RUN_ID` shows it). On a terminal it asks first; from a script it needs --yes. Ctrl-C (or SIGTERM) stops it at once (a delete already sent may still go through) and it says the run, its outcomes so far, where its journal is and the command that resumes it: --resume RUN_ID goes on with that run, leaving the decisions that have an outcome alone and working on the others as above (a delete cut short is looked at again first), until the run completes. While an apply works a run it holds a lock on it (run-journals/RUN_ID.lock in the folder): another apply of that run is refused (StoreUnavailable, naming the apply that holds it) before it asks or sends anything; a lock left by an apply that was killed is taken over.',
    )
    .argument('<PLAN>', 'a plan ID stored in the folder (plan-...), or a plan file (JSON)')
    .option(
      '--resume <run-id>',
      'go on with this run of the plan (an apply cut short): decisions with an outcome keep it, the others are worked on',
    )
    .option(
      '--dir <dir>',
      `where plans and runs are kept (default: ${DIR_VARIABLE}, or ${DEFAULT_DIR} here)`,
    )
    .option('--endpoint <url>', `the plan's provider at this base URL (${ENDPOINT_FORM})`)
    .option('-y, --yes', 'do not ask (needed when not on a terminal)')
    .addHelpText(
      'after',
      examples([
        [
          'cloud-images apply plan-0123456789abcdef01234567',
          'Shows the plan, asks, retires with a progress bar',
        ],
        [
          'cloud-images apply plan.json --yes --json',
          'From a script: a plan file, and the run with every outcome as JSON',
        ],
        [
          'cloud-images apply plan-0123456789abcdef01234567 --resume run-0123456789abcdef0123',
          'Resumes a run of the plan that Ctrl-C cut short',
        ],
      ]),
    )
    .action((reference: string, flags: ApplyFlags, self: Command) =>
      run((session) => apply(session, reference, flags), self),
    );
};
