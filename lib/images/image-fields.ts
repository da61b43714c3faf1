// The words of an Image's status and kind, and the helpers that fill or trim its fields. Apart
// from the Image's zod schemas (lib/images/image.ts: the types and the OpenAPI document), so that
// the code which normalises images and writes events does not build those schemas at cold start.

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

/** A list of statuses longer than there are statuses names one twice at least. */
export const TOO_MANY_STATUSES = `must list at most ${IMAGE_STATUSES.length} statuses`;

/** Epoch milliseconds or an ISO-ish date string to ISO 8601; undefined for anything else. */
export const toIsoTime = (value: unknown): string | undefined => {
  if (typeof value !== 'number' && typeof value !== 'string') return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
};

/** An image without the provider's own record (`details`): what plans, runs and events keep. */
export const withoutDetails = <T extends { details: unknown }>(image: T): Omit<T, 'details'> => {
  const { details: _details, ...rest } = image;
  return rest;
};
