// Runs in a local directory (npm start, CLI): the same semantics as the DynamoDB store, for one
// process. Each run is a journal, `run-journals/{runId}.jsonl`: one JSON line per change (create,
// claim, delete-sent, finish, complete), appended under an in-process mutex per file, so a change
// is one small append however many outcomes the run has (many finishes at once: one append). The
// journal is folded into memory once and read on from where it was (only what was appended
// since), so a run of 10,000 decisions stays cheap.

import { appendFile, open, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ConfigurationError } from '../errors/errors.js';
import { errorCode } from '../files/error-code.js';
import { makeFolder } from '../files/make-folder.js';
import { RUN_ID_PATTERN } from '../retirement/ids.js';
import { plannedImageSchema } from '../retirement/plan.js';
import {
  type ClaimResult,
  countsTotal,
  emptyCounts,
  type FinishEach,
  type FinishInput,
  type FinishManyResult,
  type FinishResult,
  type ImageOutcome,
  MAX_REASON_LENGTH,
  type NewRun,
  type Run,
  type RunDocument,
  type RunEvent,
  type RunStore,
  runOutcomeSchema,
  runSchema,
} from '../retirement/ports.js';
import * as z from '../schema/zod.js';
import { createMutex, MAX_STORED_DOCUMENT_BYTES } from './local-files.js';
import {
  byImageKey,
  checkDistinctImageKeys,
  checkImageKey,
  checkNewRunId,
  runNotStored,
} from './run-rules.js';
import { fileFailure, type StoreName } from './store-errors.js';

const entrySchema = z.discriminatedUnion('op', [
  z.object({ op: z.literal('create'), run: runSchema }),
  z.object({ op: z.literal('claim'), imageKey: z.string().check(z.minLength(1)), at: z.string() }),
  z.object({
    op: z.literal('finish'),
    imageKey: z.string().check(z.minLength(1)),
    outcome: runOutcomeSchema,
    reason: z.optional(z.string()),
    error: z.optional(z.string()),
    image: z.optional(plannedImageSchema),
    at: z.string(),
  }),
  // by: the image key whose outcome completed the run (it owns the completion event).
  z.object({ op: z.literal('complete'), at: z.string(), by: z.optional(z.string()) }),
  z.object({
    op: z.literal('delete-sent'),
    imageKey: z.string().check(z.minLength(1)),
    at: z.string(),
  }),
  // Without imageKey: the run's completion event.
  z.object({
    op: z.literal('published'),
    imageKey: z.optional(z.string().check(z.minLength(1))),
    at: z.string(),
  }),
]);
type Entry = z.infer<typeof entrySchema>;

interface RunState {
  run: Run | undefined;
  outcomes: Map<string, ImageOutcome>;
  /** Decisions whose delete a delivery noted it sent. */
  /** Per decision, how many deliveries noted sending its delete. */
  deleteSends: Map<string, number>;
  /** Recorded outcomes whose event went out. */
  published: Set<string>;
  completionPublished: boolean;
  /** The image key whose outcome completed the run. */
  completedBy?: string | undefined;
}

interface Journal {
  /** Bytes of the file folded into `state`. */
  size: number;
  /** A last line not yet ended by a newline. */
  partial: string;
  state: RunState;
}

const emptyState = (): RunState => ({
  run: undefined,
  outcomes: new Map(),
  deleteSends: new Map(),
  published: new Set(),
  completionPublished: false,
});

const claim = (state: RunState, imageKey: string, at: string): void => {
  if (!state.outcomes.has(imageKey)) {
    state.outcomes.set(imageKey, { imageKey, state: 'claimed', claimedAt: at });
  }
};

/** An entry's effect. Entries are appended only when valid, so this never has to refuse. */
const apply = (state: RunState, entry: Entry): void => {
  switch (entry.op) {
    case 'create':
      state.run ??= entry.run;
      return;
    case 'delete-sent':
      state.deleteSends.set(entry.imageKey, (state.deleteSends.get(entry.imageKey) ?? 0) + 1);
      // Claims the decision too when no delivery has (as DynamoDB's mark does).
      claim(state, entry.imageKey, entry.at);
      return;
    case 'claim':
      claim(state, entry.imageKey, entry.at);
      return;
    case 'finish': {
      const existing = state.outcomes.get(entry.imageKey);
      if (existing?.state === 'final' || state.run === undefined) return;
      state.outcomes.set(entry.imageKey, {
        imageKey: entry.imageKey,
        state: 'final',
        outcome: entry.outcome,
        ...(entry.reason === undefined ? {} : { reason: entry.reason }),
        ...(entry.error === undefined ? {} : { error: entry.error }),
        ...(entry.image === undefined ? {} : { image: entry.image }),
        claimedAt: existing?.claimedAt ?? entry.at,
        finishedAt: entry.at,
      });
      state.run = {
        ...state.run,
        counts: { ...state.run.counts, [entry.outcome]: state.run.counts[entry.outcome] + 1 },
      };
      return;
    }
    case 'published':
      if (entry.imageKey === undefined) state.completionPublished = true;
      else state.published.add(entry.imageKey);
      return;
    case 'complete':
      if (state.run?.status === 'running') {
        state.run = { ...state.run, status: 'completed', completedAt: entry.at };
        state.completedBy = entry.by;
      }
      return;
  }
};

/** The journal entry of a decision's outcome. */
const finishEntry = (imageKey: string, result: FinishInput): Entry => ({
  op: 'finish',
  imageKey,
  outcome: result.outcome,
  ...(result.reason === undefined ? {} : { reason: result.reason.slice(0, MAX_REASON_LENGTH) }),
  ...(result.error === undefined ? {} : { error: result.error }),
  ...(result.image === undefined ? {} : { image: result.image }),
  at: result.at,
});

const isPublished = (state: RunState, event: RunEvent): boolean =>
  event === 'completion' ? state.completionPublished : state.published.has(event.imageKey);

/** Folded journals of this process, by absolute path; shared by every store on the same dir. */
const journals = new Map<string, Journal>();
const withLock = createMutex();

export interface LocalRunStoreOptions {
  dir: string;
  /** What chose the folder, for messages (the CLI's --dir); RETIREMENT_STORE_DIR by default. */
  setting?: string;
  /** The most a journal may hold (tests set less); MAX_STORED_DOCUMENT_BYTES by default. */
  maxJournalBytes?: number;
}

const journalsUnder = (dir: string): string => resolve(dir, 'run-journals');

/** Where the journal of a run is kept under `dir` (the command line tells it of a run cut short). */
export const runJournalPath = (dir: string, runId: string): string =>
  join(journalsUnder(dir), `${runId}.jsonl`);

/**
 * The lock file beside a run's journal: held by the command line's apply while it works the run
 * (lib/stores/file-lock.ts), since this store's mutex serialises one process only.
 */
export const runLockPath = (dir: string, runId: string): string =>
  join(journalsUnder(dir), `${runId}.lock`);

export const localRunStore = (options: LocalRunStoreOptions): RunStore => {
  const root = journalsUnder(options.dir);
  const store: StoreName = {
    what: 'the local store',
    variable: options.setting ?? 'RETIREMENT_STORE_DIR',
    resource: options.dir,
  };
  const pathOf = (runId: string) => runJournalPath(options.dir, runId);

  const corrupt = (runId: string): ConfigurationError =>
    new ConfigurationError(
      `The local journal of run ${runId} (${store.variable}) is damaged or from another version`,
      { logDetail: `${store.what} ${options.dir}: run-journals/${runId}.jsonl` },
    );

  /** The run's state, with whatever was appended since it was last folded. */
  const load = async (runId: string): Promise<Journal> => {
    const path = pathOf(runId);
    let journal = journals.get(path);
    let size: number;
    try {
      size = (await stat(path)).size;
    } catch (error) {
      if (errorCode(error) !== 'ENOENT') throw fileFailure(store, 'read', error);
      size = 0;
    }
    if (journal === undefined || size < journal.size) {
      journal = { size: 0, partial: '', state: emptyState() };
      journals.set(path, journal);
    }
    // A journal grows by a line per outcome: one past the bound (a sparse or foreign file) is no
    // journal, and is not read into memory (allocating it whole failed as a bug, or exhausted it).
    if (size > (options.maxJournalBytes ?? MAX_STORED_DOCUMENT_BYTES)) throw corrupt(runId);
    if (size > journal.size) {
      const buffer = Buffer.alloc(size - journal.size);
      try {
        const handle = await open(path, 'r');
        try {
          await handle.read(buffer, 0, buffer.length, journal.size);
        } finally {
          await handle.close();
        }
      } catch (error) {
        throw fileFailure(store, 'read', error);
      }
      const lines = (journal.partial + buffer.toString('utf8')).split('\n');
      journal.partial = lines.pop() ?? '';
      for (const line of lines) {
        if (line.trim() === '') continue;
        let value: unknown;
        try {
          value = JSON.parse(line);
        } catch {
          throw corrupt(runId);
        }
        const entry = entrySchema.safeParse(value);
        if (!entry.success) throw corrupt(runId);
        apply(journal.state, entry.data);
      }
      journal.size = size;
    }
    return journal;
  };

  /** Appends the entries in one write (none: nothing written). */
  const append = async (runId: string, journal: Journal, ...entries: Entry[]): Promise<void> => {
    if (entries.length === 0) return;
    const lines = entries.map((entry) => `${JSON.stringify(entry)}\n`).join('');
    try {
      await makeFolder(root);
      await appendFile(pathOf(runId), lines);
    } catch (error) {
      throw fileFailure(store, 'write to', error);
    }
    journal.size += Buffer.byteLength(lines);
    for (const entry of entries) apply(journal.state, entry);
  };

  /** Runs `work` on the run's journal, one call at a time per run. */
  const locked = <T>(runId: string, work: (journal: Journal) => Promise<T>): Promise<T> =>
    withLock(pathOf(runId), async () => work(await load(runId)));

  const existingRun = (runId: string, journal: Journal): Run => {
    if (journal.state.run === undefined) throw runNotStored(runId);
    return journal.state.run;
  };

  const completeIfDone = async (runId: string, journal: Journal, at: string, by?: string) => {
    const run = existingRun(runId, journal);
    if (run.status !== 'running' || countsTotal(run.counts) < run.total) return false;
    await append(runId, journal, { op: 'complete', at, ...(by === undefined ? {} : { by }) });
    return true;
  };

  const checkIds = (runId: string, imageKey?: string): void => {
    if (!RUN_ID_PATTERN.test(runId)) throw runNotStored(runId);
    if (imageKey !== undefined) checkImageKey(imageKey);
  };

  /** Records the outcome once; with `unlessDeleteSent`, not once a delivery noted its delete. */
  const finishWith = async (
    runId: string,
    imageKey: string,
    result: FinishInput,
    unlessDeleteSent: boolean,
  ): Promise<FinishResult | undefined> => {
    checkIds(runId, imageKey);
    return locked(runId, async (journal) => {
      existingRun(runId, journal);
      const existing = journal.state.outcomes.get(imageKey);
      if (existing?.state === 'final') {
        const completed = await completeIfDone(runId, journal, result.at, imageKey);
        return {
          kind: 'already-final',
          existing: structuredClone(existing),
          run: structuredClone(existingRun(runId, journal)),
          completed,
        };
      }
      if (unlessDeleteSent && (journal.state.deleteSends.get(imageKey) ?? 0) > 0) return undefined;
      await append(runId, journal, finishEntry(imageKey, result));
      const completed = await completeIfDone(runId, journal, result.at, imageKey);
      return { kind: 'recorded', run: structuredClone(existingRun(runId, journal)), completed };
    });
  };

  /** finishUnlessDeleteSent for each decision, in one locked step and one append. */
  const finishManyUnlessDeleteSent = async (
    runId: string,
    decisions: readonly { imageKey: string; result: FinishInput }[],
  ): Promise<FinishManyResult> => {
    checkIds(runId);
    checkDistinctImageKeys(decisions.map(({ imageKey }) => imageKey));
    return locked(runId, async (journal) => {
      existingRun(runId, journal);
      const { state } = journal;
      const entries: Entry[] = [];
      const each = decisions.map(({ imageKey, result }): FinishEach => {
        const existing = state.outcomes.get(imageKey);
        if (existing?.state === 'final') {
          return { kind: 'already-final', existing: structuredClone(existing) };
        }
        if ((state.deleteSends.get(imageKey) ?? 0) > 0) return { kind: 'delete-sent' };
        entries.push(finishEntry(imageKey, result));
        return { kind: 'recorded' };
      });
      await append(runId, journal, ...entries);
      // Completed, as by the finish of the last decision recorded (or, none recorded, the last).
      const owner =
        decisions.findLast((_, index) => each[index]?.kind === 'recorded') ?? decisions.at(-1);
      const completed =
        owner !== undefined &&
        (await completeIfDone(runId, journal, owner.result.at, owner.imageKey));
      return { each, run: structuredClone(existingRun(runId, journal)), completed };
    });
  };

  return {
    create: async (run: NewRun) => {
      checkNewRunId(run.runId);
      return locked(run.runId, async (journal) => {
        if (journal.state.run !== undefined) return 'exists';
        const created: Run = { ...run, counts: emptyCounts(), status: 'running' };
        await append(run.runId, journal, { op: 'create', run: runSchema.parse(created) });
        return 'created';
      });
    },

    claim: async (runId, imageKey, at): Promise<ClaimResult> => {
      checkIds(runId, imageKey);
      return locked(runId, async (journal) => {
        existingRun(runId, journal);
        const existing = journal.state.outcomes.get(imageKey);
        if (existing !== undefined) {
          return { kind: 'already-claimed', existing: structuredClone(existing) };
        }
        await append(runId, journal, { op: 'claim', imageKey, at });
        return { kind: 'claimed' };
      });
    },

    finish: (runId, imageKey, result) =>
      finishWith(runId, imageKey, result, false) as Promise<FinishResult>,

    finishUnlessDeleteSent: (runId, imageKey, result) => finishWith(runId, imageKey, result, true),

    finishManyUnlessDeleteSent,

    markDeleteSent: async (runId, imageKey, at) => {
      checkIds(runId, imageKey);
      return locked(runId, async (journal) => {
        existingRun(runId, journal);
        // Its outcome is recorded (another delivery, or apply): no delete may follow.
        if (journal.state.outcomes.get(imageKey)?.state === 'final') return false;
        await append(runId, journal, { op: 'delete-sent', imageKey, at });
        return true;
      });
    },

    deleteSends: async (runId, imageKey) => {
      if (!RUN_ID_PATTERN.test(runId)) return 0;
      checkImageKey(imageKey);
      return locked(runId, async (journal) => journal.state.deleteSends.get(imageKey) ?? 0);
    },

    markPublished: async (runId, event, at) => {
      checkIds(runId, event === 'completion' ? undefined : event.imageKey);
      return locked(runId, async (journal) => {
        const { state } = journal;
        // Only for what exists (an outcome recorded, a run stored), once.
        if (isPublished(state, event) || state.run === undefined) return;
        if (event !== 'completion' && state.outcomes.get(event.imageKey)?.state !== 'final') return;
        await append(runId, journal, {
          op: 'published',
          ...(event === 'completion' ? {} : { imageKey: event.imageKey }),
          at,
        });
      });
    },

    unpublished: async (runId, imageKey) => {
      if (!RUN_ID_PATTERN.test(runId)) return { outcome: false, completion: false };
      checkImageKey(imageKey);
      return locked(runId, async ({ state }) => ({
        outcome:
          state.outcomes.get(imageKey)?.state === 'final' && !isPublished(state, { imageKey }),
        completion: state.completedBy === imageKey && !state.completionPublished,
      }));
    },

    complete: async (runId, at) => {
      checkIds(runId);
      return locked(runId, (journal) => completeIfDone(runId, journal, at));
    },

    read: async (runId): Promise<RunDocument | undefined> => {
      if (!RUN_ID_PATTERN.test(runId)) return undefined;
      return locked(runId, async (journal) => {
        const { run, outcomes } = journal.state;
        if (run === undefined) return undefined;
        const sorted = [...outcomes.values()].sort(byImageKey);
        return structuredClone({ run, outcomes: sorted });
      });
    },

    readRun: async (runId) => {
      if (!RUN_ID_PATTERN.test(runId)) return undefined;
      return locked(runId, async ({ state }) =>
        state.run === undefined ? undefined : structuredClone(state.run),
      );
    },
  };
};
