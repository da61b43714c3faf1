// ModelArts replies as documented (ShowImage / DeleteImage), tolerant of the drift the docs and SDKs
// show (lowercase `arch`, enum values such as ASCEND or HIDDEN, new statuses, extra fields such as
// flavor_type), strict about what we need to decide anything: id, name, status and type.

import * as z from 'zod';
import type { ImageKind, ImageStatus } from '../../images/image.js';
import type { ProviderError } from '../kit/cloud.js';
import { imageNormaliser } from '../kit/image-normaliser.js';
import { parseOptionalReply } from '../kit/reply.js';

const strings = z.array(z.string());

export const modelArtsImageSchema = z.looseObject({
  id: z.string().min(1),
  name: z.string(),
  status: z.string().min(1),
  type: z.string().min(1),
  arch: z.string().optional(),
  create_at: z.number().optional(),
  update_at: z.number().optional(),
  description: z.string().optional(),
  dev_services: strings.optional(),
  namespace: z.string().optional(),
  origin: z.string().optional(),
  resource_categories: strings.optional(),
  support_res_categories: strings.optional(),
  service_type: z.string().optional(),
  size: z.number().optional(),
  status_message: z.string().optional(),
  swr_path: z.string().optional(),
  tag: z.string().optional(),
  visibility: z.string().optional(),
  workspace_id: z.string().optional(),
  flavor_type: z.string().optional(),
});
export type ModelArtsImage = z.infer<typeof modelArtsImageSchema>;

/** Both Huawei error shapes: `{error_code, error_msg}` and the nested `{error: {code, message}}`. */
const flatErrorSchema = z.looseObject({
  error_code: z.string(),
  error_msg: z.string().optional(),
  request_id: z.string().optional(),
});
const nestedErrorSchema = z.looseObject({
  error: z.looseObject({ code: z.string(), message: z.string().optional() }),
  request_id: z.string().optional(),
});

/** Either error body, as one shape. */
const huaweiErrorSchema = z.union([
  flatErrorSchema.transform(
    (flat): ProviderError => ({
      code: flat.error_code,
      message: flat.error_msg,
      requestId: flat.request_id,
    }),
  ),
  nestedErrorSchema.transform(
    ({ error, request_id }): ProviderError => ({
      code: error.code,
      message: error.message,
      requestId: request_id,
    }),
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
export const modelArtsImageListSchema = z
  .looseObject({ data: z.array(modelArtsImageSchema), total: z.number().int().min(0).optional() })
  .transform((reply) => ({ items: reply.data, total: reply.total }));

/**
 * A notebook as ListNotebooks returns it: what we need to know which image it runs (`image.id`,
 * and its SWR path). A notebook that names its image some other way fails validation: usage that
 * cannot be read is not "unused".
 */
export const modelArtsNotebookSchema = z.looseObject({
  id: z.string().min(1),
  name: z.string().nullish(),
  status: z.string().nullish(),
  image: z
    .looseObject({
      id: z.string().nullish(),
      name: z.string().nullish(),
      swr_path: z.string().nullish(),
    })
    .nullish(),
});
export type ModelArtsNotebook = z.infer<typeof modelArtsNotebookSchema>;

export const modelArtsNotebookListSchema = z
  .looseObject({
    data: z.array(modelArtsNotebookSchema),
    total: z.number().int().min(0).optional(),
  })
  .transform((reply) => ({ items: reply.data, total: reply.total }));
