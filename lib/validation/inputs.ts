// Every input boundary: path and query of the HTTP API, task inputs (direct invocation, Step
// Functions, SQS bodies, EventBridge details). Anything wrong becomes InvalidRequest naming the
// field, before anything is sent upstream. Which providers exist, their image ID formats and
// whether they take `force` come from the cloud registry.

import { InvalidRequest } from '../errors/errors.js';
import { IMAGE_KINDS, IMAGE_STATUSES, TOO_MANY_STATUSES } from '../images/image-fields.js';
import { MAX_LIST_LIMIT } from '../images/list-images.js';
import { nameGlobSchema, regionSchema } from '../images/name-shapes.js';
import { cloudKeys, findCloud, registryVersion } from '../providers/registry.js';
import { PLAN_ID_PATTERN, RUN_ID_PATTERN } from '../retirement/ids.js';
import type { RunMessage } from '../retirement/ports.js';
import { RUN_MESSAGE_MAX_LENGTH } from '../retirement/run-message-limits.js';
import { ISO_INSTANT_PATTERN, readIsoInstant } from '../schema/iso-time.js';
import { describeIssues, type IssueWording } from '../schema/issues.js';
import * as z from '../schema/zod.js';

/** `true`/`false` as query strings carry them; anything else is refused rather than guessed. */
export const queryFlagSchema = z.builtOnFirstUse(() =>
  z.pipe(
    z.enum(['true', 'false']),
    z.transform((value) => value === 'true'),
  ),
);

/** One of the registered clouds. */
export const providerSchema = (): z.ZodMiniType<string> =>
  z.string().check(
    z.refine((value) => findCloud(value) !== undefined, {
      message: `must be one of ${cloudKeys().join(', ')}`,
    }),
  );

/** The cloud decides the image ID format; checked after the shape so the message can say which. */
const checkImageId = (
  value: { provider: string; imageId: string },
  ctx: z.core.$RefinementCtx,
): void => {
  const format = findCloud(value.provider)?.imageId;
  if (format !== undefined && !format.pattern.test(value.imageId)) {
    ctx.addIssue({
      code: 'custom',
      path: ['imageId'],
      message: `must be ${format.description} for provider ${value.provider}`,
    });
  }
};

const imageRefShape = () => ({
  provider: providerSchema(),
  imageId: z.string().check(z.maxLength(64, 'must be at most 64 characters')),
  region: z.optional(regionSchema),
});

/**
 * Show takes the one task input of the contract, `force` and `dryRun` included (checked, and
 * meaningless to a show), so that a workflow can hand the same input to show and delete.
 */
const buildShowInput = () =>
  z
    .strictObject({
      ...imageRefShape(),
      force: z
        .optional(z.boolean())
        .check(z.describe('Accepted for the shared task input; a show ignores it.')),
      dryRun: z
        .optional(z.boolean())
        .check(z.describe('Accepted for the shared task input; a show ignores it.')),
    })
    .check(z.superRefine(checkImageId));

const buildDeleteInput = () =>
  z
    .strictObject({
      ...imageRefShape(),
      force: z.optional(z.boolean()),
      dryRun: z.optional(z.boolean()),
    })
    .check(
      z.superRefine(checkImageId),
      z.superRefine((value, ctx) => {
        if (value.force === true && findCloud(value.provider)?.supportsForce === false) {
          ctx.addIssue({
            code: 'custom',
            path: ['force'],
            message: `is not supported for ${value.provider}`,
          });
        }
      }),
    );

// Built only by the schemas that use them (list, usage), on their first use: a show or delete
// never constructs them.

/**
 * An ISO 8601 date (midnight UTC), or date and time with Z or an offset, as lib/schema/iso-time.ts
 * reads them. The text is kept as given (the filter reads it there too, and a cursor is bound to it).
 */
const isoTime = () =>
  z.string().check(
    z.superRefine((text, ctx) => {
      const read = readIsoInstant(text);
      if (!read.ok) ctx.addIssue({ code: 'custom', message: read.problem, input: text });
    }),
    z.meta({ pattern: ISO_INSTANT_PATTERN.source }),
  );

const cursor = () =>
  z
    .string()
    .check(
      z.minLength(1, 'must not be empty'),
      z.maxLength(4096, 'must be at most 4096 characters'),
    );

const filterShape = () => ({
  kind: z.optional(z.enum(IMAGE_KINDS)),
  status: z.optional(
    z
      .array(z.enum(IMAGE_STATUSES))
      .check(
        z.minLength(1, 'must list at least one status'),
        z.maxLength(IMAGE_STATUSES.length, TOO_MANY_STATUSES),
      ),
  ),
  name: z.optional(nameGlobSchema()),
  createdBefore: z.optional(isoTime()),
  createdAfter: z.optional(isoTime()),
  limit: z.optional(
    z
      .int()
      .check(
        z.gte(1, 'must be at least 1'),
        z.lte(MAX_LIST_LIMIT, `must be at most ${MAX_LIST_LIMIT}`),
      ),
  ),
  cursor: z.optional(cursor()),
});

/**
 * Both bounds are exclusive and creation times are whole milliseconds: a createdAfter less than two
 * milliseconds before createdBefore leaves no creation time between them, and would list nothing
 * whatever the cloud holds (most often the two dates swapped).
 */
const checkCreatedRange = (
  filter: { createdBefore?: string | undefined; createdAfter?: string | undefined },
  ctx: z.core.$RefinementCtx,
): void => {
  if (filter.createdBefore === undefined || filter.createdAfter === undefined) return;
  const before = readIsoInstant(filter.createdBefore);
  const after = readIsoInstant(filter.createdAfter);
  // Creation times are whole milliseconds: bounds a millisecond apart leave none between them.
  if (before.ok && after.ok && before.ms - after.ms <= 1) {
    ctx.addIssue({
      code: 'custom',
      path: ['createdAfter'],
      message:
        'must be earlier than createdBefore by more than a millisecond (both bounds are exclusive: no image is created between them)',
      input: filter.createdAfter,
      // The command line calls them --created-after and --created-before.
      params: { mentions: ['createdBefore'] },
    });
  }
};

const buildListInput = () =>
  z
    .strictObject({
      provider: providerSchema(),
      region: z.optional(regionSchema),
      ...filterShape(),
    })
    .check(z.superRefine(checkCreatedRange));

/**
 * A retire decision on the delete queue (lib/retirement/ports.ts RunMessage). Its lengths are the
 * planner's too (run-message-limits.ts): a plan retires no image whose message this refuses.
 */
const buildRunMessage = () => {
  const max = RUN_MESSAGE_MAX_LENGTH;
  return z
    .strictObject({
      provider: providerSchema(),
      imageId: z
        .string()
        .check(z.maxLength(max.imageId, `must be at most ${max.imageId} characters`)),
      region: regionSchema,
      force: z.optional(z.boolean()),
      planId: z.string().check(z.regex(PLAN_ID_PATTERN, 'must be a plan id')),
      runId: z.string().check(z.regex(RUN_ID_PATTERN, 'must be a run id')),
      imageKey: z.string().check(z.minLength(1), z.maxLength(max.imageKey)),
      expected: z.strictObject({
        status: z.string().check(z.maxLength(max.expected.status)),
        name: z.string().check(z.maxLength(max.expected.name)),
        updatedAt: z.optional(z.string().check(z.maxLength(max.expected.updatedAt))),
      }),
      identity: z.optional(z.string().check(z.maxLength(max.identity))),
    })
    .check(z.superRefine(checkImageId));
};

const buildUsageInput = () =>
  z
    .strictObject({ ...imageRefShape(), cursor: z.optional(cursor()) })
    .check(z.superRefine(checkImageId));

/** A schema built on first use and again when the registry changed (zod schemas cost CPU to build). */
const lazySchema = <T>(build: () => T): (() => T) => {
  let built: { version: number; schema: T } | undefined;
  return () => {
    const version = registryVersion();
    if (built?.version !== version) built = { version, schema: build() };
    return built.schema;
  };
};

export const showInputSchema = lazySchema(buildShowInput);
export type ShowInput = z.infer<ReturnType<typeof buildShowInput>>;

export const deleteInputSchema = lazySchema(buildDeleteInput);
export type DeleteInput = z.infer<ReturnType<typeof buildDeleteInput>>;

export const listInputSchema = lazySchema(buildListInput);
export type ListInput = z.infer<ReturnType<typeof buildListInput>>;

export const usageInputSchema = lazySchema(buildUsageInput);

export const runMessageSchema = lazySchema(buildRunMessage);

/** `{planId}` of a plan route (built on its first parse: only the plan routes parse it). */
export const planRefSchema = z.lazy(() =>
  z.strictObject({
    planId: z
      .string()
      .check(z.regex(PLAN_ID_PATTERN, "must be a plan id ('plan-' and 24 hex digits)")),
  }),
);

/** `{runId}` of a run route (built on its first parse: only the run routes parse it). */
export const runRefSchema = z.lazy(() =>
  z.strictObject({
    runId: z.string().check(z.regex(RUN_ID_PATTERN, "must be a run id ('run-' and 20 hex digits)")),
  }),
);
export type UsageInput = z.infer<ReturnType<typeof buildUsageInput>>;

/** The inputs' words (lib/schema/issues.ts): unknown fields at the top named alone (`unknown field(s): x`). */
const INPUT_WORDING: IssueWording = { root: 'input', nameRootWithUnknownKeys: false };

/**
 * Parses or throws InvalidRequest whose message names every bad field; `field` is the first.
 * `fields`: what the caller calls the fields where that is not their key (the command line's flags
 * and arguments, lib/cli/commands/arguments.ts); without it, the keys (the contract's names).
 */
export const parseInput = <T>(
  schema: z.ZodMiniType<T>,
  input: unknown,
  fields?: Readonly<Record<string, string>>,
): T => {
  // reportInput: zod 4 leaves `input` out of issues otherwise, and a wrong type would read as missing.
  const result = schema.safeParse(input, { reportInput: true });
  if (result.success) return result.data;
  const wording = fields === undefined ? INPUT_WORDING : { ...INPUT_WORDING, fields };
  const described = describeIssues(result.error.issues, wording);
  throw new InvalidRequest(described.map((issue) => issue.message).join('; '), {
    field: described[0]?.field ?? 'input',
  });
};

/** Why the delete queue's consumer would refuse this run message (its schema), or undefined. */
export const runMessageRefusal = (message: RunMessage): string | undefined => {
  const result = runMessageSchema().safeParse(message, { reportInput: true });
  return result.success
    ? undefined
    : describeIssues(result.error.issues, INPUT_WORDING)
        .map((issue) => issue.message)
        .join('; ');
};

/** Parses JSON text (an SQS body) and then the schema; bad JSON is InvalidRequest too. */
export const parseJsonInput = <T>(schema: z.ZodMiniType<T>, text: string, field = 'body'): T => {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new InvalidRequest(`${field}: is not valid JSON`, { field });
  }
  return parseInput(schema, value);
};
