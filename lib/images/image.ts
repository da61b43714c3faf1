// The normalised Image and DeleteResult of the spec, as zod schemas (the one source for types and
// the OpenAPI document). `provider` is a registered cloud's key (lib/providers/registry.ts). Only
// schemas and types here: the show and delete functions import none of it at run time, so they do
// not build these schemas at cold start (the status and kind words and the helpers are in
// image-fields.ts).

import * as z from '../schema/zod.js';
import { IMAGE_KINDS, IMAGE_STATUSES } from './image-fields.js';
import { usageSchema } from './usage.js';

export const imageSchema = z.object({
  provider: z.string(),
  region: z.string(),
  id: z.string(),
  name: z.string(),
  status: z.enum(IMAGE_STATUSES),
  providerStatus: z.string(),
  kind: z.enum(IMAGE_KINDS),
  createdAt: z.optional(z.string()),
  updatedAt: z.optional(z.string()),
  details: z.record(z.string(), z.unknown()),
});
export type Image = z.infer<typeof imageSchema>;
export type ImageStatus = Image['status'];
export type ImageKind = Image['kind'];

/** What a show answers (the HTTP body and the task output). */
export const showResultSchema = z.object({ image: imageSchema });
export type ShowResult = z.infer<typeof showResultSchema>;

export const deleteResultSchema = z.object({
  outcome: z.enum(['deleted', 'already-absent', 'dry-run']),
  image: z.optional(imageSchema),
  /** A dry run reports what uses the image (nothing, or it would have been refused). */
  usage: z.optional(usageSchema),
});
export type DeleteResult = z.infer<typeof deleteResultSchema>;
