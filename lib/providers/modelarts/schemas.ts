// ModelArts replies as documented (ShowImage / DeleteImage), tolerant of the drift the docs and SDKs
// show (lowercase `arch`, enum values such as ASCEND or HIDDEN, new statuses, extra fields such as
// flavor_type), strict about what we need to decide anything: id, name, status and type.

import type { ImageKind, ImageStatus } from '../../images/image.js';
import * as z from '../../schema/zod.js';
import type { ProviderError } from '../kit/cloud.js';
import { imageNormaliser } from '../kit/image-normaliser.js';
import { parseOptionalReply } from '../kit/reply.js';

const strings = z.array(z.string());

export const modelArtsImageSchema = z.looseObject({
  id: z.string().check(z.minLength(1)),
  name: z.string(),
  status: z.string().check(z.minLength(1)),
  type: z.string().check(z.minLength(1)),
  arch: z.optional(z.string()),
  create_at: z.optional(z.number()),
  update_at: z.optional(z.number()),
  description: z.optional(z.string()),
  dev_services: z.optional(strings),
  namespace: z.optional(z.string()),
  origin: z.optional(z.string()),
  resource_categories: z.optional(strings),
  support_res_categories: z.optional(strings),
  service_type: z.optional(z.string()),
  size: z.optional(z.number()),
  status_message: z.optional(z.string()),
  swr_path: z.optional(z.string()),
  tag: z.optional(z.string()),
  visibility: z.optional(z.string()),
  workspace_id: z.optional(z.string()),
  flavor_type: z.optional(z.string()),
});
export type ModelArtsImage = z.infer<typeof modelArtsImageSchema>;

/** Both Huawei error shapes: `{error_code, error_msg}` and the nested `{error: {code, message}}`. */
const flatErrorSchema = z.looseObject({
  error_code: z.string(),
  error_msg: z.optional(z.string()),
  request_id: z.optional(z.string()),
});
const nestedErrorSchema = z.looseObject({
  error: z.looseObject({ code: z.string(), message: z.optional(z.string()) }),
  request_id: z.optional(z.string()),
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
export const modelArtsImageListSchema = z.pipe(
  z.looseObject({
    data: z.array(modelArtsImageSchema),
    total: z.optional(z.int().check(z.gte(0))),
  }),
  z.transform((reply) => ({ items: reply.data, total: reply.total })),
);

/**
 * A notebook as ListNotebooks returns it: what we need to know which image it runs (`image.id`,
 * and its SWR path). A notebook that names its image some other way fails validation: usage that
 * cannot be read is not "unused".
 */
export const modelArtsNotebookSchema = z.looseObject({
  id: z.string().check(z.minLength(1)),
  name: z.nullish(z.string()),
  status: z.nullish(z.string()),
  image: z.nullish(
    z.looseObject({
      id: z.nullish(z.string()),
      name: z.nullish(z.string()),
      swr_path: z.nullish(z.string()),
    }),
  ),
});
export type ModelArtsNotebook = z.infer<typeof modelArtsNotebookSchema>;

export const modelArtsNotebookListSchema = z.pipe(
  z.looseObject({
    data: z.array(modelArtsNotebookSchema),
    total: z.optional(z.int().check(z.gte(0))),
  }),
  z.transform((reply) => ({ items: reply.data, total: reply.total })),
);
