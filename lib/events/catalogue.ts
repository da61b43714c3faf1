// The events the service publishes on its bus (source `cloud-image-functions`), one zod schema per
// detail-type: the one source for the TypeScript types, the check before publishing (only the
// documented members leave: unknown ones are dropped) and docs/events/<name>.schema.json
// (`npm run schemas`).

import { imageSchema } from '../images/image.js';
import { countSchema, planTotalsSchema } from '../retirement/plan.js';
import { runCountsSchema } from '../retirement/ports.js';
import * as z from '../schema/zod.js';

export const EVENT_SOURCE = 'cloud-image-functions';

const at = z.iso.datetime().check(z.describe('When it happened (ISO 8601, UTC).'));

/** The image record without the provider's own record (`details`): small, and never a secret. */
export const eventImageSchema = z
  .omit(imageSchema, { details: true })
  .check(z.describe("The image as it was before the delete (the provider's own record left out)."));

export const IMAGE_TRIGGERS = ['http', 'task', 'sqs', 'run', 'cli'] as const;

const truncatedSchema = z
  .optional(z.literal(true))
  .check(z.describe('Present when long texts were cut to keep the event within 256 KB.'));

/** Who asked, through what, and as part of which plan and run. */
const provenance = {
  trigger: z
    .enum(IMAGE_TRIGGERS)
    .check(
      z.describe(
        'What asked for the delete: an HTTP call, a workflow task, a queue record, a run, the command line.',
      ),
    ),
  requestId: z.string().check(z.describe('The request (or record) id, as in the log line.')),
  planId: z.optional(z.string()).check(z.describe('The retirement plan, for a run.')),
  runId: z.optional(z.string()).check(z.describe('The retirement run, for a run.')),
  identity: z.optional(z.string()).check(z.describe('The caller (IAM ARN) or the run creator.')),
  truncated: truncatedSchema,
};

export const imageDeletedSchema = z
  .object({
    provider: z.string(),
    region: z.string(),
    imageId: z.string(),
    image: z
      .optional(eventImageSchema)
      .check(
        z.describe(
          "The image as it was before the delete (a run's decision found gone after an earlier attempt sent its delete: as its plan saw it); absent when it was already gone unseen.",
        ),
      ),
    outcome: z.enum(['deleted', 'already-absent']),
    ...provenance,
    at,
  })
  .check(z.describe('An image was deleted (or found already gone) at the provider.'));

/** Why a delete was refused: an error name of the error table, or a run's skip of a changed image. */
export const REFUSALS = ['ImageProtected', 'ImageBusy', 'ImageChanged'] as const;

export const imageDeleteRefusedSchema = z
  .object({
    provider: z.string(),
    region: z.optional(z.string()),
    imageId: z.string(),
    image: z
      .optional(eventImageSchema)
      .check(z.describe('The image as seen when refusing, when known.')),
    error: z
      .enum(REFUSALS)
      .check(
        z.describe(
          'ImageProtected, ImageBusy (in use, being created), or ImageChanged (a run skipped an image that changed since its plan).',
        ),
      ),
    reason: z.string().check(z.describe('Why, for people (the error message).')),
    ...provenance,
    at,
  })
  .check(
    z.describe('A delete was refused and nothing was deleted (also a run decision `skipped`).'),
  );

export const imageDeleteFailedSchema = z
  .object({
    provider: z.optional(z.string()),
    region: z.optional(z.string()),
    imageId: z.optional(z.string()),
    image: z
      .optional(eventImageSchema)
      .check(z.describe('The image as it was before the failure, when it was seen.')),
    error: z
      .string()
      .check(
        z.describe(
          "The error's name (the error table), or DeadlineReached: a queued request or retire decision given up on its last delivery, which came too close to the timeout to be worked on, or a retire decision apply could not queue in its time (apply the plan again).",
        ),
      ),
    message: z.string(),
    retryable: z.boolean().check(z.describe('Trying again later may succeed.')),
    ...provenance,
    at,
  })
  .check(z.describe('A delete failed (nothing is known to have been deleted).'));

export const retirementPlannedSchema = z
  .object({
    planId: z.string(),
    policyName: z.string(),
    provider: z.string(),
    regions: z.array(z.string()),
    complete: z
      .boolean()
      .check(z.describe('Every image of the provider in the regions has a decision.')),
    totals: planTotalsSchema,
    createdBy: z.optional(z.string()).check(z.describe('The identity that made the plan.')),
    createdAt: z.iso.datetime(),
    trigger: z.enum(['http', 'schedule', 'cli']),
    apply: z
      .enum(['auto', 'manual'])
      .check(
        z.describe(
          '`auto`: a scheduled firing of an `auto` policy, which applies the plan at once (when it is complete); `manual`: the plan waits for a person to apply it (so is every plan made on request, over HTTP or by the command line, whatever its policy says).',
        ),
      ),
    truncated: truncatedSchema,
  })
  .check(z.describe('A retirement plan was made and stored.'));

export const retirementRunCompletedSchema = z
  .object({
    runId: z.string(),
    planId: z.string(),
    policyName: z.string(),
    provider: z.string(),
    counts: runCountsSchema,
    total: countSchema.check(z.describe("The plan's retire decisions (the sum of the counts).")),
    createdBy: z.optional(z.string()).check(z.describe('The identity that applied the plan.')),
    startedAt: z.iso.datetime(),
    completedAt: z.iso.datetime(),
    truncated: truncatedSchema,
  })
  .check(z.describe('Every retire decision of a run has its outcome.'));

export const EVENT_CATALOGUE = {
  'Image Deleted': imageDeletedSchema,
  'Image Delete Refused': imageDeleteRefusedSchema,
  'Image Delete Failed': imageDeleteFailedSchema,
  'Retirement Planned': retirementPlannedSchema,
  'Retirement Run Completed': retirementRunCompletedSchema,
} as const;

export type DetailType = keyof typeof EVENT_CATALOGUE;
export const DETAIL_TYPES = Object.keys(EVENT_CATALOGUE) as DetailType[];
export type DetailOf<T extends DetailType> = z.infer<(typeof EVENT_CATALOGUE)[T]>;

export type ImageDeleted = DetailOf<'Image Deleted'>;
export type ImageDeleteRefused = DetailOf<'Image Delete Refused'>;
export type ImageDeleteFailed = DetailOf<'Image Delete Failed'>;
export type RetirementPlanned = DetailOf<'Retirement Planned'>;
export type RetirementRunCompleted = DetailOf<'Retirement Run Completed'>;

/** One event to publish: its detail-type and its detail. */
export type CatalogueEvent = {
  [T in DetailType]: { detailType: T; detail: DetailOf<T> };
}[DetailType];

/** `Image Delete Refused` → `image-delete-refused` (docs/events/<name>.schema.json). */
export const schemaNameOf = (detailType: DetailType): string =>
  detailType.toLowerCase().replace(/ /g, '-');

/** The detail's JSON Schema (2020-12), titled and described for docs/events/. */
export const eventJsonSchema = (detailType: DetailType): Record<string, unknown> => {
  const { $schema, ...rest } = z.toJSONSchema(EVENT_CATALOGUE[detailType], {
    target: 'draft-2020-12',
    io: 'output',
  });
  return {
    $schema,
    title: `${detailType} (detail)`,
    ...rest,
    description:
      `${String(rest.description ?? '')} EventBridge: source \`${EVENT_SOURCE}\`, detail-type \`${detailType}\`; this is the \`detail\`.`.trim(),
  };
};
