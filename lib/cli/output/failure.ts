// How a failure is told: on stderr, the error's name, its message and what it means and what to do
// (the error table's words), or with --json the HTTP API's error body; and the exit status that
// names it (exit-status.ts).

import { ERROR_TABLE, INTERNAL_ERROR } from '../../errors/error-table.js';
import { isImageError } from '../../errors/errors.js';
import { CliFailure } from '../cli-errors.js';
import { EXIT_INTERNAL, exitStatusOfError } from '../exit-status.js';
import type { Output } from './output.js';
import { printable, terminalJson } from './printable.js';

interface Told {
  status: number;
  name: string;
  code: string;
  message: string;
  advice?: string | undefined;
  upstreamRequestId?: string | undefined;
  retryAfterSeconds?: number | undefined;
}

const describe = (error: unknown): Told => {
  if (isImageError(error)) {
    return {
      status: exitStatusOfError(error.name),
      name: error.name,
      code: error.code,
      message: error.message,
      advice: ERROR_TABLE[error.name].meaning,
      upstreamRequestId: error.upstream?.requestId,
      retryAfterSeconds: error.retryAfterSeconds,
    };
  }
  if (error instanceof CliFailure) {
    return { status: error.exitStatus, name: error.name, code: error.code, message: error.message };
  }
  return {
    status: EXIT_INTERNAL,
    name: INTERNAL_ERROR.name,
    code: INTERNAL_ERROR.code,
    // Unlike the HTTP API's caller, the person here runs the code: the message helps them report it.
    message: error instanceof Error ? error.message : String(error),
    advice:
      'Unexpected: a bug in cloud-images. Run again with --verbose for the stack and report it.',
  };
};

/** Tells the failure and returns the exit status. */
export const reportFailure = (
  error: unknown,
  output: Output,
  requestId: string,
  verbose: boolean,
): number => {
  const told = describe(error);
  const { stderr } = output.streams;
  if (output.json) {
    const body = {
      error: {
        code: told.code,
        message: told.message,
        requestId,
        ...(told.upstreamRequestId === undefined
          ? {}
          : { upstreamRequestId: told.upstreamRequestId }),
      },
    };
    stderr.write(`${terminalJson(body)}\n`);
    return told.status;
  }
  const { err } = output;
  const lines = [`${err.bold(err.red(told.name))}: ${printable(told.message)}`];
  if (told.advice !== undefined) lines.push(`  ${err.dim(told.advice)}`);
  if (told.retryAfterSeconds !== undefined) {
    lines.push(`  Try again in ${told.retryAfterSeconds} s.`);
  }
  if (told.upstreamRequestId !== undefined) {
    lines.push(`  The cloud's request id (for its support): ${told.upstreamRequestId}`);
  }
  if (verbose && told.status === EXIT_INTERNAL && error instanceof Error && error.stack) {
    lines.push(err.dim(error.stack));
  }
  stderr.write(`${lines.join('\n')}\n`);
  return told.status;
};
