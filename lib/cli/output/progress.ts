// A progress bar on stderr while work is counted (deletes, pages listed, images scanned), drawn
// only on a terminal and never with --quiet or --json (Output.progress); elsewhere every call is a
// no-op, so commands never ask whether to draw.

import cliProgress from 'cli-progress';
import type { Output } from './output.js';

export interface Progress {
  /** Sets how far it is (and the total, when it changed: a list learns its size page by page). */
  update(done: number, total?: number): void;
  increment(): void;
  /** Leaves the final state on screen, on its own line. */
  stop(): void;
}

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
      // Restores the cursor if the process is interrupted.
      gracefulExit: true,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0);
  return {
    update: (done, newTotal) => {
      if (newTotal !== undefined) bar.setTotal(newTotal);
      bar.update(done);
    },
    increment: () => bar.increment(),
    stop: () => bar.stop(),
  };
};
