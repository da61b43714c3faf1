// What the functions log, captured through lib/log's sink instead of stdout: the raw lines (what
// a secret scan reads), the same lines parsed, and the one-line-per-request checks built on them.

import { expect } from 'vitest';

export type LogLine = Record<string, unknown>;

export interface LogCapture {
  /** The sink to install (`setLogSink(capture.sink)`). */
  readonly sink: (line: string) => void;
  /** Every line as written, oldest first (empty in `count` mode). */
  readonly raw: readonly string[];
  /** Every line parsed. */
  readonly lines: LogLine[];
  /** How many lines were written (in both modes). */
  readonly count: number;
  /** The lines that have these fields (equal values) or satisfy this predicate. */
  linesWhere(match: Partial<LogLine> | ((line: LogLine) => boolean)): LogLine[];
  /** The one line written; fails (showing all of them) when there is not exactly one. */
  only(): LogLine;
  clear(): void;
}

/**
 * `capture` keeps every line; `count` only counts them, for long runs that measure the heap (each
 * line is still produced, redacted and serialised by the logger).
 */
export const createLogCapture = (mode: 'capture' | 'count' = 'capture'): LogCapture => {
  const raw: string[] = [];
  let count = 0;
  const parsed = (): LogLine[] => raw.map((line) => JSON.parse(line) as LogLine);
  return {
    sink: (line) => {
      count += 1;
      if (mode === 'capture') raw.push(line);
    },
    raw,
    get lines() {
      return parsed();
    },
    get count() {
      return count;
    },
    linesWhere: (match) =>
      parsed().filter(
        typeof match === 'function'
          ? match
          : (line) => Object.entries(match).every(([name, value]) => line[name] === value),
      ),
    only: () => {
      const lines = parsed();
      expect(lines, JSON.stringify(lines, null, 2)).toHaveLength(1);
      return lines[0] as LogLine;
    },
    clear: () => {
      raw.length = 0;
      count = 0;
    },
  };
};
