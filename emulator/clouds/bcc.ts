// Baidu AI Cloud BCC as the emulator speaks it:
//
//   GET    /v2/image/{imageId}   Query Details of the Image    (operation `show`)
//   DELETE /v2/image/{imageId}   Delete a Custom Image         (operation `delete`)
//   GET    /v2/image             Query the Image List          (operation `list-images`)
//   GET    /v2/instance          Query the Instance List       (operation `list-instances`)
//
// Signed with bce-auth-v1 (no lockout). Any other path under `/v2/` is 400 `InvalidURI`.

import { bceAuthenticator } from '../auth/bce-auth-v1.js';
import { DEMO_BCC } from '../demo.js';
import { deleteImage, listImages, showImage } from './bcc-images.js';
import { listInstances } from './bcc-instances.js';
import {
  BCE_REQUEST_ID_HEADER,
  bceError,
  bceFaultBody,
  bceHeaders,
  bceThrottled,
  bceTooLarge,
  bceUnknownApi,
} from './bce-replies.js';
import type { CloudDialect, CloudRoute, RouteParams } from './dialect.js';

/** `/v2/{collection}` (+ `/{id}` when `withId`) → its parameters. */
const path =
  (collection: string, withId: boolean) =>
  (segments: readonly string[]): RouteParams | undefined => {
    if (segments.length !== (withId ? 3 : 2)) return undefined;
    const [version, name, imageId = ''] = segments;
    if (version !== 'v2' || name !== collection) return undefined;
    if (!withId) return {};
    return imageId === '' ? undefined : { imageId };
  };

const routes: readonly CloudRoute[] = [
  { operation: 'show', method: 'GET', match: path('image', true), handle: showImage },
  { operation: 'delete', method: 'DELETE', match: path('image', true), handle: deleteImage },
  { operation: 'list-images', method: 'GET', match: path('image', false), handle: listImages },
  {
    operation: 'list-instances',
    method: 'GET',
    match: path('instance', false),
    handle: listInstances,
  },
];

export const bccDialect: CloudDialect = {
  provider: 'bcc',
  pathPrefix: 'v2',
  routes,
  requestIdHeader: BCE_REQUEST_ID_HEADER,
  headers: bceHeaders,
  error: bceError,
  demoCredentials: DEMO_BCC,
  createAuthenticator: ({ secrets }) => bceAuthenticator((accessKeyId) => secrets.get(accessKeyId)),
  admit: () => undefined,
  faultBody: bceFaultBody,
  tooLarge: bceTooLarge,
  unknownApi: bceUnknownApi,
  throttled: bceThrottled,
};
