// Huawei Cloud / Open Telekom Cloud ModelArts images: ShowImage and DeleteImage as the seeds
// document them, over the Huawei API Gateway, signed with SDK-HMAC-SHA256.

import { signSdkHmacSha256 } from '../../signing/huawei-sdk-hmac.js';
import type { FailureRule, ImageListDescription, UsageListDescription } from '../kit/cloud.js';
import { defineCloud, usageIdKey, useBy } from '../kit/cloud-provider.js';
import type { OffsetPaging } from '../kit/paging.js';
import { assertConfiguredRegion } from '../kit/regions.js';
import { type ModelArtsCredentials, modelArtsCredentials } from './credentials.js';
import { MODELARTS_ENDPOINTS } from './endpoints.js';
import {
  type ModelArtsImage,
  type ModelArtsNotebook,
  modelArtsImageListSchema,
  modelArtsImageSchema,
  modelArtsNotebookListSchema,
  normaliseModelArtsImage,
  parseHuaweiError,
} from './schemas.js';

// Codes for a rejected signature or credentials: the gateway's (APIGW: shared gateway, APIG:
// dedicated) and ModelArts' own (error-code appendix: 401 6620 "Please refresh the user token";
// 403 0203 "Invalid token", 0206 "Invalid AK/SK", 2784 "InvalidToken").
const AUTH_CODES = new Set([
  'APIGW.0301',
  'APIG.0301',
  'APIG.0303',
  'APIG.0307',
  'ModelArts.6620',
  'ModelArts.0203',
  'ModelArts.0206',
  'ModelArts.2784',
]);
// The appendix's 403s that refuse the caller, not the image: no permission (0108 "You are not
// authorized to perform the ({0}) operation", 0112 "Policy doesn't allow {} {} to be performed",
// 4336 "The user hasn't permission", 5014 "Permission deny", 6653 "You are not authorized to
// operate the project"), a project or authorisation the key lacks (0210 "The project id in the
// request URL does not match the token", 2785 "You have not authorized ModelArts"), an account that
// may not act (4116 owed, 4118 and 5017 suspended). On a delete they say nothing about the image.
const REFUSED_CODES = new Set([
  'ModelArts.0108',
  'ModelArts.0112',
  'ModelArts.0210',
  'ModelArts.2785',
  'ModelArts.4116',
  'ModelArts.4118',
  'ModelArts.4336',
  'ModelArts.5014',
  'ModelArts.5017',
  'ModelArts.6653',
]);
const THROTTLE_CODES = new Set(['APIGW.0308', 'APIG.0308', 'ModelArts.6101']);
// ModelArts.6797 is the documented "image cannot be found"; 6404 is what the service sends for a
// missing image in the wild (terraform-provider-huaweicloud treats it as gone). They come with
// HTTP 400. Not 6309 "the instance does not exist": that is a notebook, and an image delete
// answered with it may have deleted nothing.
const NOT_FOUND_CODES = new Set(['ModelArts.6797', 'ModelArts.6404']);
// "another operation is being performed on the instance", the closest documented code to "in use".
const BUSY_CODES = new Set(['ModelArts.6357']);

const RULES: readonly FailureRule[] = [
  // Not found: only ModelArts' own signals. A 404 from the gateway (APIGW.0101 "API does not
  // exist") or from anything else in front of it (an HTML page) is not the image being gone.
  { error: 'ImageNotFound', operations: ['show', 'delete'], codes: NOT_FOUND_CODES },
  {
    error: 'ImageNotFound',
    operations: ['show', 'delete'],
    status: [404],
    codePattern: /^ModelArts\./,
  },
  { error: 'UpstreamAuthFailed', status: [401] },
  { error: 'UpstreamAuthFailed', codes: AUTH_CODES },
  { error: 'UpstreamAuthFailed', status: [403], codePattern: /^APIG/ },
  { error: 'UpstreamAuthFailed', status: [403], codes: REFUSED_CODES },
  { error: 'ImageBusy', operations: ['delete'], status: [409], quote: true },
  { error: 'ImageBusy', operations: ['delete'], codes: BUSY_CODES, quote: true },
  { error: 'ImageProtected', operations: ['delete'], status: [403], quote: true },
  { error: 'UpstreamAuthFailed', status: [403] },
];

/**
 * The project of a region. The provider's resolveRegion has refused a region without one (the
 * caller's choice, not a deployment fault); this says the same should a request reach it anyway.
 */
const projectOf = (credentials: ModelArtsCredentials, region: string): string => {
  assertConfiguredRegion('modelarts', region, Object.keys(credentials.projects));
  // Own entries only (checked above): a region named `constructor` must not find Object's.
  return credentials.projects[region] as string;
};

/** ListImage's documented default page size (no maximum is documented). */
const offsetPaging = (pageSize: number): OffsetPaging => ({
  style: 'offset',
  pageSize,
  offsetParam: 'offset',
  limitParam: 'limit',
});

/**
 * What ListImage takes as `name`: "Image name, which contains a maximum of 512 characters,
 * including lowercase letters, digits, hyphens (-), underscores (_), and periods (.)". A name glob
 * whose literal text is anything else names no ModelArts image: it is not sent (the service's
 * answer to it is not documented) and the glob, applied here, matches none.
 */
const LIST_NAME = /^[a-z0-9._-]{1,512}$/;

/** A notebook may name its image by SWR path as well as by ID: both are usage keys. */
const swrKey = (path: string): string => `swr:${path}`;

const images: ImageListDescription<ModelArtsImage> = {
  path: '/images',
  paging: offsetPaging(200),
  replySchema: modelArtsImageListSchema,
  filterQuery: (filter) =>
    [
      ...(filter.kind === 'system' ? ([['type', 'BUILD_IN']] as const) : []),
      ...(filter.kind === 'custom' ? ([['type', 'DEDICATED']] as const) : []),
      // A fuzzy name match narrows; the glob is applied again on our side.
      ...(filter.nameContains !== undefined && LIST_NAME.test(filter.nameContains)
        ? ([
            ['name', filter.nameContains],
            ['name_fuzzy_match', 'true'],
          ] as const)
        : []),
    ].map(([key, value]) => [key, value] as [string, string]),
  normalise: normaliseModelArtsImage,
};

const notebooks: UsageListDescription<ModelArtsNotebook> = {
  // ListAllNotebooks: every IAM user's notebooks of the project. ListNotebooks (`/notebooks`)
  // answers only the caller's own, so a colleague's notebook would not count as a use. Without the
  // permission (modelarts:notebook:listAllNotebooks) the scan fails, and so does the delete.
  path: '/notebooks/all',
  // ListNotebooks / ListAllNotebooks take a limit of 10, 20 or 50 only (Huawei's API reference;
  // OTC's names no range): the largest, or a smaller one the service serves instead.
  paging: { ...offsetPaging(50), sizes: [10, 20, 50] },
  replySchema: modelArtsNotebookListSchema,
  usesOf: (notebook) =>
    useBy('notebook', notebook, [
      ...(notebook.image.id ? [usageIdKey(notebook.image.id.toLowerCase())] : []),
      ...(notebook.image.swr_path ? [swrKey(notebook.image.swr_path)] : []),
    ]),
};

export const modelArtsCloud = defineCloud<ModelArtsCredentials, ModelArtsImage>({
  key: 'modelarts',
  label: 'ModelArts',
  imageId: {
    pattern: /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i,
    description: 'a UUID',
    caseInsensitive: true,
  },
  endpoints: MODELARTS_ENDPOINTS,
  endpointVariable: 'MODELARTS_ENDPOINT',
  credentials: modelArtsCredentials,
  defaultRegion: (credentials) => credentials.defaultRegion,
  configuredRegions: (credentials) => Object.keys(credentials.projects),
  secretsOf: (credentials) => [
    credentials.accessKeyId,
    credentials.secretAccessKey,
    credentials.securityToken,
  ],
  supportsForce: true,
  protocol: {
    contentType: 'application/json',
    requestIdHeader: 'x-request-id',
    parseError: parseHuaweiError,
    authStatuses: [401],
    authCodes: AUTH_CODES,
    throttleCodes: THROTTLE_CODES,
    rules: RULES,
  },
  sign: (request, credentials, region, now) =>
    signSdkHmacSha256(request, { ...credentials, projectId: projectOf(credentials, region) }, now),
  basePath: (credentials, region) => `/v1/${projectOf(credentials, region)}`,
  requests: {
    show: (imageId) => ({ method: 'GET', path: `/images/${imageId}` }),
    // Public sources disagree on how `force` travels: the API documents a query parameter
    // `force`, the official SDKs (Node, Go, .NET) send a JSON body {"is_force": true}. We send
    // both, so that either reading of the service deletes the SWR content when asked to.
    delete: (imageId, { force }) => ({
      method: 'DELETE',
      path: `/images/${imageId}`,
      query: force ? [['force', 'true']] : [],
      body: force ? JSON.stringify({ is_force: true }) : '',
    }),
  },
  lists: { images, usage: notebooks },
  usageKeysOf: (image) => {
    const swrPath = image.details.swr_path;
    return [
      usageIdKey(image.id.toLowerCase()),
      ...(typeof swrPath === 'string' && swrPath !== '' ? [swrKey(swrPath)] : []),
    ];
  },
  image: {
    replySchema: modelArtsImageSchema,
    recordOf: (record) => record,
    normalise: normaliseModelArtsImage,
  },
});
