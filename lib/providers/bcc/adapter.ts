// BCC images over the Baidu AI Cloud API: "Query Details of the Image" and "Delete a Custom Image"
// exactly as the seeds document them, signed with bce-auth-v1 afresh on every attempt.

import type { CredentialStore } from '../../credentials.js';
import {
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
import { signBceAuthV1 } from '../../signing/bce-auth-v1.js';
import {
  type CallContext,
  exchange,
  type ImageProvider,
  originFor,
  resolveRegion,
  type UpstreamProtocol,
} from '../provider.js';
import { parseOptionalReply, parseReply, quote, SERVER_FAULT_STATUSES } from '../upstream-reply.js';
import { BCC_ENDPOINTS } from './endpoints.js';
import { bccImageReplySchema, normaliseBccImage, parseBceError } from './schemas.js';

// A rejected signature, key or clock (BCE common error codes; RequestTimeTooSkewed from BCE-JS).
const AUTH_CODES = new Set([
  'SignatureDoesNotMatch',
  'RequestExpired',
  'InvalidAccessKeyId',
  'AccessDenied',
  'RequestTimeTooSkewed',
]);
// BCC answers 404 NoSuchObject for a missing resource.
const NOT_FOUND_CODES = new Set(['NoSuchObject']);
// The delete page's error table.
const PROTECTED_CODES = new Set(['Image.UnCustomImageCannotBeDeleted']);
const BUSY_CODES = new Set([
  'Image.CreatingImageCannotBeDeleted',
  'Image.ImageHasBeenSharedToOthers',
]);

const classify = (response: RawResponse): Verdict => {
  if (response.status >= 200 && response.status < 300) return { kind: 'final' };
  const { code } = parseBceError(response.body);
  if (code !== undefined && AUTH_CODES.has(code)) return { kind: 'auth', code };
  if (response.status === 429) return { kind: 'throttled', code };
  if (SERVER_FAULT_STATUSES.has(response.status)) return { kind: 'transient', code };
  return { kind: 'final' };
};

const requestIdOf = (response: RawResponse): string | undefined =>
  response.headers['x-bce-request-id'] ?? parseBceError(response.body).requestId;

const failure = (
  response: RawResponse,
  operation: 'show' | 'delete',
  imageId: string,
  attempts: number,
  secrets: readonly string[],
): ImageError => {
  const error = parseBceError(response.body);
  const { status } = response;
  const upstream: UpstreamFacts = {
    provider: 'bcc',
    status,
    code: error.code,
    requestId: requestIdOf(response),
    attempts,
  };
  const code = error.code ?? '';
  if (status === 404 || NOT_FOUND_CODES.has(code)) {
    return new ImageNotFound(`bcc image ${imageId} does not exist`, { upstream });
  }
  if (AUTH_CODES.has(code)) {
    // The provider's text can echo request details (RequestExpired quotes our timestamp); keep only its code.
    return new UpstreamAuthFailed(`BCC rejected our credentials or signature (${code})`, {
      upstream,
    });
  }
  if (PROTECTED_CODES.has(code)) {
    return new ImageProtected(
      `BCC refuses to delete image ${imageId}${quote(error.message, secrets)}`,
      {
        upstream,
      },
    );
  }
  if (BUSY_CODES.has(code)) {
    return new ImageBusy(`BCC cannot delete image ${imageId} now${quote(error.message, secrets)}`, {
      upstream,
    });
  }
  return new UpstreamBadResponse(
    `BCC answered ${operation} with HTTP ${status}${code ? ` ${code}` : ''}, which it does not document`,
    { upstream },
  );
};

export interface BccDeps {
  credentials: CredentialStore;
  endpointOverride: string | undefined;
  now?: () => Date;
}

export const createBccProvider = (deps: BccDeps): ImageProvider => {
  const now = deps.now ?? (() => new Date());
  const origin = (region: string) => originFor('bcc', region, BCC_ENDPOINTS, deps.endpointOverride);

  const protocol: UpstreamProtocol = {
    provider: 'bcc',
    classify,
    requestIdOf,
    onAuthRejected: () => deps.credentials.invalidate('bcc'),
  };

  /** Also returns the credential values the attempts were signed with, for `quote`. */
  const send = async (
    context: CallContext,
    operation: 'show' | 'delete',
    request: { method: HttpMethod; imageId: string; region: string },
  ) => {
    const secrets: string[] = [];
    const result = await exchange(context, operation, protocol, async () => {
      const credentials = await deps.credentials.bcc(context.deadline.signal);
      secrets.push(
        credentials.accessKeyId,
        credentials.secretAccessKey,
        credentials.sessionToken ?? '',
      );
      const unsigned: OutboundRequest = {
        method: request.method,
        origin: origin(request.region),
        path: `/v2/image/${request.imageId}`,
        query: [],
        headers: { 'Content-Type': 'application/json; charset=utf-8' },
        body: '',
      };
      const signed = signBceAuthV1(unsigned, credentials, now());
      return { ...unsigned, headers: { ...unsigned.headers, ...signed } };
    });
    return { ...result, secrets };
  };

  return {
    key: 'bcc',

    resolveRegion: (region, signal) =>
      resolveRegion('bcc', region, BCC_ENDPOINTS, deps.endpointOverride, async () => {
        const { defaultRegion } = await deps.credentials.bcc(signal);
        return defaultRegion;
      }),

    async show(imageId, region, context) {
      const { response, attempts, secrets } = await send(context, 'show', {
        method: 'GET',
        imageId,
        region,
      });
      if (response.status !== 200) throw failure(response, 'show', imageId, attempts, secrets);
      const upstream = {
        provider: 'bcc' as const,
        status: 200,
        requestId: requestIdOf(response),
        attempts,
      };
      const { image } = parseReply(bccImageReplySchema, response.body, upstream, 'an image');
      if (image.id !== imageId) {
        throw new UpstreamBadResponse(`BCC answered with a different image than asked for`, {
          upstream,
        });
      }
      return normaliseBccImage(image, region);
    },

    async remove(image, _options, context) {
      // BCC has no force: deleting a custom image removes it whole.
      const { response, attempts, secrets } = await send(context, 'delete', {
        method: 'DELETE',
        imageId: image.id,
        region: image.region,
      });
      if (response.status === 204) return undefined;
      if (response.status !== 200) throw failure(response, 'delete', image.id, attempts, secrets);
      // Documented: 200 with no body. Should a record come along, it is a bonus, not a condition.
      const reply = parseOptionalReply(bccImageReplySchema, response.body);
      return reply === undefined ? undefined : normaliseBccImage(reply.image, image.region);
    },
  } satisfies ImageProvider;
};

export type { Image };
