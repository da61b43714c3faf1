// Ctrl-C (SIGINT) or SIGTERM while a command works: what has to happen on the way out (a progress
// bar stopped, so that the cursor shows again; an apply saying how far its run got), the latest
// first, then the signal ends the process as it would with nobody listening (status 130 for
// Ctrl-C). No listener is left to keep Node running: an apply that went on deleting after Ctrl-C
// (cli-progress's gracefulExit) is what this replaced. One home, so that the last words are said
// in order and the signal is sent again once.

const SIGNALS = ['SIGINT', 'SIGTERM'] as const;

interface LastWords {
  say(signal: NodeJS.Signals): void;
}

const pending: LastWords[] = [];

const listen = (on: boolean): void => {
  for (const signal of SIGNALS) {
    if (on) process.on(signal, onSignal);
    else process.off(signal, onSignal);
  }
};

function onSignal(signal: NodeJS.Signals): void {
  const words = pending.splice(0).reverse();
  listen(false);
  for (const each of words) {
    try {
      each.say(signal);
    } catch {
      // A stream that has gone: the signal still ends the process.
    }
  }
  // No listener left: the signal's default action ends the process.
  process.kill(process.pid, signal);
}

/**
 * Runs `say` (synchronous: the process ends right after) when SIGINT or SIGTERM comes before the
 * returned release is called.
 */
export const beforeSignalEnds = (say: (signal: NodeJS.Signals) => void): (() => void) => {
  const words: LastWords = { say };
  if (pending.length === 0) listen(true);
  pending.push(words);
  return () => {
    const at = pending.indexOf(words);
    if (at === -1) return;
    pending.splice(at, 1);
    if (pending.length === 0) listen(false);
  };
};
