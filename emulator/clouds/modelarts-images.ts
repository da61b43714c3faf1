// ModelArts image APIs: ShowImage, DeleteImage and ListImage.
//
// Error replies where the docs are silent (chosen here):
// - GET of a missing image: 404 `ModelArts.6797` "Specified image <id> cannot be found." (the
//   documented image-not-found message; ShowImage lists 404).
// - DELETE of a missing image: 400 `ModelArts.6404` (what terraform-provider-huaweicloud treats as
//   "gone" for `/images/{id}`).
// - DELETE of a BUILD_IN image: 403 `ModelArts.6653`.
// - DELETE of an INIT/CREATING image: 400 `ModelArts.6357` (documented message).
// - DELETE of an image a notebook uses: the docs say only that DeleteImage "returns an error if
//   the image is being used", naming no code; chosen: the same 400 `ModelArts.6357` (the
//   dev-environment "operation not allowed in this state" code).
// - Bad `force` query value or a DELETE body that is not `{"is_force"?: boolean}`, or a bad list
//   parameter: 400 `ModelArts.6400` (documented "Invalid request payload {0}, please check.").

import type { EmulatorResponse } from '../response.js';
import type { ModelArtsImageRecord } from '../types.js';
import type { OperationContext } from './dialect.js';
import { huaweiError, huaweiJson } from './huawei-replies.js';
import { invalidPayload, listReply, readListQuery, sortRecords } from './modelarts-list.js';
import { QueryReader } from './query.js';

const OPERATION_NOT_ALLOWED =
  'The operation is not allowed because another operation is being performed on the instance or the instance is in the target state.';

export const showImage = ({ params, requestId, state }: OperationContext): EmulatorResponse => {
  const imageId = params.imageId ?? '';
  const record = state.modelarts.get(imageId);
  if (record === undefined) {
    return huaweiError(
      requestId,
      404,
      'ModelArts.6797',
      `Specified image ${imageId} cannot be found.`,
    );
  }
  state.noteGet('modelarts', imageId);
  return huaweiJson(requestId, 200, record);
};

/** `?force=true|false` (documented) and/or `{"is_force": bool}` (what the SDKs send). */
const checkDeleteInput = ({
  request,
  requestId,
}: OperationContext): EmulatorResponse | undefined => {
  for (const [key, value] of request.query ?? []) {
    if (key === 'force' && value !== 'true' && value !== 'false') {
      return invalidPayload(requestId, 'force');
    }
  }
  if (request.body.trim() === '') return undefined;
  let body: unknown;
  try {
    body = JSON.parse(request.body);
  } catch {
    return invalidPayload(requestId, 'body');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return invalidPayload(requestId, 'body');
  }
  const isForce: unknown = Reflect.get(body, 'is_force');
  if (isForce !== undefined && typeof isForce !== 'boolean') {
    return invalidPayload(requestId, 'is_force');
  }
  return undefined;
};

export const deleteImage = (context: OperationContext): EmulatorResponse => {
  const { params, requestId, state, now } = context;
  const invalid = checkDeleteInput(context);
  if (invalid !== undefined) return invalid;
  const imageId = params.imageId ?? '';
  const record = state.modelarts.get(imageId);
  if (record === undefined) {
    return huaweiError(requestId, 400, 'ModelArts.6404', `Image ${imageId} does not exist.`);
  }
  if (record.type === 'BUILD_IN') {
    return huaweiError(
      requestId,
      403,
      'ModelArts.6653',
      `No permission to delete built-in image ${imageId}.`,
    );
  }
  if (
    record.status === 'CREATING' ||
    record.status === 'INIT' ||
    state.isReferenced('modelarts', imageId)
  ) {
    return huaweiError(requestId, 400, 'ModelArts.6357', OPERATION_NOT_ALLOWED);
  }
  state.modelarts.delete(imageId);
  state.noteDelete('modelarts', imageId);
  const deleted: ModelArtsImageRecord = { ...record, status: 'DELETED', update_at: now.getTime() };
  return huaweiJson(requestId, 200, deleted);
};

const IMAGE_TYPES = ['BUILD_IN', 'DEDICATED'] as const;

/**
 * ListImage: limit (default 200), offset (default 0, records or pages per the emulator setting),
 * name (substring, or exact with name_fuzzy_match=false), type, namespace, service_type,
 * workspace_id (exact; no filter when absent), sort_key (create_at / update_at / name, default
 * create_at), sort_dir (default DESC).
 */
export const listImages = ({
  request,
  requestId,
  state,
  settings,
}: OperationContext): EmulatorResponse => {
  const query = new QueryReader(request);
  const list = readListQuery(query, 200, 'create_at');
  if (!list.ok) return invalidPayload(requestId, list.name);
  const fuzzy = query.oneOf('name_fuzzy_match', ['true', 'false'], 'true');
  if (!fuzzy.ok) return invalidPayload(requestId, fuzzy.name);
  const type = query.text('type');
  if (type !== undefined && !(IMAGE_TYPES as readonly string[]).includes(type)) {
    return invalidPayload(requestId, 'type');
  }
  const name = query.text('name');
  const exact: Array<[string, string | undefined]> = [
    ['type', type],
    ['namespace', query.text('namespace')],
    ['service_type', query.text('service_type')],
    ['workspace_id', query.text('workspace_id')],
  ];
  const key = JSON.stringify([
    list.value.sortFields,
    list.value.descending,
    name,
    fuzzy.value,
    exact,
  ]);
  const records = state.modelarts.view(key, (all) =>
    sortRecords(
      all.filter(
        (image) =>
          exact.every(([field, wanted]) => wanted === undefined || image[field] === wanted) &&
          (name === undefined ||
            (typeof image.name === 'string' &&
              (fuzzy.value === 'true' ? image.name.includes(name) : image.name === name))),
      ),
      list.value,
    ),
  );
  return listReply(
    requestId,
    records,
    list.value,
    settings.modelartsOffset,
    settings.modelartsMaxLimit,
  );
};
