// The command line names a refused field as the person typed it (COMMAND_LINE_NAMES,
// lib/cli/commands/arguments.ts). The table is written by hand: a field added to an image
// command's input and not named there would be refused by the API's key, which is what this
// catches.

import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { COMMAND_LINE_NAMES } from '../../lib/cli/commands/arguments.js';
import { registerDelete } from '../../lib/cli/commands/delete.js';
import { registerList } from '../../lib/cli/commands/list.js';
import { registerShow } from '../../lib/cli/commands/show.js';
import { registerUsage } from '../../lib/cli/commands/usage.js';
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

describe('the help of the image commands', () => {
  it.each([
    ['show', registerShow],
    ['delete', registerDelete],
    ['list', registerList],
    ['usage', registerUsage],
  ] as const)('names the arguments of %s as its refusals name them', (name, register) => {
    // Prepare: the command as the CLI registers it (it runs nothing here).
    const program = new Command();
    register(program, async () => {});

    // Act
    const command = program.commands.find((each) => each.name() === name);
    const argumentNames = command?.registeredArguments.map((argument) => argument.name()) ?? [];

    // Assess: before, the help said <provider> <image-id> where a refusal said PROVIDER, IMAGE_ID.
    expect(argumentNames.length).toBeGreaterThan(0);
    const refusalNames = Object.values(COMMAND_LINE_NAMES);
    expect(argumentNames.filter((each) => !refusalNames.includes(each))).toEqual([]);
  });
});
