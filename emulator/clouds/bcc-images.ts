// BCC image APIs: Query Details of the Image, Delete a Custom Image, Query the Image List.
//
// Replies: GET → 200 `{"image": ImageModel}`; missing → 404 `NoSuchObject`. DELETE → 200 with no
// body; missing → 404 `NoSuchObject`; not a custom image → 403 `Image.UnCustomImageCannotBeDeleted`;
// creating → 409 `Image.CreatingImageCannotBeDeleted`; shared to others → 409
// `Image.ImageHasBeenSharedToOthers` (checked in that order). An image instances were built from
// is deleted all the same (the docs name no refusal for it).

import { byId, markerPage } from '../pagination.js';
import type { EmulatorResponse } from '../response.js';
import { bceError, bceInvalidParameter, bceJson } from './bce-replies.js';
import type { OperationContext } from './dialect.js';
import { QueryReader } from './query.js';

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

export const showImage = ({ params, requestId, state }: OperationContext): EmulatorResponse => {
  const imageId = params.imageId ?? '';
  const record = state.bcc.get(imageId);
  if (record === undefined) return noSuchObject(requestId);
  state.noteGet('bcc', imageId);
  return bceJson(requestId, 200, { image: record });
};

export const deleteImage = ({ params, requestId, state }: OperationContext): EmulatorResponse => {
  const imageId = params.imageId ?? '';
  const record = state.bcc.get(imageId);
  if (record === undefined) return noSuchObject(requestId);
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
  return bceJson(requestId, 200, undefined);
};

/** The documented `imageType` values (`All` = no filter; `EbcTotal` = both EBC kinds). */
const IMAGE_TYPES = [
  'All',
  'System',
  'Custom',
  'Integration',
  'Sharing',
  'GpuBccSystem',
  'GpuBccCustom',
  'FpgaBccSystem',
  'FpgaBccCustom',
  'BbcSystem',
  'BbcCustom',
  'EbcTotal',
  'EbcCustom',
  'EbcSystem',
] as const;

/** maxKeys: default 1000; more than 1000 is served as 1000 (the docs' maximum). */
export const MAX_KEYS = 1000;

/** `marker` (page starts at that id), `maxKeys` and the reply's paging fields. */
export const readMarkerQuery = (
  query: QueryReader,
): { ok: true; marker: string | undefined; maxKeys: number } | { ok: false; name: string } => {
  const maxKeys = query.integer('maxKeys', MAX_KEYS, 1, Number.MAX_SAFE_INTEGER);
  if (!maxKeys.ok) return maxKeys;
  return { ok: true, marker: query.text('marker'), maxKeys: Math.min(maxKeys.value, MAX_KEYS) };
};

/**
 * `GET /v2/image`: marker, maxKeys, imageType (exact, one of the documented values), imageName
 * (substring). Images in id order; the reply `{marker, isTruncated, nextMarker?, maxKeys, images}`
 * echoes the marker given ('' when none) and leaves nextMarker out on the last page.
 */
export const listImages = ({ request, requestId, state }: OperationContext): EmulatorResponse => {
  const query = new QueryReader(request);
  const paging = readMarkerQuery(query);
  if (!paging.ok) return bceInvalidParameter(requestId, paging.name);
  const imageType = query.oneOf('imageType', IMAGE_TYPES, 'All');
  if (!imageType.ok) return bceInvalidParameter(requestId, imageType.name);
  const type = imageType.value;
  const name = query.text('imageName');
  const images = state.bcc.view(JSON.stringify([type, name]), (all) =>
    all
      .filter(
        (image) =>
          (type === 'All' ||
            image.type === type ||
            (type === 'EbcTotal' && (image.type === 'EbcCustom' || image.type === 'EbcSystem'))) &&
          (name === undefined || (typeof image.name === 'string' && image.name.includes(name))),
      )
      .sort(byId),
  );
  const page = markerPage(images, paging.marker, paging.maxKeys);
  return bceJson(requestId, 200, {
    marker: paging.marker ?? '',
    isTruncated: page.isTruncated,
    ...(page.nextMarker === undefined ? {} : { nextMarker: page.nextMarker }),
    maxKeys: paging.maxKeys,
    images: page.items,
  });
};
