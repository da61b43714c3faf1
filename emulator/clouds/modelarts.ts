// Huawei Cloud ModelArts as the emulator speaks it, behind Huawei's API gateway (APIG):
//
//   GET    /v1/{project_id}/images/{id}   ShowImage       (operation `show`)
//   DELETE /v1/{project_id}/images/{id}   DeleteImage     (operation `delete`)
//   GET    /v1/{project_id}/images        ListImage       (operation `list-images`)
//   GET    /v1/{project_id}/notebooks     ListNotebooks   (operation `list-notebooks`): the caller's own
//   GET    /v1/{project_id}/notebooks/all ListAllNotebooks (operation `list-all-notebooks`): every
//                                          IAM user's notebooks in the project
//
// Signed with SDK-HMAC-SHA256 (AK lockout after repeated failures). After authentication the
// gateway checks the project: a path project_id or X-Project-Id other than the demo project is
// 403 `APIGW.0310` "The project is unavailable." (APIG's code for it). Any other path under `/v1/`
// is 404 `APIGW.0101`.

import { AkLockout } from '../auth/ak-lockout.js';
import { huaweiAuthenticator } from '../auth/huawei-sdk-hmac.js';
import { DEMO_MODELARTS } from '../demo.js';
import type { CloudDialect, CloudRoute, RouteParams } from './dialect.js';
import {
  HUAWEI_REQUEST_ID_HEADER,
  huaweiError,
  huaweiFaultBody,
  huaweiHeaders,
  huaweiThrottled,
  huaweiTooLarge,
  huaweiUnknownApi,
} from './huawei-replies.js';
import { deleteImage, listImages, showImage } from './modelarts-images.js';
import { listAllNotebooks, listNotebooks } from './modelarts-notebooks.js';

/** `/v1/{project_id}/{collection}` (+ `/{id}` when `withId`) → its parameters. */
const path =
  (collection: string, withId: boolean) =>
  (segments: readonly string[]): RouteParams | undefined => {
    if (segments.length !== (withId ? 4 : 3)) return undefined;
    const [version, projectId = '', name, imageId = ''] = segments;
    if (version !== 'v1' || name !== collection || projectId === '') return undefined;
    if (withId && imageId === '') return undefined;
    return withId ? { projectId, imageId } : { projectId };
  };

/** `/v1/{project_id}/notebooks/all`. */
const allNotebooks = (segments: readonly string[]): RouteParams | undefined => {
  const [version, projectId = '', name, all] = segments;
  return segments.length === 4 &&
    version === 'v1' &&
    projectId !== '' &&
    name === 'notebooks' &&
    all === 'all'
    ? { projectId }
    : undefined;
};

const routes: readonly CloudRoute[] = [
  { operation: 'show', method: 'GET', match: path('images', true), handle: showImage },
  { operation: 'delete', method: 'DELETE', match: path('images', true), handle: deleteImage },
  { operation: 'list-images', method: 'GET', match: path('images', false), handle: listImages },
  {
    operation: 'list-notebooks',
    method: 'GET',
    match: path('notebooks', false),
    handle: listNotebooks,
  },
  {
    operation: 'list-all-notebooks',
    method: 'GET',
    match: allNotebooks,
    handle: listAllNotebooks,
  },
];

export const modelArtsDialect: CloudDialect = {
  provider: 'modelarts',
  pathPrefix: 'v1',
  routes,
  requestIdHeader: HUAWEI_REQUEST_ID_HEADER,
  headers: huaweiHeaders,
  error: huaweiError,
  demoCredentials: DEMO_MODELARTS,
  createAuthenticator: ({ lockoutMs, secrets }) =>
    huaweiAuthenticator((accessKeyId) => secrets.get(accessKeyId), new AkLockout(lockoutMs)),
  admit: ({ request, params, requestId }) => {
    const header = request.headers['x-project-id'];
    const projectId = params.projectId ?? '';
    if (projectId === DEMO_MODELARTS.projectId && (header === undefined || header === projectId)) {
      return undefined;
    }
    return huaweiError(requestId, 403, 'APIGW.0310', 'The project is unavailable.');
  },
  faultBody: huaweiFaultBody,
  tooLarge: huaweiTooLarge,
  unknownApi: huaweiUnknownApi,
  throttled: huaweiThrottled,
};
