// Aligned columns without borders (the layout of `kubectl get` and `docker ps`): readable on a
// terminal, and still one record per line for grep, cut and awk when piped. cli-table3 measures
// cells by their printed width, so colour codes do not break the alignment.

import Table from 'cli-table3';

const BORDERLESS = {
  top: '',
  'top-mid': '',
  'top-left': '',
  'top-right': '',
  bottom: '',
  'bottom-mid': '',
  'bottom-left': '',
  'bottom-right': '',
  left: '',
  'left-mid': '',
  mid: '',
  'mid-mid': '',
  right: '',
  'right-mid': '',
  middle: '  ',
};

const render = (rows: readonly (readonly string[])[], head?: readonly string[]): string => {
  const table = new Table({
    ...(head === undefined ? {} : { head: [...head] }),
    chars: BORDERLESS,
    // Colour is ours (picocolors, off when piped); cli-table3's own would ignore NO_COLOR.
    style: { head: [], border: [], 'padding-left': 0, 'padding-right': 0 },
  });
  for (const row of rows) table.push([...row]);
  return `${table
    .toString()
    .split('\n')
    .map((line) => line.trimEnd())
    .join('\n')}\n`;
};

/** Columns under a header row. */
export const columns = (head: readonly string[], rows: readonly (readonly string[])[]): string =>
  render(rows, head);

/** One record as `key  value` lines, the keys aligned. */
export const keyValues = (entries: readonly (readonly [string, string])[]): string =>
  render(entries);
