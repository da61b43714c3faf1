// Every input boundary: path and query of the HTTP API, task inputs (direct invocation, Step
// Functions, SQS bodies, EventBridge details). Anything wrong becomes InvalidRequest naming the
// field, before anything is sent upstream.

import * as z from 'zod';
import { InvalidRequest } from './errors.js';
import { type PROVIDERS, providerSchema } from './images/image.js';

/** Each provider's image ID format (also the OpenAPI document's description of `imageId`). */
export const IMAGE_ID_FORMATS: Record<
  (typeof PROVIDERS)[number],
  { pattern: RegExp; description: string }
> = {
  modelarts: {
    pattern: /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i,
    description: 'a UUID',
  },
  bcc: {
    pattern: /^m-[A-Za-z0-9]{1,32}$/,
    description: "'m-' followed by 1 to 32 letters and digits",
  },
};

export const regionSchema = z
  .string()
  .max(64, 'must be at most 64 characters')
  .regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, 'must be lowercase letters, digits and single hyphens');

const imageRefShape = {
  provider: providerSchema,
  imageId: z.string().max(64, 'must be at most 64 characters'),
  region: regionSchema.optional(),
};

/** The provider decides the image ID format; checked after the shape so the message can say which. */
const checkImageId = (
  value: { provider: keyof typeof IMAGE_ID_FORMATS; imageId: string },
  ctx: z.RefinementCtx,
): void => {
  const format = IMAGE_ID_FORMATS[value.provider];
  if (!format.pattern.test(value.imageId)) {
    ctx.addIssue({
      code: 'custom',
      path: ['imageId'],
      message: `must be ${format.description} for provider ${value.provider}`,
    });
  }
};

export const showInputSchema = z.strictObject(imageRefShape).superRefine(checkImageId);
export type ShowInput = z.infer<typeof showInputSchema>;

export const deleteInputSchema = z
  .strictObject({
    ...imageRefShape,
    force: z.boolean().optional(),
    dryRun: z.boolean().optional(),
  })
  .superRefine(checkImageId)
  .superRefine((value, ctx) => {
    if (value.force === true && value.provider !== 'modelarts') {
      ctx.addIssue({ code: 'custom', path: ['force'], message: 'is only supported for modelarts' });
    }
  });
export type DeleteInput = z.infer<typeof deleteInputSchema>;

/** `true`/`false` as query strings carry them; anything else is refused rather than guessed. */
export const queryFlagSchema = z.enum(['true', 'false']).transform((value) => value === 'true');

const describeIssue = (issue: z.core.$ZodIssue): { field: string; message: string } => {
  const field = issue.path.length > 0 ? issue.path.map(String).join('.') : 'input';
  if (issue.code === 'unrecognized_keys') {
    const keys = issue.keys.join(', ');
    const where = issue.path.length > 0 ? `${field}: ` : '';
    return { field: issue.keys[0] ?? field, message: `${where}unknown field(s): ${keys}` };
  }
  if (issue.code === 'invalid_value' && field === 'provider') {
    return { field, message: `provider: must be one of ${issue.values.join(', ')}` };
  }
  if (issue.code === 'invalid_type' && issue.input === undefined) {
    return { field, message: `${field}: is required` };
  }
  return { field, message: `${field}: ${issue.message}` };
};

/** Parses or throws InvalidRequest whose message names every bad field; `field` is the first. */
export const parseInput = <T>(schema: z.ZodType<T>, input: unknown): T => {
  const result = schema.safeParse(input);
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
