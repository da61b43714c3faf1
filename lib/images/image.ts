// The normalised Image and DeleteResult of the spec, as zod schemas (the one source for types and
// the OpenAPI document). `provider` is a registered cloud's key (lib/providers/registry.ts).

import * as z from '../schema/zod.js';
import { usageSchema } from './usage.js';

export const IMAGE_STATUSES = [
  'available',
  'creating',
  'failed',
  'error',
  'unavailable',
  'deleted',
  'unknown',
] as const;
export const IMAGE_KINDS = ['custom', 'system', 'shared', 'other'] as const;

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

/** Epoch milliseconds or an ISO-ish date string to ISO 8601; undefined for anything else. */
export const toIsoTime = (value: unknown): string | undefined => {
  if (typeof value !== 'number' && typeof value !== 'string') return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
};

/** An image without the provider's own record (`details`): what plans, runs and events keep. */
export const withoutDetails = (image: Image): Omit<Image, 'details'> => {
  const { details: _details, ...rest } = image;
  return rest;
};
