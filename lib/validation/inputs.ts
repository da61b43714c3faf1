// Every input boundary: path and query of the HTTP API, task inputs (direct invocation, Step
// Functions, SQS bodies, EventBridge details). Anything wrong becomes InvalidRequest naming the
// field, before anything is sent upstream. Which providers exist, their image ID formats and
// whether they take `force` come from the cloud registry.

import * as z from 'zod';
import { InvalidRequest } from '../errors/errors.js';
import { MAX_GLOB_LENGTH } from '../images/glob.js';
import { IMAGE_KINDS, IMAGE_STATUSES } from '../images/image.js';
import { MAX_LIST_LIMIT } from '../images/list-images.js';
import { cloudKeys, findCloud, registryVersion } from '../providers/registry.js';
import { PLAN_ID_PATTERN, RUN_ID_PATTERN } from '../retirement/ids.js';

export const regionSchema = z
  .string()
  .max(64, 'must be at most 64 characters')
  .regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, 'must be lowercase letters, digits and single hyphens');

/** `true`/`false` as query strings carry them; anything else is refused rather than guessed. */
export const queryFlagSchema = z.enum(['true', 'false']).transform((value) => value === 'true');

/** One of the registered clouds. */
export const providerSchema = (): z.ZodType<string> =>
  z.string().refine((value) => findCloud(value) !== undefined, {
    message: `must be one of ${cloudKeys().join(', ')}`,
  });

/** The cloud decides the image ID format; checked after the shape so the message can say which. */
const checkImageId = (value: { provider: string; imageId: string }, ctx: z.RefinementCtx): void => {
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
  imageId: z.string().max(64, 'must be at most 64 characters'),
  region: regionSchema.optional(),
});

const buildShowInput = () => z.strictObject(imageRefShape()).superRefine(checkImageId);

const buildDeleteInput = () =>
  z
    .strictObject({
      ...imageRefShape(),
      force: z.boolean().optional(),
      dryRun: z.boolean().optional(),
    })
    .superRefine(checkImageId)
    .superRefine((value, ctx) => {
      if (value.force === true && findCloud(value.provider)?.supportsForce === false) {
        ctx.addIssue({
          code: 'custom',
          path: ['force'],
          message: `is not supported for ${value.provider}`,
        });
      }
    });

// Built only by the schemas that use them (list, usage), on their first use: a show or delete
// never constructs them.

/** An ISO 8601 date-time with an offset (or Z), or a date (midnight UTC). */
const isoTime = () =>
  z.union([z.iso.datetime({ offset: true }), z.iso.date()], {
    error: 'must be an ISO 8601 date or date-time (e.g. 2026-01-31 or 2026-01-31T12:00:00Z)',
  });

const cursor = () =>
  z.string().min(1, 'must not be empty').max(4096, 'must be at most 4096 characters');

const filterShape = () => ({
  kind: z.enum(IMAGE_KINDS).optional(),
  status: z
    .array(z.enum(IMAGE_STATUSES))
    .min(1, 'must list at least one status')
    .max(IMAGE_STATUSES.length)
    .optional(),
  name: z
    .string()
    .min(1, 'must not be empty')
    .max(MAX_GLOB_LENGTH, `must be at most ${MAX_GLOB_LENGTH} characters`)
    .optional(),
  createdBefore: isoTime().optional(),
  createdAfter: isoTime().optional(),
  limit: z.number().int().min(1).max(MAX_LIST_LIMIT).optional(),
  cursor: cursor().optional(),
});

const buildListInput = () =>
  z.strictObject({
    provider: providerSchema(),
    region: regionSchema.optional(),
    ...filterShape(),
  });

/** A retire decision on the delete queue (lib/retirement/ports.ts RunMessage). */
const buildRunMessage = () =>
  z
    .strictObject({
      provider: providerSchema(),
      imageId: z.string().max(64, 'must be at most 64 characters'),
      region: regionSchema,
      force: z.boolean().optional(),
      planId: z.string().regex(PLAN_ID_PATTERN, 'must be a plan id'),
      runId: z.string().regex(RUN_ID_PATTERN, 'must be a run id'),
      imageKey: z.string().min(1).max(200),
      expected: z.strictObject({
        status: z.string().max(64),
        name: z.string().max(1024),
        updatedAt: z.string().max(64).optional(),
      }),
      identity: z.string().max(2048).optional(),
    })
    .superRefine(checkImageId);

const buildUsageInput = () =>
  z.strictObject({ ...imageRefShape(), cursor: cursor().optional() }).superRefine(checkImageId);

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
    planId: z.string().regex(PLAN_ID_PATTERN, "must be a plan id ('plan-' and 24 hex digits)"),
  }),
);

/** `{runId}` of a run route (built on its first parse: only the run routes parse it). */
export const runRefSchema = z.lazy(() =>
  z.strictObject({
    runId: z.string().regex(RUN_ID_PATTERN, "must be a run id ('run-' and 20 hex digits)"),
  }),
);
export type UsageInput = z.infer<ReturnType<typeof buildUsageInput>>;

const describeIssue = (issue: z.core.$ZodIssue): { field: string; message: string } => {
  const field = issue.path.length > 0 ? issue.path.map(String).join('.') : 'input';
  if (issue.code === 'unrecognized_keys') {
    const keys = issue.keys.join(', ');
    const where = issue.path.length > 0 ? `${field}: ` : '';
    return { field: issue.keys[0] ?? field, message: `${where}unknown field(s): ${keys}` };
  }
  if (issue.code === 'invalid_type' && issue.input === undefined) {
    return { field, message: `${field}: is required` };
  }
  return { field, message: `${field}: ${issue.message}` };
};

/** Parses or throws InvalidRequest whose message names every bad field; `field` is the first. */
export const parseInput = <T>(schema: z.ZodType<T>, input: unknown): T => {
  // reportInput: zod 4 leaves `input` out of issues otherwise, and a wrong type would read as missing.
  const result = schema.safeParse(input, { reportInput: true });
  if (result.success) return result.data;
  const described = result.error.issues.map(describeIssue);
  throw new InvalidRequest(described.map((issue) => issue.message).join('; '), {
    field: described[0]?.field ?? 'input',
  });
};

/** Parses JSON text (an SQS body) and then the schema; bad JSON is InvalidRequest too. */
export const parseJsonInput = <T>(schema: z.ZodType<T>, text: string, field = 'body'): T => {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new InvalidRequest(`${field}: is not valid JSON`, { field });
  }
  return parseInput(schema, value);
};
