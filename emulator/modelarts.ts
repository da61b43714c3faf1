// Huawei Cloud ModelArts image API: `GET` / `DELETE /v1/{project_id}/images/{id}`.
//
// Error replies where the docs are silent (chosen here):
// - GET of a missing image: 404 `ModelArts.6797` "Specified image <id> cannot be found." (the
//   documented image-not-found message; ShowImage lists 404).
// - DELETE of a missing image: 400 `ModelArts.6404` (what terraform-provider-huaweicloud treats as
//   "gone" for `/images/{id}`).
// - DELETE of a BUILD_IN image: 403 `ModelArts.6653`.
// - DELETE of an INIT/CREATING image: 400 `ModelArts.6357` (documented message).
// - Path project_id or X-Project-Id not the demo project: 403 `APIGW.0310` "The project is
//   unavailable." (APIG's "project unavailable" code), with `request_id`.
// - Bad `force` query value or a DELETE body that is not `{"is_force"?: boolean}`: 400
//   `ModelArts.6400` (documented "Invalid request payload {0}, please check.").

import { DEMO_MODELARTS } from './demo.js';
import type { ReceivedRequest } from './incoming.js';
import { type EmulatorResponse, huaweiError, jsonResponse } from './response.js';
import type { EmulatorState } from './state.js';
import type { ModelArtsImageRecord } from './types.js';

/** `/v1/{project_id}/images/{id}` → its parts; undefined for any other path. */
export const matchModelArtsPath = (
  segments: readonly string[],
): { projectId: string; imageId: string } | undefined => {
  if (segments.length !== 4) return undefined;
  const [version, projectId, images, imageId] = segments as [string, string, string, string];
  if (version !== 'v1' || images !== 'images' || projectId === '' || imageId === '') {
    return undefined;
  }
  return { projectId, imageId };
};

export const modelArtsUnknownApi = (requestId: string): EmulatorResponse =>
  huaweiError(
    requestId,
    404,
    'APIGW.0101',
    'The API does not exist or has not been published in the environment',
  );

/** The project check APIG makes after authentication. */
export const checkModelArtsProject = (
  request: ReceivedRequest,
  projectId: string,
  requestId: string,
): EmulatorResponse | undefined => {
  const header = request.headers['x-project-id'];
  if (projectId === DEMO_MODELARTS.projectId && (header === undefined || header === projectId)) {
    return undefined;
  }
  return huaweiError(requestId, 403, 'APIGW.0310', 'The project is unavailable.');
};

const invalidPayload = (requestId: string, what: string): EmulatorResponse =>
  huaweiError(requestId, 400, 'ModelArts.6400', `Invalid request payload ${what}, please check.`);

export const handleModelArts = (
  request: ReceivedRequest,
  imageId: string,
  requestId: string,
  state: EmulatorState,
  now: Date,
): EmulatorResponse => {
  if (request.method === 'GET') {
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
    return jsonResponse('modelarts', requestId, 200, record);
  }

  // DELETE: `?force=true|false` (documented) and/or `{"is_force": bool}` (what the SDKs send).
  for (const [key, value] of request.query ?? []) {
    if (key === 'force' && value !== 'true' && value !== 'false') {
      return invalidPayload(requestId, 'force');
    }
  }
  if (request.body.trim() !== '') {
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
  }

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
  if (record.status === 'CREATING' || record.status === 'INIT') {
    return huaweiError(
      requestId,
      400,
      'ModelArts.6357',
      'The operation is not allowed because another operation is being performed on the instance or the instance is in the target state.',
    );
  }
  state.modelarts.delete(imageId);
  state.noteDelete('modelarts', imageId);
  const deleted: ModelArtsImageRecord = { ...record, status: 'DELETED', update_at: now.getTime() };
  return jsonResponse('modelarts', requestId, 200, deleted);
};
