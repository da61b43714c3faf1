// Baidu AI Cloud BCC image API: `GET` / `DELETE /v2/image/{imageId}`.
//
// Replies: GET → 200 `{"image": ImageModel}`; missing → 404 `NoSuchObject`. DELETE → 200 with no
// body; missing → 404 `NoSuchObject`; not a custom image → 403 `Image.UnCustomImageCannotBeDeleted`;
// creating → 409 `Image.CreatingImageCannotBeDeleted`; shared to others → 409
// `Image.ImageHasBeenSharedToOthers` (checked in that order). Other paths under `/v2/` → 400
// `InvalidURI` (chosen: the docs are silent).

import type { ReceivedRequest } from './incoming.js';
import { bceError, type EmulatorResponse, jsonResponse } from './response.js';
import type { EmulatorState } from './state.js';

/** `/v2/image/{imageId}` → the image id; undefined for any other path. */
export const matchBccPath = (segments: readonly string[]): { imageId: string } | undefined => {
  if (segments.length !== 3) return undefined;
  const [version, image, imageId] = segments as [string, string, string];
  if (version !== 'v2' || image !== 'image' || imageId === '') return undefined;
  return { imageId };
};

export const bccUnknownApi = (requestId: string): EmulatorResponse =>
  bceError(requestId, 400, 'InvalidURI', 'The URI you provided is invalid.');

const noSuchObject = (requestId: string): EmulatorResponse =>
  bceError(
    requestId,
    404,
    'NoSuchObject',
    'The specified object is not found or resource do not exist.',
  );

/** `Custom`, and the per-product custom types (`GpuBccCustom`, `BbcCustom`, ...). */
const isCustomType = (type: string | undefined): boolean =>
  type !== undefined && (type === 'Custom' || type.endsWith('Custom'));

export const handleBcc = (
  request: ReceivedRequest,
  imageId: string,
  requestId: string,
  state: EmulatorState,
): EmulatorResponse => {
  const record = state.bcc.get(imageId);
  if (record === undefined) return noSuchObject(requestId);
  if (request.method === 'GET') {
    state.noteGet('bcc', imageId);
    return jsonResponse('bcc', requestId, 200, { image: record });
  }
  if (!isCustomType(record.type)) {
    return bceError(
      requestId,
      403,
      'Image.UnCustomImageCannotBeDeleted',
      'Only custom image can be deleted.',
    );
  }
  if (record.status === 'Creating') {
    return bceError(
      requestId,
      409,
      'Image.CreatingImageCannotBeDeleted',
      'Cannot delete image when creating.',
    );
  }
  if (state.bcc.sharedWith(imageId).length > 0) {
    return bceError(
      requestId,
      409,
      'Image.ImageHasBeenSharedToOthers',
      'Image has been shared to others.',
    );
  }
  state.bcc.delete(imageId);
  state.noteDelete('bcc', imageId);
  return jsonResponse('bcc', requestId, 200, undefined);
};
