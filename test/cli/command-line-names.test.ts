// The command line names a refused field as the person typed it (COMMAND_LINE_NAMES,
// lib/cli/commands/arguments.ts). The table is written by hand: a field added to an image
// command's input and not named there would be refused by the API's key, which is what this
// catches.

import { describe, expect, it } from 'vitest';
import { COMMAND_LINE_NAMES } from '../../lib/cli/commands/arguments.js';
import {
  deleteInputSchema,
  listInputSchema,
  showInputSchema,
  usageInputSchema,
} from '../../lib/validation/inputs.js';

/** The top-level keys of an object schema (zod/mini keeps them in its definition). */
const keysOf = (schema: unknown): string[] => {
  const { shape } = (schema as { _zod: { def: { shape?: Record<string, unknown> } } })._zod.def;
  if (shape === undefined) throw new Error('not an object schema');
  return Object.keys(shape);
};

describe('COMMAND_LINE_NAMES', () => {
  it.each([
    ['show', showInputSchema],
    ['delete', deleteInputSchema],
    ['list', listInputSchema],
    ['usage', usageInputSchema],
  ] as const)('names every field of the %s input as a flag or an argument', (_command, schema) => {
    // Act
    const keys = keysOf(schema());

    // Assess
    expect(keys.length).toBeGreaterThan(1);
    expect(keys.filter((key) => !Object.hasOwn(COMMAND_LINE_NAMES, key))).toEqual([]);
    for (const key of keys) expect(COMMAND_LINE_NAMES[key]).toMatch(/^(--[a-z-]+|[A-Z_]+)$/);
  });
});
