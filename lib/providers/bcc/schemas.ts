// BCC replies as documented ("Query Details of the Image", the BCE-GO ImageModel), tolerant of the
// drift a live service shows (new ImageType or ImageStatus values, extra fields such as the doc
// example's `ephemeralSize`, nulls for absent optional fields), strict about what we need to decide
// anything: id, name, type and status.

import type { ImageKind, ImageStatus } from '../../images/image.js';
import * as z from '../../schema/zod.js';
import type { ProviderError } from '../kit/cloud.js';
import { imageNormaliser } from '../kit/image-normaliser.js';
import { parseOptionalReply } from '../kit/reply.js';

const text = z.nullish(z.string());
const count = z.nullish(z.number());
const flag = z.nullish(z.boolean());

export const bccImageSchema = z.looseObject({
  id: z.string().check(z.minLength(1)),
  name: z.string(),
  type: z.string().check(z.minLength(1)),
  status: z.string().check(z.minLength(1)),
  createTime: text,
  osVersion: text,
  osArch: text,
  osLang: text,
  osName: text,
  osBuild: text,
  osType: text,
  specialVersion: text,
  desc: text,
  package: flag,
  encrypted: flag,
  minDiskGb: count,
  diskSize: count,
  ephemeralSize: count,
  snapshots: z.nullish(z.array(z.looseObject({}))),
});
export type BccImage = z.infer<typeof bccImageSchema>;

/** `GET /v2/image/{imageId}` → `{"image": ImageModel}`. */
export const bccImageReplySchema = z.looseObject({ image: bccImageSchema });
export type BccImageReply = z.infer<typeof bccImageReplySchema>;

/** The BCE error body: `{"requestId", "code", "message"}`. */
const bceErrorSchema = z.looseObject({
  code: z.string(),
  message: z.optional(z.string()),
  requestId: z.optional(z.string()),
});

export const parseBceError = (body: string): ProviderError => {
  const parsed = parseOptionalReply(bceErrorSchema, body);
  if (parsed === undefined) return {};
  const { code, message, requestId } = parsed;
  return { code, message, requestId };
};

// ImageStatus (BCE-GO model.go): Creating, CreateFailed, Available, NotAvailable, Error.
const STATUS: Record<string, ImageStatus> = {
  available: 'available',
  creating: 'creating',
  createfailed: 'failed',
  notavailable: 'unavailable',
  error: 'error',
};

// ImageType (BCE-GO model.go and the list-image doc). EbcTotal and the query value All are no kind.
const KIND: Record<string, ImageKind> = {
  custom: 'custom',
  gpubcccustom: 'custom',
  fpgabcccustom: 'custom',
  bbccustom: 'custom',
  ebccustom: 'custom',
  system: 'system',
  integration: 'system',
  gpubccsystem: 'system',
  fpgabccsystem: 'system',
  bbcsystem: 'system',
  ebcsystem: 'system',
  sharing: 'shared',
};

export const normaliseBccImage = imageNormaliser<BccImage>({
  provider: 'bcc',
  fields: ({ id, name, status, type, createTime }) => ({
    id,
    name,
    status,
    type,
    createdAt: createTime,
  }),
  statuses: STATUS,
  kinds: KIND,
  keyCase: 'lower',
});

/** The marker-paging facts of a list reply: `{marker, isTruncated, nextMarker?, maxKeys, ...}`. */
const paging = {
  isTruncated: z.nullish(z.boolean()),
  nextMarker: z.nullish(z.string()),
};

/** A reply that says it is not truncated has no next page, whatever marker it carries. */
const nextMarkerOf = (reply: { isTruncated?: boolean | null; nextMarker?: string | null }) =>
  reply.isTruncated === false ? undefined : (reply.nextMarker ?? undefined);

/** `GET /v2/image` → `{..., images: [ImageModel]}`. */
export const bccImageListSchema = z.pipe(
  z.looseObject({ images: z.array(bccImageSchema), ...paging }),
  z.transform((reply) => ({
    items: reply.images,
    nextMarker: nextMarkerOf(reply),
    truncated: reply.isTruncated === true,
  })),
);

/**
 * An instance as `GET /v2/instance` lists it: what we need to know which image it runs. One that
 * names no image fails validation: it may run any, and usage that cannot be read is not "unused".
 */
export const bccInstanceSchema = z.looseObject({
  id: z.string().check(z.minLength(1)),
  name: z.nullish(z.string()),
  status: z.nullish(z.string()),
  imageId: z.string().check(z.minLength(1)),
});
export type BccInstance = z.infer<typeof bccInstanceSchema>;

export const bccInstanceListSchema = z.pipe(
  z.looseObject({ instances: z.array(bccInstanceSchema), ...paging }),
  z.transform((reply) => ({
    items: reply.instances,
    nextMarker: nextMarkerOf(reply),
    truncated: reply.isTruncated === true,
  })),
);
