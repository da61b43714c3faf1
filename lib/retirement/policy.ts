// A retirement policy: which images of one provider's regions to retire, what to keep, and how many
// one plan may retire at most. Every object is strict (an unknown key is refused): a typo such as
// `exlude` must be a 400, never a policy that silently retires more than its author meant.
// The same schema generates docs/policy.schema.json (scripts/schemas.ts).

import { InvalidRequest } from '../errors/errors.js';
import { IMAGE_STATUSES, TOO_MANY_STATUSES } from '../images/image-fields.js';
import { nameGlobSchema, regionSchema } from '../images/name-shapes.js';
import { cloudKeys, findCloud } from '../providers/registry.js';
import { describeIssues, type IssueWording } from '../schema/issues.js';
import * as z from '../schema/zod.js';

/** The largest policy document (JSON or YAML text) accepted, in characters. */
export const MAX_POLICY_TEXT_LENGTH = 256 * 1024;

const globSchema = nameGlobSchema().check(
  z.describe('A name glob: `*` any run of characters, `?` exactly one; case-sensitive.'),
);

// EventBridge Scheduler expressions: rate(value unit) (`1 minute` but `5 minutes`), cron(...) with
// six fields, at(yyyy-mm-ddThh:mm:ss). One pattern, so that the JSON Schema carries it too. In
// cron, exactly one of day of month (3rd) and day of week (5th) is `?`, and `?` is nowhere else:
// Scheduler refuses anything else, which would otherwise surface only when the stack deploys.
const CRON_FIELD = '[0-9A-Za-z*,/#-]+';
const SCHEDULE_PATTERN = new RegExp(
  [
    String.raw`^rate\((?:1 (?:minute|hour|day)|(?:[2-9]|[1-9][0-9]{1,5}) (?:minutes|hours|days))\)$`,
    `^cron\\(${CRON_FIELD} ${CRON_FIELD} (?:\\? ${CRON_FIELD} ${CRON_FIELD}|${CRON_FIELD} ${CRON_FIELD} \\?) ${CRON_FIELD}\\)$`,
    String.raw`^at\([0-9]{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])T(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]\)$`,
  ].join('|'),
);

const scheduleSchema = z
  .string()
  .check(
    z.maxLength(256, 'must be at most 256 characters'),
    z.regex(
      SCHEDULE_PATTERN,
      'must be an EventBridge Scheduler expression: rate(5 minutes), cron(0 3 * * ? *) or at(2030-01-31T03:00:00) (in cron, one of day of month and day of week is ?)',
    ),
    z.describe(
      'An EventBridge Scheduler expression (rate(...), cron(...) with six fields, or at(...)): when to plan this policy.',
    ),
  );

// Whole numbers with a message of their own are z.number() with a z.int(message) check, not
// z.int(message): that message would also replace the one for a value that is not a number.
const wholeNumberUpTo = (max: number, unit = '') =>
  z
    .number()
    .check(
      z.int(`must be a whole number${unit}`),
      z.gte(0, 'must be at least 0'),
      z.lte(max, `must be at most ${max}`),
    );

const selectSchema = z
  .strictObject({
    kind: z
      .optional(z.literal('custom'))
      .check(z.describe('Only custom images can ever be retired; absent means custom.')),
    name: z.optional(globSchema).check(z.describe('Only images whose name matches this glob.')),
    status: z
      .optional(
        z
          .array(z.enum(IMAGE_STATUSES))
          .check(
            z.minLength(1, 'must list at least one status'),
            z.maxLength(IMAGE_STATUSES.length, TOO_MANY_STATUSES),
            z.meta({ uniqueItems: true }),
          ),
      )
      .check(
        z.describe(
          'Only images in one of these statuses: a set (each once; the order written does not matter, a plan lists them sorted). Absent: every status but `unknown`, which is never selected, listed or not (a state this service does not recognise is kept).',
        ),
      ),
    olderThanDays: z
      .optional(wholeNumberUpTo(36_500, ' of days'))
      .check(
        z.describe(
          'Only images created at least this many days before the plan; an image with no creation time is never old enough.',
        ),
      ),
  })
  .check(z.describe('Which images the policy may retire.'));

const keepSchema = z
  .strictObject({
    newestPerFamily: z
      .optional(wholeNumberUpTo(1000))
      .check(
        z.describe(
          'In each family and region, keep the N newest selected images of status `available` (the working versions). Images of any other status (failed, error, creating, unknown, ...) or of unknown creation time take no place: their own rules decide them (unknown: kept; creating: busy; failed, error, ...: retired when selected).',
        ),
      ),
  })
  .check(z.describe('What to keep even when selected.'));

const excludeSchema = z
  .strictObject({
    ids: z
      .optional(
        z
          .array(
            z
              .string()
              .check(
                z.minLength(1, 'must not be empty'),
                z.maxLength(64, 'must be at most 64 characters'),
              ),
          )
          .check(z.maxLength(1000, 'must list at most 1000 IDs')),
      )
      .check(
        z.describe(
          'Image IDs never to retire (ModelArts UUIDs compare case-insensitively). The order written does not matter: a plan lists them sorted.',
        ),
      ),
    names: z
      .optional(z.array(globSchema).check(z.maxLength(100, 'must list at most 100 globs')))
      .check(
        z.describe(
          'Name globs never to retire. The order written does not matter: a plan lists them sorted (an excluded decision names the first that matches).',
        ),
      ),
  })
  .check(z.describe('Images never to retire, whatever the selection says.'));

const limitsSchema = z
  .strictObject({
    maxDeletions: wholeNumberUpTo(100_000).check(
      z.describe('The most images one plan may retire.'),
    ),
    maxPercent: z
      .number()
      .check(
        z.gte(0, 'must be at least 0'),
        z.lte(100, 'must be at most 100'),
        z.describe(
          'The most one plan may retire, as a percentage of the images it decides (rounded down).',
        ),
      ),
  })
  .check(
    z.describe(
      'Required. The plan retires at most min(maxDeletions, maxPercent% of its images), oldest first; the rest are deferred.',
    ),
  );

export const policySchema = z
  .strictObject({
    name: z
      .string()
      .check(
        z.minLength(1, 'must not be empty'),
        z.maxLength(64, 'must be at most 64 characters'),
        z.regex(
          /^[A-Za-z0-9][A-Za-z0-9._-]*$/,
          'must be letters, digits, dots, dashes and underscores',
        ),
        z.describe('The policy name (usable as a schedule name).'),
      ),
    description: z
      .optional(z.string().check(z.maxLength(1024, 'must be at most 1024 characters')))
      .check(z.describe('What the policy is for, for the people reading its plans.')),
    provider: z.string().check(
      z.refine((value) => findCloud(value) !== undefined, {
        error: () => `must be one of ${cloudKeys().join(', ')}`,
      }),
      z.describe(`The cloud whose images the policy looks at (${cloudKeys().join(', ')}).`),
    ),
    regions: z
      .array(regionSchema)
      .check(
        z.minLength(1, 'must list at least one region'),
        z.maxLength(32, 'must list at most 32 regions'),
        z.meta({ uniqueItems: true }),
        z.describe(
          'The regions whose images the policy looks at: a set (each once; the order written does not matter, a plan lists them sorted).',
        ),
      ),
    select: selectSchema,
    keep: z.optional(keepSchema),
    exclude: z.optional(excludeSchema),
    limits: limitsSchema,
    force: z
      .optional(z.boolean())
      .check(
        z.describe('ModelArts only: also delete the SWR content of each retired private image.'),
      ),
    schedule: z.optional(scheduleSchema),
    apply: z
      ._default(z.enum(['auto', 'manual']), 'manual')
      .check(
        z.describe(
          'With a schedule: `auto` applies each scheduled plan, `manual` (default) waits for a person.',
        ),
      ),
  })
  .check(
    z.superRefine((policy, ctx) => {
      const duplicate = (values: readonly string[]): string | undefined =>
        values.find((value, index) => values.indexOf(value) !== index);
      const region = duplicate(policy.regions);
      if (region !== undefined) {
        ctx.addIssue({ code: 'custom', path: ['regions'], message: `lists ${region} twice` });
      }
      const status = duplicate(policy.select.status ?? []);
      if (status !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['select', 'status'],
          message: `lists ${status} twice`,
        });
      }
      // A mistyped excluded ID would match nothing and so widen the deletion: refuse it.
      const cloud = findCloud(policy.provider);
      (policy.exclude?.ids ?? []).forEach((id, index) => {
        if (cloud !== undefined && !cloud.imageId.pattern.test(id)) {
          ctx.addIssue({
            code: 'custom',
            path: ['exclude', 'ids', index],
            message: `must be ${cloud.imageId.description} for provider ${policy.provider}`,
          });
        }
      });
      if (policy.force === true && cloud?.supportsForce !== true) {
        ctx.addIssue({
          code: 'custom',
          path: ['force'],
          message: `is not supported for provider ${policy.provider}`,
        });
      }
      if (policy.apply === 'auto' && policy.schedule === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['apply'],
          message: '`auto` needs a schedule (plans made on request are always applied by a person)',
        });
      }
    }),
    z.describe('A retirement policy (cloud-image-functions).'),
  );

/** A parsed policy (`apply` defaulted). */
export type Policy = z.output<typeof policySchema>;
/** A policy as written (what callers send and files hold). */
export type PolicyInput = z.input<typeof policySchema>;

/** A policy's words (lib/schema/issues.ts): unknown fields named with where they are (`policy: ...` at the top). */
const POLICY_WORDING: IssueWording = { root: 'policy', nameRootWithUnknownKeys: true };

/** Default sort: code-unit order, the same on every machine and locale. */
const sorted = <T extends string>(values: readonly T[]): T[] => [...values].sort();

/**
 * The policy with every list whose order means nothing (`regions`, `select.status`, `exclude.ids`,
 * `exclude.names`) in code-unit order. Nothing is dropped: what is refused written twice stays
 * refused, and what is accepted twice stays twice.
 */
const canonicalLists = (policy: Policy): Policy => {
  const { select, exclude } = policy;
  return {
    ...policy,
    regions: sorted(policy.regions),
    select: select.status === undefined ? select : { ...select, status: sorted(select.status) },
    ...(exclude === undefined
      ? {}
      : {
          exclude: {
            ...exclude,
            ...(exclude.ids === undefined ? {} : { ids: sorted(exclude.ids) }),
            ...(exclude.names === undefined ? {} : { names: sorted(exclude.names) }),
          },
        }),
  };
};

/**
 * A policy from any value (a parsed JSON body, a YAML document), or InvalidRequest whose message
 * names every bad field (`limits.maxDeletions: is required`) and whose `field` is the first.
 * Its lists whose order means nothing come back in code-unit order (canonicalLists), so that the
 * plan (whose ID digests the policy) does not depend on the order they were written in. Here and
 * not in the schema: a stored plan is read with the schema, and must keep its policy as it was
 * digested (plans made before this listed them as written).
 */
export const parsePolicy = (value: unknown): Policy => {
  // reportInput: zod 4 leaves `input` out of issues otherwise, and a missing field (input
  // undefined) could not be told from a field of the wrong type.
  const result = policySchema.safeParse(value, { reportInput: true });
  if (result.success) return canonicalLists(result.data);
  const described = describeIssues(result.error.issues, POLICY_WORDING);
  throw new InvalidRequest(described.map((issue) => issue.message).join('; '), {
    field: described[0]?.field ?? 'policy',
  });
};
