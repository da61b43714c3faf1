// ModelArts images over the Huawei API Gateway: ShowImage and DeleteImage exactly as the seeds
// document them, signed with SDK-HMAC-SHA256 afresh on every attempt.

import type { CredentialStore } from '../../credentials.js';
import {
  ConfigurationError,
  ImageBusy,
  type ImageError,
  ImageNotFound,
  ImageProtected,
  UpstreamAuthFailed,
  UpstreamBadResponse,
  type UpstreamFacts,
} from '../../errors.js';
import type { HttpMethod, OutboundRequest } from '../../http/outbound-request.js';
import type { Verdict } from '../../http/retry.js';
import type { RawResponse } from '../../http/transport.js';
import type { Image } from '../../images/image.js';
import { signSdkHmacSha256 } from '../../signing/huawei-sdk-hmac.js';
import {
  type CallContext,
  exchange,
  type ImageProvider,
  originFor,
  resolveRegion,
  type UpstreamProtocol,
} from '../provider.js';
import { parseOptionalReply, parseReply, quote, SERVER_FAULT_STATUSES } from '../upstream-reply.js';
import { MODELARTS_ENDPOINTS } from './endpoints.js';
import { modelArtsImageSchema, normaliseModelArtsImage, parseHuaweiError } from './schemas.js';

// Gateway codes for a rejected signature or credentials (APIGW: shared gateway, APIG: dedicated).
const AUTH_CODES = new Set(['APIGW.0301', 'APIG.0301', 'APIG.0303', 'APIG.0307', 'ModelArts.6620']);
const THROTTLE_CODES = new Set(['APIGW.0308', 'APIG.0308', 'ModelArts.6101']);
// ModelArts.6797 is the documented "image cannot be found"; 6404 is what the service sends in the
// wild (terraform-provider-huaweicloud treats it as gone). Both come with HTTP 400.
const NOT_FOUND_CODES = new Set(['ModelArts.6797', 'ModelArts.6404', 'ModelArts.6309']);
// "another operation is being performed on the instance", the closest documented code to "in use".
const BUSY_CODES = new Set(['ModelArts.6357']);

const classify = (response: RawResponse): Verdict => {
  if (response.status >= 200 && response.status < 300) return { kind: 'final' };
  const { code } = parseHuaweiError(response.body);
  if (response.status === 401 || (code !== undefined && AUTH_CODES.has(code))) {
    return { kind: 'auth', code };
  }
  if (response.status === 429 || (code !== undefined && THROTTLE_CODES.has(code))) {
    return { kind: 'throttled', code };
  }
  if (SERVER_FAULT_STATUSES.has(response.status)) return { kind: 'transient', code };
  return { kind: 'final' };
};

const requestIdOf = (response: RawResponse): string | undefined =>
  response.headers['x-request-id'] ?? parseHuaweiError(response.body).requestId;

const failure = (
  response: RawResponse,
  operation: 'show' | 'delete',
  imageId: string,
  attempts: number,
  secrets: readonly string[],
): ImageError => {
  const error = parseHuaweiError(response.body);
  const { status } = response;
  const upstream: UpstreamFacts = {
    provider: 'modelarts',
    status,
    code: error.code,
    requestId: requestIdOf(response),
    attempts,
  };
  const code = error.code ?? '';
  if (status === 404 || NOT_FOUND_CODES.has(code)) {
    return new ImageNotFound(`modelarts image ${imageId} does not exist`, { upstream });
  }
  if (status === 401 || AUTH_CODES.has(code) || (status === 403 && code.startsWith('APIG'))) {
    // The gateway's own text can echo request details; keep only its code.
    return new UpstreamAuthFailed(
      `ModelArts rejected our credentials or signature (${code || `HTTP ${status}`})`,
      { upstream },
    );
  }
  if (operation === 'delete' && (status === 409 || BUSY_CODES.has(code))) {
    return new ImageBusy(
      `ModelArts cannot delete image ${imageId} now${quote(error.message, secrets)}`,
      {
        upstream,
      },
    );
  }
  if (operation === 'delete' && status === 403) {
    return new ImageProtected(
      `ModelArts refuses to delete image ${imageId}${quote(error.message, secrets)}`,
      {
        upstream,
      },
    );
  }
  if (status === 403) {
    return new UpstreamAuthFailed(`ModelArts denied access (${code || 'HTTP 403'})`, { upstream });
  }
  return new UpstreamBadResponse(
    `ModelArts answered ${operation} with HTTP ${status}${code ? ` ${code}` : ''}, which it does not document`,
    { upstream },
  );
};

export interface ModelArtsDeps {
  credentials: CredentialStore;
  endpointOverride: string | undefined;
  now?: () => Date;
}

export const createModelArtsProvider = (deps: ModelArtsDeps): ImageProvider => {
  const now = deps.now ?? (() => new Date());
  const origin = (region: string) =>
    originFor('modelarts', region, MODELARTS_ENDPOINTS, deps.endpointOverride);

  const protocol: UpstreamProtocol = {
    provider: 'modelarts',
    classify,
    requestIdOf,
    onAuthRejected: () => deps.credentials.invalidate('modelarts'),
  };

  /** Also returns the credential values the attempts were signed with, for `quote`. */
  const send = async (
    context: CallContext,
    operation: 'show' | 'delete',
    request: {
      method: HttpMethod;
      imageId: string;
      region: string;
      query: OutboundRequest['query'];
      body: string;
    },
  ) => {
    const secrets: string[] = [];
    const result = await exchange(context, operation, protocol, async () => {
      const credentials = await deps.credentials.modelarts(context.deadline.signal);
      secrets.push(
        credentials.accessKeyId,
        credentials.secretAccessKey,
        credentials.securityToken ?? '',
      );
      const { projects } = credentials;
      // Own entries only: a region named `constructor` must not find Object's.
      const projectId = Object.hasOwn(projects, request.region)
        ? projects[request.region]
        : undefined;
      if (projectId === undefined) {
        throw new ConfigurationError(
          `no ModelArts project ID is configured for region ${request.region}`,
        );
      }
      const unsigned: OutboundRequest = {
        method: request.method,
        origin: origin(request.region),
        path: `/v1/${projectId}/images/${request.imageId}`,
        query: request.query,
        headers: { 'Content-Type': 'application/json' },
        body: request.body,
      };
      const signed = signSdkHmacSha256(unsigned, { ...credentials, projectId }, now());
      return { ...unsigned, headers: { ...unsigned.headers, ...signed } };
    });
    return { ...result, secrets };
  };

  return {
    key: 'modelarts',

    resolveRegion: (region, signal) =>
      resolveRegion('modelarts', region, MODELARTS_ENDPOINTS, deps.endpointOverride, async () => {
        const { defaultRegion } = await deps.credentials.modelarts(signal);
        return defaultRegion;
      }),

    async show(imageId, region, context) {
      const { response, attempts, secrets } = await send(context, 'show', {
        method: 'GET',
        imageId,
        region,
        query: [],
        body: '',
      });
      if (response.status !== 200) throw failure(response, 'show', imageId, attempts, secrets);
      const upstream = {
        provider: 'modelarts' as const,
        status: 200,
        requestId: requestIdOf(response),
        attempts,
      };
      const record = parseReply(modelArtsImageSchema, response.body, upstream, 'an image');
      if (record.id.toLowerCase() !== imageId.toLowerCase()) {
        throw new UpstreamBadResponse(`ModelArts answered with a different image than asked for`, {
          upstream,
        });
      }
      return normaliseModelArtsImage(record, region);
    },

    async remove(image, { force }, context) {
      // Public sources disagree on how `force` travels: the API documents a query parameter
      // `force`, the official SDKs (Node, Go, .NET) send a JSON body {"is_force": true}. We send
      // both, so that either reading of the service deletes the SWR content when asked to.
      const { response, attempts, secrets } = await send(context, 'delete', {
        method: 'DELETE',
        imageId: image.id,
        region: image.region,
        query: force ? [['force', 'true']] : [],
        body: force ? JSON.stringify({ is_force: true }) : '',
      });
      if (response.status === 204) return undefined;
      if (response.status !== 200) throw failure(response, 'delete', image.id, attempts, secrets);
      // The image is gone either way; its final record is a bonus, not a condition.
      const record = parseOptionalReply(modelArtsImageSchema, response.body);
      return record === undefined ? undefined : normaliseModelArtsImage(record, image.region);
    },
  } satisfies ImageProvider;
};

export type { Image };
