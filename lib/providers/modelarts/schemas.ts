// ModelArts replies as documented (ShowImage / DeleteImage), tolerant of the drift the docs and SDKs
// show (lowercase `arch`, enum values such as ASCEND or HIDDEN, new statuses, extra fields such as
// flavor_type), strict about what we need to decide anything: id, name, status and type.

import type { ImageKind, ImageStatus } from '../../images/image.js';
import * as z from '../../schema/zod.js';
import type { ProviderError } from '../kit/cloud.js';
import { imageNormaliser } from '../kit/image-normaliser.js';
import { parseOptionalReply } from '../kit/reply.js';

// One instance per field shape, shared by the fields (a schema is immutable): the functions build
// these during INIT, and each instance costs construction time.
const required = z.string().check(z.minLength(1));
const text = z.optional(z.string());
const count = z.optional(z.number());
const texts = z.optional(z.array(z.string()));
const nullableText = z.nullish(z.string());

export const modelArtsImageSchema = z.looseObject({
  id: required,
  name: z.string(),
  status: required,
  type: required,
  arch: text,
  create_at: count,
  update_at: count,
  description: text,
  dev_services: texts,
  namespace: text,
  origin: text,
  resource_categories: texts,
  support_res_categories: texts,
  service_type: text,
  size: count,
  status_message: text,
  swr_path: text,
  tag: text,
  visibility: text,
  workspace_id: text,
  flavor_type: text,
});
export type ModelArtsImage = z.infer<typeof modelArtsImageSchema>;

/** Both Huawei error shapes: `{error_code, error_msg}` and the nested `{error: {code, message}}`. */
const flatErrorSchema = z.looseObject({
  error_code: z.string(),
  error_msg: text,
  request_id: text,
});
const nestedErrorSchema = z.looseObject({
  error: z.looseObject({ code: z.string(), message: text }),
  request_id: text,
});

/** Either error body, as one shape. */
const huaweiErrorSchema = z.union([
  z.pipe(
    flatErrorSchema,
    z.transform(
      (flat): ProviderError => ({
        code: flat.error_code,
        message: flat.error_msg,
        requestId: flat.request_id,
      }),
    ),
  ),
  z.pipe(
    nestedErrorSchema,
    z.transform(
      ({ error, request_id }): ProviderError => ({
        code: error.code,
        message: error.message,
        requestId: request_id,
      }),
    ),
  ),
]);

export const parseHuaweiError = (body: string): ProviderError =>
  parseOptionalReply(huaweiErrorSchema, body) ?? {};

const STATUS: Record<string, ImageStatus> = {
  ACTIVE: 'available',
  INIT: 'creating',
  CREATING: 'creating',
  CREATE_FAILED: 'failed',
  ERROR: 'error',
  DELETED: 'deleted',
};

const KIND: Record<string, ImageKind> = { BUILD_IN: 'system', DEDICATED: 'custom' };

export const normaliseModelArtsImage = imageNormaliser<ModelArtsImage>({
  provider: 'modelarts',
  fields: ({ id, name, status, type, create_at, update_at }) => ({
    id,
    name,
    status,
    type,
    createdAt: create_at,
    updatedAt: update_at,
  }),
  statuses: STATUS,
  kinds: KIND,
  keyCase: 'upper',
});

/** ListImage: `{current, data, pages, size, total}` (offset pages), items as ShowImage's. */
/** A list reply's `total`. */
const pageTotal = z.optional(z.int().check(z.gte(0)));

export const modelArtsImageListSchema = z.pipe(
  z.looseObject({
    data: z.array(modelArtsImageSchema),
    total: pageTotal,
  }),
  z.transform((reply) => ({ items: reply.data, total: reply.total })),
);

/**
 * A notebook as ListNotebooks returns it: what we need to know which image it runs (`image.id`,
 * and its SWR path). A notebook that names its image some other way, or not at all (no `image`,
 * neither an ID nor an SWR path), fails validation: usage that cannot be read is not "unused".
 */
export const modelArtsNotebookSchema = z.looseObject({
  id: required,
  name: nullableText,
  status: nullableText,
  image: z
    .looseObject({
      id: nullableText,
      name: nullableText,
      swr_path: nullableText,
    })
    .check(
      z.refine((image) => Boolean(image.id) || Boolean(image.swr_path), {
        message: 'names neither an image ID nor an SWR path',
      }),
    ),
});
export type ModelArtsNotebook = z.infer<typeof modelArtsNotebookSchema>;

export const modelArtsNotebookListSchema = z.pipe(
  z.looseObject({
    data: z.array(modelArtsNotebookSchema),
    total: pageTotal,
  }),
  z.transform((reply) => ({ items: reply.data, total: reply.total })),
);
