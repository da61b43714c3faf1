// One zod issue in the words a caller reads: `<field>: <what is wrong>`, the field its path
// (`limits.maxDeletions`, `select.status.1`) or, for the value as a whole, the root's name. Where
// the schema gave no message of its own, zod's English is put in plain words: a missing value
// `is required`, a wrong type as what the value must be (`must be a string`, `true or false`, `a
// list`, `an object`), a value outside a set `must be one of a, b`, a bound as the bound (`must not
// be empty`, `must be at most 64 characters`, `must list at most 7 items`, `must be at least 1`),
// unknown keys `unknown field(s): a, b` (names bounded, lib/schema/caller-names.ts). Every reader
// of callers' documents (the inputs of every trigger, a policy, a plan file) words its issues here;
// what sets them apart is the root's name, whether it is named with unknown fields at the top, and
// the names the caller gave the fields (the command line's flags and arguments).

import { shownName, unknownFields } from './caller-names.js';
import { literalPattern } from './literal-pattern.js';
import * as z from './zod.js';

export interface IssueWording {
  /** The value as a whole, for an issue at the top: `input`, `policy`, `plan`. */
  root: string;
  /**
   * Whether unknown keys at the top are named with the root (a policy: `policy: unknown field(s):
   * x`) or alone (the inputs: `unknown field(s): x`); further in, always with where they are.
   */
  nameRootWithUnknownKeys: boolean;
  /**
   * What the caller calls the top-level fields, where that is not their key (the command line:
   * `createdBefore` is `--created-before`, `imageId` is `IMAGE_ID`). A field named here is the
   * issue's field, whatever lies under it: an item of a list is told by its value
   * (`--status: "weird" must be one of ...`), else by its place (`item 2`). A custom issue names
   * in `params.mentions` the other fields its message speaks of, which are called so too wherever
   * their key stands as a word in it (keys are identifiers such as `createdBefore`, never words
   * the message uses otherwise).
   * Unset (the HTTP API, tasks, queues): the keys, as the contract names them.
   */
  fields?: Readonly<Record<string, string>>;
}

/** The dotted field of `path`, or the root's name at the top. */
const issueField = (path: readonly PropertyKey[], root: string): string =>
  path.length > 0 ? path.map(String).join('.') : root;

/** The field the caller named, and the item under it when the issue is deeper (its value or place). */
const calledField = (
  issue: z.core.$ZodIssue,
  fields: Readonly<Record<string, string>>,
): { field: string; item: string } | undefined => {
  const [head, ...under] = issue.path;
  const field = head === undefined ? undefined : fields[String(head)];
  if (field === undefined) return undefined;
  if (under.length === 0) return { field, item: '' };
  // Bounded and printable, as any name a caller chose (caller-names.ts): not repeated back whole.
  if (typeof issue.input === 'string') {
    return { field, item: `${JSON.stringify(shownName(issue.input))} ` };
  }
  const place = under.map((step) => (typeof step === 'number' ? String(step + 1) : String(step)));
  return { field, item: `item ${place.join('.')} ` };
};

/** The message with the fields it mentions (a custom issue's `params.mentions`) as the caller calls them. */
const withMentions = (
  issue: z.core.$ZodIssue,
  message: string,
  fields: Readonly<Record<string, string>>,
): string => {
  const mentions: unknown = issue.code === 'custom' ? issue.params?.mentions : undefined;
  if (!Array.isArray(mentions)) return message;
  return mentions.reduce<string>((text, key) => {
    const called = typeof key === 'string' ? fields[key] : undefined;
    if (called === undefined) return text;
    // The key as a whole word (not inside a longer one), taken literally; the name by a function,
    // which String.replace leaves as it is (a string's `$&` or `$1` would be expanded).
    const word = new RegExp(`(?<!\\w)${literalPattern(key)}(?!\\w)`, 'g');
    return text.replace(word, () => called);
  }, message);
};

/** What a value of each type zod names is, as a caller reads it (`must be ...`). */
const TYPE_WORDS: Readonly<Record<string, string>> = {
  string: 'a string',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  array: 'a list',
  object: 'an object',
};

/** A date-time zod refused, when zod worded it: what one looks like (plans, runs and events hold them). */
const badDateTimeOf = (issue: z.core.$ZodIssue): string | undefined =>
  issue.code === 'invalid_format' &&
  issue.format === 'datetime' &&
  issue.message === z.zodsOwnWords(issue)
    ? 'must be an ISO 8601 date and time in UTC, such as 2026-01-31T12:00:00.000Z'
    : undefined;

/** A wrong type as what the value must be, when zod worded it and the type has words here. */
const wrongTypeOf = (issue: z.core.$ZodIssue): string | undefined => {
  if (issue.code !== 'invalid_type' || issue.message !== z.zodsOwnWords(issue)) return undefined;
  const words = TYPE_WORDS[issue.expected];
  return words === undefined ? undefined : `must be ${words}`;
};

/** `1 item`, `7 items`. */
const counted = (count: number | bigint, unit: string): string =>
  `${count} ${unit}${Number(count) === 1 ? '' : 's'}`;

/** A size or number out of bounds, in words, when zod worded it and its kind has words here. */
const outOfBoundsOf = (issue: z.core.$ZodIssue): string | undefined => {
  if (issue.code !== 'too_small' && issue.code !== 'too_big') return undefined;
  if (issue.message !== z.zodsOwnWords(issue)) return undefined;
  const small = issue.code === 'too_small';
  const bound = small ? issue.minimum : issue.maximum;
  const exact = issue.exact === true;
  const atLeastOne = small && !exact && Number(bound) === 1;
  const side = exact ? 'exactly' : small ? 'at least' : 'at most';
  switch (issue.origin) {
    case 'string':
      return atLeastOne ? 'must not be empty' : `must be ${side} ${counted(bound, 'character')}`;
    case 'array':
      return atLeastOne
        ? 'must list at least one item'
        : `must list ${side} ${counted(bound, 'item')}`;
    case 'number':
    case 'int':
    case 'bigint':
      if (issue.inclusive === false && !exact)
        return `must be ${small ? 'more' : 'less'} than ${bound}`;
      return `must be ${side} ${bound}`;
    default:
      return undefined;
  }
};

/** What is wrong, without the field: a missing value `is required`, a choice, type or bound as asked, else zod's words. */
const problemOf = (issue: z.core.$ZodIssue): string => {
  if (issue.code === 'invalid_type' && issue.input === undefined) return 'is required';
  const wrongType = wrongTypeOf(issue);
  if (wrongType !== undefined) return wrongType;
  const outOfBounds = outOfBoundsOf(issue);
  if (outOfBounds !== undefined) return outOfBounds;
  const badDateTime = badDateTimeOf(issue);
  if (badDateTime !== undefined) return badDateTime;
  if (issue.code === 'invalid_value') {
    const allowed = issue.values.map((value) => String(value)).join(', ');
    return `must be ${issue.values.length > 1 ? 'one of ' : ''}${allowed}`;
  }
  return issue.message;
};

/** The issue's field (where a refusal points) and its message. */
export const describeIssue = (
  issue: z.core.$ZodIssue,
  wording: IssueWording,
): { field: string; message: string } => {
  const field = issueField(issue.path, wording.root);
  if (issue.code === 'unrecognized_keys') {
    const named = issue.path.length > 0 || wording.nameRootWithUnknownKeys;
    return {
      field: issueField([...issue.path, shownName(issue.keys[0] ?? '')], wording.root),
      message: `${named ? `${field}: ` : ''}${unknownFields(issue.keys)}`,
    };
  }
  const fields = wording.fields ?? {};
  const problem = withMentions(issue, problemOf(issue), fields);
  const called = calledField(issue, fields);
  return called === undefined
    ? { field, message: `${field}: ${problem}` }
    : { field: called.field, message: `${called.field}: ${called.item}${problem}` };
};

/** Whether `path` is `under` or lies beneath it. */
const within = (path: readonly PropertyKey[], under: readonly PropertyKey[]): boolean =>
  under.length <= path.length && under.every((step, index) => path[index] === step);

/**
 * Every issue of a parse, described, but for those at or under a value of the wrong type: zod
 * checks the length of anything that has one, so a string where a list goes (`regions: "bj"`) or a
 * list where text goes would also be told a list's or a text's bounds (`must list at most 7
 * statuses`, `must list at least one item` of a string), which say nothing true of it.
 */
export const describeIssues = (
  issues: readonly z.core.$ZodIssue[],
  wording: IssueWording,
): Array<{ field: string; message: string }> => {
  // Whatever order the issues come in (zod's own puts a value's type first; a caller may not).
  const wrongTyped = issues.filter((issue) => issue.code === 'invalid_type');
  const kept = issues.filter(
    (issue) =>
      !wrongTyped.some(
        (typed) =>
          typed !== issue &&
          within(issue.path, typed.path) &&
          (issue.code !== 'invalid_type' || typed.path.length < issue.path.length),
      ),
  );
  return kept.map((issue) => describeIssue(issue, wording));
};
