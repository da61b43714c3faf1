// zod's functional API (`zod/mini`), the one way lib/ imports zod. Measured at cold start
// (bench/RESULTS.md): the classic API's module graph and its method-chained schemas (every
// `.optional()`, `.min()` or `.describe()` a clone) cost several times what the same schemas cost
// here, and the show and delete functions build every reply, input and configuration schema
// during INIT. zod/mini carries no messages of its own: English ones are set once, here, so the
// errors users read are the same.

import { en } from 'zod/locales';
import {
  config,
  type core,
  pipe,
  transform,
  type ZodMiniPipe,
  type ZodMiniTransform,
} from 'zod/mini';

const english = en();
config(english);

/**
 * What zod's English says of `issue` (an issue of a parse with `reportInput`): equal to its message
 * when the schema gave none of its own, so that a reader can tell zod's words from the schema's.
 */
export const zodsOwnWords = (issue: core.$ZodIssue): string | undefined => {
  const said = english.localeError?.(issue as unknown as core.$ZodRawIssue);
  return typeof said === 'string' ? said : said?.message;
};

export * from 'zod/mini';

/** The classic API's `preprocess`, which zod/mini leaves out: `fn` maps the input first. */
export const preprocess = <U extends core.$ZodType>(
  fn: (input: unknown) => unknown,
  schema: U,
): ZodMiniPipe<ZodMiniTransform<unknown, unknown>, U> => pipe(transform(fn), schema);

/**
 * A schema built on its first use and kept: building zod schemas costs CPU, so a function's cold
 * start builds only the schemas its own route parses (bench/RESULTS.md).
 */
export const builtOnFirstUse = <T>(build: () => T): (() => T) => {
  let built: { schema: T } | undefined;
  return () => {
    built ??= { schema: build() };
    return built.schema;
  };
};
