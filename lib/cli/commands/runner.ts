// How a command's action runs: main.ts builds the session from the parsed flags and reports what
// the action throws.

import type { Command } from 'commander';
import type { Session } from '../session.js';

export type Runner = (
  action: (session: Session) => Promise<void>,
  command: Command,
) => Promise<void>;
