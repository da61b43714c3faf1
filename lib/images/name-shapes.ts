// The shape of a region name and of an image-name glob, as every input takes them: requests, task
// inputs and queue messages (lib/validation) and policies (lib/retirement). One home, below both.

import * as z from '../schema/zod.js';
import { MAX_GLOB_LENGTH } from './glob.js';

export const regionSchema = z
  .string()
  .check(
    z.maxLength(64, 'must be at most 64 characters'),
    z.regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, 'must be lowercase letters, digits and single hyphens'),
  );

/**
 * A name glob (lib/images/glob.ts), bounded so one match stays cheap. Built on first use: only
 * list filters and policies take one.
 */
export const nameGlobSchema = z.builtOnFirstUse(() =>
  z
    .string()
    .check(
      z.minLength(1, 'must not be empty'),
      z.maxLength(MAX_GLOB_LENGTH, `must be at most ${MAX_GLOB_LENGTH} characters`),
    ),
);
