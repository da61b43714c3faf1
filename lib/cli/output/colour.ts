// Colour only where a person reads it: a stream that is a terminal, no NO_COLOR (https://no-color.org)
// and no --no-color; FORCE_COLOR turns it on anywhere (a pager that understands it). Each stream
// decides on its own: `cloud-images list | less` still has a coloured error on the terminal.
// NO_COLOR winning over FORCE_COLOR is also applied to the environment by bin/cloud-images.mjs,
// before Node's own colour checks (which would let FORCE_COLOR win, and warn) can run.

import picocolors from 'picocolors';

export type Paint = ReturnType<typeof picocolors.createColors>;

type Env = Readonly<Record<string, string | undefined>>;

const isSet = (value: string | undefined): boolean => value !== undefined && value !== '';

export const colourEnabled = (
  stream: { isTTY?: boolean | undefined },
  env: Env,
  flag: boolean,
): boolean => {
  if (!flag || isSet(env.NO_COLOR)) return false;
  if (isSet(env.FORCE_COLOR) && env.FORCE_COLOR !== '0') return true;
  return stream.isTTY === true && env.TERM !== 'dumb';
};

export const paint = (enabled: boolean): Paint => picocolors.createColors(enabled);
