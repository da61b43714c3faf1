// A retirement plan: for every image a policy looks at, what would happen and why. The zod schema
// is the one source for the type, docs/plan.schema.json and (later) the OpenAPI document.

import { imageSchema } from '../images/image.js';
import { usageReferenceSchema } from '../images/usage.js';
import type { IssueWording } from '../schema/issues.js';
import * as z from '../schema/zod.js';
import { PLAN_ID_PATTERN } from './ids.js';
import { policySchema } from './policy.js';

/**
 * Every reason, in precedence order: the first that applies to an image is its reason. `retire`
 * comes last because it is what remains when nothing keeps or defers the image.
 */
export const REASON_PRECEDENCE = [
  'system',
  'shared',
  'protected',
  'excluded',
  'not-selected',
  'busy',
  'in-use',
  'newest-in-family',
  'too-new',
  'over-limit',
  'retire',
] as const;
export const reasonSchema = z.enum(REASON_PRECEDENCE);
export type RetirementReason = z.infer<typeof reasonSchema>;

export const DECISIONS = ['retire', 'deferred', 'keep'] as const;
export const decisionKindSchema = z.enum(DECISIONS);
export type DecisionKind = z.infer<typeof decisionKindSchema>;

/** The decision each reason leads to: only `retire` deletes; `over-limit` waits for a later plan. */
export const decisionFor = (reason: RetirementReason): DecisionKind =>
  reason === 'retire' ? 'retire' : reason === 'over-limit' ? 'deferred' : 'keep';

/**
 * The image as the plan saw it, without the provider's record (`details`): a plan of 10,000 images
 * must fit a Lambda response. `status`, `name` and `updatedAt` stay: applying compares them.
 */
export const plannedImageSchema = z.omit(imageSchema, { details: true });
export type PlannedImage = z.infer<typeof plannedImageSchema>;

export const decisionSchema = z.object({
  image: plannedImageSchema,
  decision: decisionKindSchema,
  reason: reasonSchema,
  family: z.string().check(z.describe('The family the image belongs to (per region).')),
  detail: z
    .optional(z.string())
    .check(
      z.describe(
        'Why, for people: the protection, the exclusion that matched, the age, the limits.',
      ),
    ),
  references: z
    .optional(z.array(usageReferenceSchema))
    .check(z.describe('For `in-use`: what uses the image.')),
  size: z
    .optional(z.number())
    .check(
      z.describe("The image's size as the provider reports it (ModelArts `size`), when known."),
    ),
});
export type Decision = z.infer<typeof decisionSchema>;

/** A count (images, decisions, outcomes): a whole number, 0 or more. */
export const countSchema = z.int().check(z.gte(0));

export const planTotalsSchema = z.object({
  images: countSchema.check(
    z.describe('Images decided (every image of the provider in the regions).'),
  ),
  retire: countSchema,
  keep: countSchema,
  deferred: countSchema,
  byReason: z.strictObject(
    Object.fromEntries(REASON_PRECEDENCE.map((reason) => [reason, countSchema])) as Record<
      RetirementReason,
      typeof countSchema
    >,
  ),
  bytes: z
    .optional(z.number().check(z.gte(0)))
    .check(
      z.describe(
        'Total size of the images to retire; present only when every one of them is known.',
      ),
    ),
});
export type PlanTotals = z.infer<typeof planTotalsSchema>;

export const planLimitsSchema = z.object({
  allowed: countSchema.check(
    z.describe('min(maxDeletions, floor(maxPercent% of the images decided)).'),
  ),
  wouldRetire: countSchema.check(z.describe('Images that would be retired with no limits.')),
  bound: z
    .boolean()
    .check(z.describe('True when the limits deferred some images (wouldRetire > allowed).')),
});
export type PlanLimits = z.infer<typeof planLimitsSchema>;

// Strict at the top: a field no plan has (a hand edit, or another version's) is refused by name,
// never dropped, so no plan is read half understood. No build has written a top-level field this
// schema lacks (fields were only ever added), so every stored plan still reads.
export const planSchema = z
  .strictObject({
    planId: z
      .string()
      .check(
        z.regex(PLAN_ID_PATTERN, "must be a plan id ('plan-' and 24 hex digits)"),
        z.describe('Derived from the policy and the decisions: the same inputs give the same ID.'),
      ),
    policy: policySchema,
    createdAt: z.iso.datetime().check(z.describe('When the plan was made (its clock).')),
    createdBy: z.optional(z.string()).check(z.describe('The identity that made the plan.')),
    complete: z
      .boolean()
      .check(
        z.describe(
          'True when every image of the provider in the regions has a decision. An incomplete plan (the inventory or usage could not be read in time, or its list kept moving while it was read) decides nothing and cannot be applied.',
        ),
      ),
    incomplete: z
      .optional(z.string())
      .check(z.describe('Why the plan is incomplete (only then present).')),
    limits: planLimitsSchema,
    totals: planTotalsSchema,
    warnings: z
      .array(z.string())
      .check(
        z.describe('Things a person should check, such as an excluded ID that matches no image.'),
      ),
    decisions: z
      .array(decisionSchema)
      .check(z.describe('One per image, sorted by region, family, newest first, then image key.')),
  })
  .check(z.describe('A retirement plan (cloud-image-functions).'));
export type Plan = z.infer<typeof planSchema>;

/** A plan's issues in words (lib/schema/issues.ts), as a policy's: a person may have edited it. */
export const PLAN_WORDING: IssueWording = { root: 'plan', nameRootWithUnknownKeys: true };
