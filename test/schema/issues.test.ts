// The one wording of a zod issue (lib/schema/issues.ts), which the inputs of every trigger, a
// policy and a plan file each read their refusals through: the field and its message in plain
// words wherever zod would give its own, and what each reader words its own way (the root's name,
// whether it is named with unknown fields, the command line's names for the fields).

import { describe, expect, it } from 'vitest';
import { describeIssue, describeIssues, type IssueWording } from '../../lib/schema/issues.js';
import * as z from '../../lib/schema/zod.js';

const schema = z.strictObject({
  name: z.string(),
  kind: z.optional(z.enum(['machine', 'disk'])),
  version: z.optional(z.literal(1)),
  limits: z.optional(z.strictObject({ max: z.number() })),
});

/** Each issue of `value` against the schema, worded as `wording` says. */
const described = (value: unknown, wording: IssueWording) => {
  const result = schema.safeParse(value, { reportInput: true });
  if (result.success) throw new Error('accepted');
  return result.error.issues.map((issue) => describeIssue(issue, wording));
};

const INPUT: IssueWording = { root: 'input', nameRootWithUnknownKeys: false };
const POLICY: IssueWording = { root: 'policy', nameRootWithUnknownKeys: true };

describe('describeIssue', () => {
  it('names the field by its path, the root by its name, and a missing value as required', () => {
    expect(described({ name: 'a', limits: { max: 'ten' } }, INPUT)).toEqual([
      { field: 'limits.max', message: 'limits.max: must be a number' },
    ]);
    expect(described({ limits: {} }, INPUT)).toEqual([
      { field: 'name', message: 'name: is required' },
      { field: 'limits.max', message: 'limits.max: is required' },
    ]);
    expect(described([], POLICY)).toEqual([
      { field: 'policy', message: 'policy: must be an object' },
    ]);
  });

  it('words unknown fields bounded, naming the root only where asked; the field is the first of them', () => {
    const value = { name: 'a', extra: 1, other: 2, limits: { max: 1, maxx: 2 } };
    expect(described(value, INPUT)).toEqual([
      { field: 'limits.maxx', message: 'limits: unknown field(s): maxx' },
      { field: 'extra', message: 'unknown field(s): extra, other' },
    ]);
    expect(described(value, POLICY).map((issue) => issue.message)).toEqual([
      'limits: unknown field(s): maxx',
      'policy: unknown field(s): extra, other',
    ]);
    expect(described({ name: 'a', ['k'.repeat(100)]: 1 }, INPUT)[0]?.message).toBe(
      `unknown field(s): ${'k'.repeat(64)}… (100 characters)`,
    );
  });

  it('says what a value of the wrong type must be, keeping a message the schema gave', () => {
    const typed = z.strictObject({
      name: z.optional(z.string()),
      count: z.optional(z.number()),
      whole: z.optional(z.int()),
      days: z.optional(z.int('must be a whole number of days')),
      on: z.optional(z.boolean()),
      tags: z.optional(z.array(z.string())),
      limits: z.optional(z.strictObject({})),
    });
    const messages = (value: unknown, wording: IssueWording) => {
      const result = typed.safeParse(value, { reportInput: true });
      if (result.success) throw new Error('accepted');
      return result.error.issues.map((issue) => describeIssue(issue, wording).message);
    };
    const value = {
      name: 5,
      count: '5',
      whole: 1.5,
      days: 'ten',
      on: 'yes',
      tags: 'a',
      limits: [],
    };

    expect(messages(value, POLICY)).toEqual([
      'name: must be a string',
      'count: must be a number',
      'whole: must be a whole number',
      'days: must be a whole number of days',
      'on: must be true or false',
      'tags: must be a list',
      'limits: must be an object',
    ]);
    expect(messages(null, POLICY)).toEqual(['policy: must be an object']);
    expect(messages({ tags: [1] }, { ...INPUT, fields: { tags: '--tag' } })).toEqual([
      '--tag: item 1 must be a string',
    ]);
  });

  it('says a bound zod words in words, keeping a message the schema gave', () => {
    const bounded = z.strictObject({
      key: z.optional(z.string().check(z.minLength(1))),
      code: z.optional(z.string().check(z.minLength(3), z.maxLength(8))),
      sizes: z.optional(z.array(z.number()).check(z.minLength(1), z.maxLength(2))),
      pair: z.optional(z.array(z.number()).check(z.length(2))),
      count: z.optional(z.int().check(z.gte(1), z.lte(1000))),
      share: z.optional(z.number().check(z.gt(0), z.lt(1))),
      regions: z.optional(z.array(z.string()).check(z.maxLength(1, 'must list at most 1 region'))),
    });
    const messages = (value: unknown, wording: IssueWording) => {
      const result = bounded.safeParse(value, { reportInput: true });
      if (result.success) throw new Error('accepted');
      return result.error.issues.map((issue) => describeIssue(issue, wording).message);
    };

    expect(
      messages(
        { key: '', code: 'ab', sizes: [], pair: [1], count: 0, share: 0, regions: ['a', 'b'] },
        POLICY,
      ),
    ).toEqual([
      'key: must not be empty',
      'code: must be at least 3 characters',
      'sizes: must list at least one item',
      'pair: must list exactly 2 items',
      'count: must be at least 1',
      'share: must be more than 0',
      'regions: must list at most 1 region',
    ]);
    expect(
      messages({ code: 'abcdefghi', sizes: [1, 2, 3], count: 1001, share: 1 }, POLICY),
    ).toEqual([
      'code: must be at most 8 characters',
      'sizes: must list at most 2 items',
      'count: must be at most 1000',
      'share: must be less than 1',
    ]);
  });

  it('describes every issue but those at or under a value of the wrong type (zod checks the length of anything that has one)', () => {
    const lists = z.strictObject({
      regions: z.array(z.string()).check(z.minLength(1, 'must list at least one region')),
      name: z.string().check(z.minLength(1), z.maxLength(3)),
      limits: z.strictObject({ max: z.number() }),
    });
    const result = lists.safeParse(
      { regions: '', name: ['a', 'b', 'c', 'd'], limits: { max: 'x' } },
      { reportInput: true },
    );
    if (result.success) throw new Error('accepted');

    expect(describeIssues(result.error.issues, POLICY)).toEqual([
      { field: 'regions', message: 'regions: must be a list' },
      { field: 'name', message: 'name: must be a string' },
      { field: 'limits.max', message: 'limits.max: must be a number' },
    ]);
    // In any order: a bound told before the wrong type it lies under is left out all the same.
    expect(describeIssues([...result.error.issues].reverse(), POLICY)).toEqual([
      { field: 'limits.max', message: 'limits.max: must be a number' },
      { field: 'name', message: 'name: must be a string' },
      { field: 'regions', message: 'regions: must be a list' },
    ]);
  });

  it('lists the allowed values', () => {
    expect(described({ name: 'a', kind: 'tape', version: 2 }, POLICY)).toEqual([
      { field: 'kind', message: 'kind: must be one of machine, disk' },
      { field: 'version', message: 'version: must be 1' },
    ]);
    expect(described({ name: 'a', kind: 'tape' }, INPUT)[0]?.message).toBe(
      'kind: must be one of machine, disk',
    );
  });

  it('names the fields as the caller calls them where asked: an item by its value or place, and the fields a message mentions', () => {
    const ranged = z
      .strictObject({
        fromDay: z.optional(z.number()),
        toDay: z.optional(z.number()),
        tags: z.optional(z.array(z.enum(['a', 'b']))),
        sizes: z.optional(z.array(z.number())),
      })
      .check(
        z.superRefine((value, ctx) => {
          if ((value.fromDay ?? 0) > (value.toDay ?? Infinity)) {
            const message = 'must not be after toDay (from and to are kept)';
            ctx.addIssue({
              code: 'custom',
              path: ['fromDay'],
              message,
              params: { mentions: ['toDay'] },
            });
          }
        }),
      );
    const FLAGS: IssueWording = {
      ...INPUT,
      fields: { fromDay: '--from', toDay: '--to', tags: '--tag', sizes: 'SIZES' },
    };
    const issues = (value: unknown, wording: IssueWording) => {
      const result = ranged.safeParse(value, { reportInput: true });
      if (result.success) throw new Error('accepted');
      return result.error.issues.map((issue) => describeIssue(issue, wording));
    };
    const value = { fromDay: 3, toDay: 2, tags: ['a', 'c'], sizes: [1, 'x'] };

    expect(issues(value, FLAGS)).toEqual([
      { field: '--tag', message: '--tag: "c" must be one of a, b' },
      { field: 'SIZES', message: 'SIZES: "x" must be a number' },
    ]);
    expect(issues({ tags: ['c'.repeat(100)] }, FLAGS)[0]?.message).toBe(
      `--tag: "${'c'.repeat(64)}… (100 characters)" must be one of a, b`,
    );
    expect(issues({ fromDay: 3, toDay: 2, sizes: [1, null] }, FLAGS)).toEqual([
      { field: 'SIZES', message: 'SIZES: item 2 must be a number' },
    ]);
    expect(issues({ fromDay: 3, toDay: 2 }, FLAGS)).toEqual([
      { field: '--from', message: '--from: must not be after --to (from and to are kept)' },
    ]);
    // Without the option: the keys, and the message as written.
    expect(issues({ fromDay: 3, toDay: 2 }, INPUT)).toEqual([
      { field: 'fromDay', message: 'fromDay: must not be after toDay (from and to are kept)' },
    ]);
    expect(issues({ tags: ['c'] }, INPUT)[0]?.message).toBe('tags.0: must be one of a, b');
  });

  it('takes a mentioned key and the name it is called by literally: no pattern in the one, no $ substitution in the other', () => {
    // Prepare: a key with pattern characters, a look-alike the unescaped pattern would match, and
    // a name with the replacement patterns String.replace expands ($& the match, $$ a dollar).
    const issue: z.core.$ZodIssue = {
      code: 'custom',
      path: ['size'],
      message: 'must be less than size.max+ (not sizeXmax+, size.max+1)',
      input: 3,
      params: { mentions: ['size.max+'] },
    };
    const wording: IssueWording = { ...INPUT, fields: { 'size.max+': '--max-$&-$$-$1' } };

    // Act
    const { message } = describeIssue(issue, wording);

    // Assess
    expect(message).toBe('size: must be less than --max-$&-$$-$1 (not sizeXmax+, size.max+1)');
  });
});
