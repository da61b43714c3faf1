// A progress bar on stderr while work is counted (deletes, pages listed, images scanned), drawn
// only on a terminal and never with --quiet or --json (Output.progress); elsewhere every call is a
// no-op, so commands never ask whether to draw.

import cliProgress from 'cli-progress';
import { beforeSignalEnds } from '../interruption.js';
import type { Output } from './output.js';

export interface Progress {
  /** Sets how far it is (and the total, when it changed: a list learns its size page by page). */
  update(done: number, total?: number): void;
  increment(): void;
  /** Leaves the final state on screen, on its own line. */
  stop(): void;
}

/**
 * Ctrl-C (SIGINT) or SIGTERM while a bar is drawn: the bar stops (the cursor shows again) before
 * the signal ends the process (interruption.ts). Returns the bar's stop.
 */
const endedBySignals = (bar: cliProgress.SingleBar): (() => void) => {
  const release = beforeSignalEnds(() => bar.stop());
  return () => {
    release();
    bar.stop();
  };
};

const NO_PROGRESS: Progress = {
  update: () => undefined,
  increment: () => undefined,
  stop: () => undefined,
};

export const startProgress = (output: Output, label: string, total: number): Progress => {
  if (!output.progress) return NO_PROGRESS;
  const { err } = output;
  const bar = new cliProgress.SingleBar(
    {
      format: `${label} ${err.cyan('{bar}')} {value}/{total}`,
      stream: output.streams.stderr as NodeJS.WritableStream,
      barsize: 24,
      hideCursor: true,
      clearOnComplete: false,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0);
  const stop = endedBySignals(bar);
  return {
    update: (done, newTotal) => {
      if (newTotal !== undefined) bar.setTotal(newTotal);
      bar.update(done);
    },
    increment: () => bar.increment(),
    stop,
  };
};

/** Work that cannot be counted (one scan inside an operation): the label and the seconds so far. */
export const startActivity = (output: Output, label: string): { stop(): void } => {
  if (!output.progress) return NO_PROGRESS;
  const bar = new cliProgress.SingleBar({
    format: `${label} ${output.err.dim('{duration}s')}`,
    stream: output.streams.stderr as NodeJS.WritableStream,
    hideCursor: true,
    // The line goes once the work is done: the result says the rest.
    clearOnComplete: true,
  });
  bar.start(1, 0);
  return { stop: endedBySignals(bar) };
};

/** Work counted without a known total (images listed so far): the label and the count. */
export const startCounter = (output: Output, label: string): Progress => {
  if (!output.progress) return NO_PROGRESS;
  const bar = new cliProgress.SingleBar({
    format: `${label}: {value}`,
    stream: output.streams.stderr as NodeJS.WritableStream,
    hideCursor: true,
    clearOnComplete: true,
  });
  bar.start(Number.MAX_SAFE_INTEGER, 0);
  const stop = endedBySignals(bar);
  return {
    update: (done) => bar.update(done),
    increment: () => bar.increment(),
    stop,
  };
};

/** One line that says what is going on (the stage of a plan), redrawn as it changes. */
export const startStatus = (
  output: Output,
  initial: string,
): { set(text: string): void; stop(): void } => {
  if (!output.progress) return { set: () => undefined, stop: () => undefined };
  const bar = new cliProgress.SingleBar({
    format: `{text} ${output.err.dim('{duration}s')}`,
    stream: output.streams.stderr as NodeJS.WritableStream,
    hideCursor: true,
    clearOnComplete: true,
  });
  bar.start(1, 0, { text: initial });
  return { set: (text) => bar.update(0, { text }), stop: endedBySignals(bar) };
};
