// What uses an image: the spec's Usage. ModelArts notebooks name their image (`image.id`), BCC
// instances theirs (`imageId`); no cloud filters its lists by image, so usage comes from scanning.

import * as z from '../schema/zod.js';

export const USAGE_REFERENCE_TYPES = ['notebook', 'instance'] as const;

export const usageReferenceSchema = z.object({
  type: z.enum(USAGE_REFERENCE_TYPES),
  id: z.string(),
  name: z.string(),
  status: z.string(),
});
export type UsageReference = z.infer<typeof usageReferenceSchema>;

export const usageSchema = z.object({
  inUse: z.boolean(),
  references: z.array(usageReferenceSchema),
});
export type Usage = z.infer<typeof usageSchema>;

/** The usage route's answer: the spec's Usage, and whether the scan read everything. */
export const usageResultSchema = z.extend(usageSchema, {
  /**
   * False when the scan stopped for time, or as its list kept moving under it: `inUse: false` then
   * means "none found so far".
   */
  complete: z.boolean(),
  /** Goes on where an incomplete scan stopped. */
  nextCursor: z.optional(z.string()),
});
export type UsageResult = z.infer<typeof usageResultSchema>;
