// How the inputs of every trigger word a refusal (lib/validation/inputs.ts, through
// lib/schema/issues.ts): unknown fields unnamed at the top, a value outside a set in zod's words,
// and the refusal's `field` the full path of what is wrong.

import { describe, expect, it } from 'vitest';
import { SEEDED } from '../../emulator/demo.js';
import { InvalidRequest } from '../../lib/errors/errors.js';
import { listInputSchema, parseInput, runMessageSchema } from '../../lib/validation/inputs.js';
import { thrownBy } from '../support/outcomes.js';

const refusal = (run: () => unknown): InvalidRequest => thrownBy(run, InvalidRequest);

const runMessage = {
  provider: 'bcc',
  imageId: SEEDED.bcc.custom,
  region: 'bj',
  planId: `plan-${'a'.repeat(24)}`,
  runId: `run-${'b'.repeat(20)}`,
  imageKey: `bcc:bj:${SEEDED.bcc.custom}`,
  expected: { status: 'available', name: 'custom' },
};

describe('an input refused', () => {
  it('a run message as it is is taken', () => {
    expect(parseInput(runMessageSchema(), runMessage)).toEqual(runMessage);
  });

  it('an unknown field at the top is named alone, one further in with where it is', () => {
    const top = refusal(() => parseInput(runMessageSchema(), { ...runMessage, extra: 1 }));
    expect([top.message, top.field]).toEqual(['unknown field(s): extra', 'extra']);

    const nested = refusal(() =>
      parseInput(runMessageSchema(), {
        ...runMessage,
        expected: { ...runMessage.expected, extra: 1 },
      }),
    );
    // The field was `extra` alone before, as if it were a field of the message itself.
    expect([nested.message, nested.field]).toEqual([
      'expected: unknown field(s): extra',
      'expected.extra',
    ]);
  });

  it('a region longer than 64 characters is refused by its length, whatever its shape', () => {
    // Prepare: the longest region taken, and one character more (both lowercase letters).
    const longest = 'r'.repeat(64);

    // Act
    const taken = parseInput(listInputSchema(), { provider: 'bcc', region: longest });
    const refused = refusal(() =>
      parseInput(listInputSchema(), { provider: 'bcc', region: `${longest}r` }),
    );

    // Assess
    expect(taken.region).toBe(longest);
    expect([refused.message, refused.field]).toEqual([
      'region: must be at most 64 characters',
      'region',
    ]);
  });

  it('a missing field is required; a value outside a set lists the set', () => {
    const { provider: _, ...noProvider } = runMessage;
    expect(refusal(() => parseInput(runMessageSchema(), noProvider)).message).toBe(
      'provider: is required',
    );
    expect(
      refusal(() => parseInput(listInputSchema(), { provider: 'bcc', kind: 'tape' })).message,
    ).toBe('kind: must be one of custom, system, shared, other');
    expect(
      refusal(() =>
        parseInput(listInputSchema(), { provider: 'bcc', status: ['available', 'gone'] }),
      ).message,
    ).toBe(
      'status.1: must be one of available, creating, failed, error, unavailable, deleted, unknown',
    );
  });
});
