// The command line's own failures, besides the error table's: a bad command line (exit 2) and a
// confirmation answered "no" (exit 3). Neither reaches an operation.

import { EXIT_CANCELLED, EXIT_USAGE } from './exit-status.js';

export abstract class CliFailure extends Error {
  abstract readonly exitStatus: number;
  /** The `code` of the `--json` error body (the error table's codes are upper snake case too). */
  abstract readonly code: string;
}

export class UsageError extends CliFailure {
  override readonly name = 'UsageError';
  readonly exitStatus = EXIT_USAGE;
  readonly code = 'USAGE_ERROR';
}

export class Cancelled extends CliFailure {
  override readonly name = 'Cancelled';
  readonly exitStatus = EXIT_CANCELLED;
  readonly code = 'CANCELLED';
}
