// The emulator's tunable behaviour, shared by startEmulator options and the control API (which
// validates them with these schemas).

import { z } from 'zod';

/**
 * How ModelArts list APIs read `offset`, which the docs leave open ("start offset of the paged
 * records" next to a `current` page number): `records` skips that many records, `pages` skips that
 * many pages of `limit` records. Clients must page correctly under both.
 */
export type ModelArtsOffsetMode = 'records' | 'pages';
export const modelArtsOffsetModeSchema = z.enum(['records', 'pages']);

const count = z.number().int().min(0).max(1_000_000);

/** Generated records added to the demo ones; the same spec (and clock) gives the same records. */
export interface SeedSpec {
  modelarts?: { images?: number; notebooks?: number };
  bcc?: { images?: number; instances?: number };
  /** The generator's seed (default 1). */
  random?: number;
}

export const seedSpecSchema = z
  .object({
    modelarts: z
      .object({ images: count.optional(), notebooks: count.optional() })
      .strict()
      .optional(),
    bcc: z.object({ images: count.optional(), instances: count.optional() }).strict().optional(),
    random: z.number().int().optional(),
  })
  .strict();

/** A token bucket per access key: `perSecond` tokens a second, at most `burst` (default perSecond, at least 1) saved up. */
export interface RateLimit {
  perSecond: number;
  burst?: number;
}

export interface RateLimitOptions {
  modelarts?: RateLimit;
  bcc?: RateLimit;
}

const rateLimitSchema = z
  .object({
    perSecond: z.number().positive().max(1_000_000),
    burst: z.number().int().positive().max(1_000_000).optional(),
  })
  .strict();

export const rateLimitOptionsSchema = z
  .object({ modelarts: rateLimitSchema.optional(), bcc: rateLimitSchema.optional() })
  .strict();
