// Baidu AI Cloud BCC custom images: "Query Details of the Image" and "Delete a Custom Image" as
// the seeds document them, signed with bce-auth-v1.

import { signBceAuthV1 } from '../../signing/bce-auth-v1.js';
import type { FailureRule, ImageListDescription, UsageListDescription } from '../kit/cloud.js';
import { defineCloud, usageIdKey, useBy } from '../kit/cloud-provider.js';
import type { MarkerPaging } from '../kit/paging.js';
import { type BccCredentials, bccCredentials } from './credentials.js';
import { BCC_ENDPOINTS } from './endpoints.js';
import {
  type BccImage,
  type BccImageReply,
  type BccInstance,
  bccImageListSchema,
  bccImageReplySchema,
  bccInstanceListSchema,
  normaliseBccImage,
  parseBceError,
} from './schemas.js';

// A rejected signature, key or clock (BCE common error codes; RequestTimeTooSkewed from BCE-JS;
// InvalidHTTPAuthHeader, 400: an Authorization header BCC cannot read, i.e. our signature).
const AUTH_CODES = new Set([
  'SignatureDoesNotMatch',
  'RequestExpired',
  'InvalidAccessKeyId',
  'AccessDenied',
  'RequestTimeTooSkewed',
  'InvalidHTTPAuthHeader',
]);

const RULES: readonly FailureRule[] = [
  // BCC's own not-found: `NoSuchObject` in its error body. A 404 without it (an HTML page, a
  // gateway, `InvalidVersion`) is not the image being gone.
  { error: 'ImageNotFound', operations: ['show', 'delete'], codes: new Set(['NoSuchObject']) },
  { error: 'UpstreamAuthFailed', codes: AUTH_CODES },
  // The delete page's error table.
  {
    error: 'ImageProtected',
    operations: ['delete'],
    codes: new Set(['Image.UnCustomImageCannotBeDeleted']),
    quote: true,
  },
  {
    error: 'ImageBusy',
    operations: ['delete'],
    codes: new Set(['Image.CreatingImageCannotBeDeleted', 'Image.ImageHasBeenSharedToOthers']),
    quote: true,
  },
  // Any other 403 in BCC's own error body refuses the key the call, documented (OptInRequired:
  // the service is not opened; QualifyNotPass: the account is not verified): not retried, the same
  // key would be refused again. A 403 that is not BCC's body stays undocumented.
  { error: 'UpstreamAuthFailed', status: [403], codePattern: /./ },
];

/** maxKeys: default and documented maximum 1000. */
const MARKER_PAGING: MarkerPaging = {
  style: 'marker',
  pageSize: 1000,
  markerParam: 'marker',
  sizeParam: 'maxKeys',
};

const images: ImageListDescription<BccImage> = {
  path: '/image',
  paging: MARKER_PAGING,
  replySchema: bccImageListSchema,
  // Only `shared` is one imageType (Sharing); custom and system span several (GpuBccCustom,
  // Integration...), and imageName works only with imageType=Custom: the rest is filtered here.
  filterQuery: (filter) => (filter.kind === 'shared' ? [['imageType', 'Sharing']] : []),
  normalise: normaliseBccImage,
};

const instances: UsageListDescription<BccInstance> = {
  path: '/instance',
  paging: MARKER_PAGING,
  replySchema: bccInstanceListSchema,
  usesOf: (instance) => useBy('instance', instance, [usageIdKey(instance.imageId)]),
};

export const bccCloud = defineCloud<BccCredentials, BccImageReply>({
  key: 'bcc',
  label: 'BCC',
  imageId: {
    pattern: /^m-[A-Za-z0-9]{1,32}$/,
    description: "'m-' followed by 1 to 32 letters and digits",
    caseInsensitive: false,
  },
  endpoints: BCC_ENDPOINTS,
  endpointVariable: 'BCC_ENDPOINT',
  credentials: bccCredentials,
  defaultRegion: (credentials) => credentials.defaultRegion,
  secretsOf: (credentials) => [
    credentials.accessKeyId,
    credentials.secretAccessKey,
    credentials.sessionToken,
  ],
  // BCC has no force: deleting a custom image removes it whole.
  supportsForce: false,
  protocol: {
    contentType: 'application/json; charset=utf-8',
    requestIdHeader: 'x-bce-request-id',
    parseError: parseBceError,
    authStatuses: [],
    authCodes: AUTH_CODES,
    // Baidu documents no throttling code for BCC: HTTP 429 is throttling.
    throttleCodes: new Set(),
    rules: RULES,
  },
  sign: (request, credentials, _region, now) => signBceAuthV1(request, credentials, now),
  basePath: () => '/v2',
  requests: {
    show: (imageId) => ({ method: 'GET', path: `/image/${imageId}` }),
    delete: (imageId) => ({ method: 'DELETE', path: `/image/${imageId}` }),
  },
  lists: { images, usage: instances },
  image: {
    replySchema: bccImageReplySchema,
    recordOf: (reply) => reply.image,
    normalise: (reply, region) => normaliseBccImage(reply.image, region),
  },
});
