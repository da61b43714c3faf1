// How a variable's text becomes a value, for every variable the functions read: the one reading of
// "unset" and of a number, so that each variable refuses the same things with the same words.

import { describeIssues } from '../schema/issues.js';
import * as z from '../schema/zod.js';

/** An empty (or blank) variable counts as unset: its default applies. */
export const emptyAsUnset = (value: unknown): unknown =>
  typeof value === 'string' && value.trim() === '' ? undefined : value;

/**
 * A whole number written in digits, from `min` to `max` (`fallback` when unset). Digits only:
 * `Number()` would also read `0x10` as 16, `1e3` as 1000 and `abc` as NaN ("expected number,
 * received NaN", which names neither what was wrong nor what is wanted).
 */
export const wholeNumber = (
  fallback: number,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
  unit?: string,
) => {
  const number = unit === undefined ? 'a whole number' : `a whole number of ${unit}`;
  const wanted =
    max === Number.MAX_SAFE_INTEGER
      ? `must be ${number} of at least ${min}, in digits`
      : `must be ${number} from ${min} to ${max}, in digits`;
  return z.preprocess(
    emptyAsUnset,
    z._default(
      z.pipe(
        z.pipe(
          z.string().check(z.regex(/^\s*\d{1,15}\s*$/, wanted)),
          z.transform((text: string) => Number(text.trim())),
        ),
        z.number().check(z.gte(min, wanted), z.lte(max, wanted)),
      ),
      fallback,
    ),
  );
};

/** The longest a Node timer waits (about 24.8 days): past it, a timer fires after 1 ms. */
export const MAX_TIMER_MS = 2_147_483_647;

/**
 * A duration in milliseconds, from 1 to the longest a timer can wait (`fallback` when unset): a
 * timeout past that limit would fire at once, failing every attempt it was meant to allow.
 */
export const milliseconds = (fallback: number) =>
  wholeNumber(fallback, 1, MAX_TIMER_MS, 'milliseconds');

/**
 * The problems of a parse of the environment, each `VARIABLE: what it must be`, in the describer's
 * plain words (never the value: a variable may hold a secret).
 */
export const environmentProblems = (error: z.core.$ZodError): string =>
  describeIssues(error.issues, { root: 'environment', nameRootWithUnknownKeys: false })
    .map((described) => described.message)
    .join('; ');
