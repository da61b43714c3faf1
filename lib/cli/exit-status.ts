// The exit status of every way `cloud-images` can end: one per error-table name, so a script can
// tell a protected image from a missing one without parsing text. Derived from the table's order
// (lib/errors/error-table.ts): a new error is appended there and gets the next status. The README,
// docs/contract.md and `cloud-images --help` list them; test/cli checks each.

import { ERROR_NAMES, ERROR_TABLE, type ErrorName } from '../errors/error-table.js';

export const EXIT_OK = 0;
/** A bug: anything that is not one of our errors (InternalError over HTTP). */
export const EXIT_INTERNAL = 1;
/** A bad command line: unknown command or flag, a one-value flag given twice, missing argument, or `--yes` needed. */
export const EXIT_USAGE = 2;
/** The person answered "no" at the confirmation prompt (or left it): nothing was done. */
export const EXIT_CANCELLED = 3;

/** The first error-table name's status; the others follow in the table's order. */
const FIRST_ERROR_STATUS = 10;

export const exitStatusOfError = (name: ErrorName): number =>
  FIRST_ERROR_STATUS + ERROR_NAMES.indexOf(name);

/**
 * The error-table name whose exit status a run outcome's error takes (apply ends with its first
 * failed decision's): its own; DeadlineReached (a decision given up on, its last delivery with no
 * time left to work on it) the timeout family's, UpstreamTimeout; anything else none (a bug: 1).
 */
export const exitErrorOfOutcome = (error: string): ErrorName | undefined =>
  error === 'DeadlineReached'
    ? 'UpstreamTimeout'
    : (ERROR_NAMES as readonly string[]).includes(error)
      ? (error as ErrorName)
      : undefined;

export interface ExitStatusRow {
  status: number;
  name: string;
  meaning: string;
}

/** Every exit status, lowest first: what `--help` and the documentation list. */
export const exitStatusTable = (): ExitStatusRow[] => [
  { status: EXIT_OK, name: 'success', meaning: 'Done.' },
  {
    status: EXIT_INTERNAL,
    name: 'InternalError',
    meaning: 'Something unexpected (a bug); the message says what.',
  },
  {
    status: EXIT_USAGE,
    name: 'usage',
    meaning:
      'A bad command line: an unknown command or flag, a flag that takes one value given twice, a missing argument, or a delete from a script without `--yes`.',
  },
  {
    status: EXIT_CANCELLED,
    name: 'cancelled',
    meaning:
      'Answered "no" at the confirmation prompt (or left it with Ctrl-C or Ctrl-D): nothing was done.',
  },
  ...ERROR_NAMES.map((name) => ({
    status: exitStatusOfError(name),
    name,
    meaning:
      name === 'UpstreamTimeout'
        ? `${ERROR_TABLE[name].meaning} Also apply's, when its first failed decision is DeadlineReached (given up on with no time left).`
        : ERROR_TABLE[name].meaning,
  })),
];
