// The one ImageProvider implementation, driven by a cloud's description: region resolution,
// request building and signing (afresh on every attempt), the exchange through the retry layer,
// reply validation and normalisation, and failure mapping by the cloud's rules.

import type { OperationName } from '../../errors/error-table.js';
import { UpstreamBadResponse, type UpstreamFacts } from '../../errors/errors.js';
import type { RawResponse } from '../../http/transport.js';
import type {
  CallContext,
  ImageProvider,
  ImageUse,
  ScanPosition,
} from '../../images/provider-port.js';
import type { UsageReference } from '../../images/usage.js';
import type { OutboundRequest } from '../../wire/outbound-request.js';
import type {
  Cloud,
  CloudDescription,
  CloudRequest,
  ImageIdFormat,
  ListDescription,
  ProviderDeps,
} from './cloud.js';
import { exchange, type UpstreamProtocol } from './exchange.js';
import { classifyReply, failureOf, requestIdOf } from './failures.js';
import { isPagerPosition, type PageOptions, type Query, readPage } from './paging.js';
import { assertConfiguredRegion, assertUsableDefault, originFor } from './regions.js';
import { parseOptionalReply, parseReply } from './reply.js';

export interface CloudCall {
  response: RawResponse;
  attempts: number;
  /** The credential values the attempts were signed with, for quoting upstream messages. */
  secrets: (string | undefined)[];
}

/** What the list and usage scans of a cloud build on (also used by cloud-specific pagers). */
export interface CloudClient<C, R> {
  description: CloudDescription<C, R>;
  send(
    context: CallContext,
    operation: OperationName,
    region: string,
    request: CloudRequest,
  ): Promise<CloudCall>;
  facts(call: CloudCall): UpstreamFacts;
  fail(call: CloudCall, operation: OperationName, imageId?: string): never;
}

/**
 * The Authorization header a signer's headers carry: a cloud that quotes the request's headers back
 * in an error text it documents must not make us repeat a signature, which can be replayed while it
 * is valid (redacted() in reply.ts takes it out, and each MAC in it, on the error path only).
 */
const authorizationIn = (headers: Readonly<Record<string, string>>): string | undefined => {
  for (const [name, value] of Object.entries(headers)) {
    if (name.toLowerCase() === 'authorization') return value;
  }
  return undefined;
};

export const createCloudClient = <C, R>(
  description: CloudDescription<C, R>,
  deps: ProviderDeps,
): CloudClient<C, R> => {
  const now = deps.now ?? (() => new Date());
  const { protocol } = description;
  const upstreamProtocol: UpstreamProtocol = {
    provider: description.key,
    classify: (response) => classifyReply(protocol, response),
    requestIdOf: (response) => requestIdOf(protocol, response),
    onAuthRejected: () => deps.credentials.invalidate(description.key),
  };

  return {
    description,
    async send(context, operation, region, request) {
      const secrets: (string | undefined)[] = [];
      const result = await exchange(context, operation, upstreamProtocol, async (waited) => {
        // Every attempt waits its turn: retries count against the cloud's rate limit too.
        if (context.pacer !== undefined) {
          const queued = performance.now();
          await context.pacer.pace(description.key, region, context.deadline.signal);
          waited(performance.now() - queued);
        }
        const credentials = await deps.credentials.get(description.credentials, context.deadline);
        secrets.push(...description.secretsOf(credentials));
        const unsigned: OutboundRequest = {
          method: request.method,
          origin: originFor(description.key, region, description.endpoints, deps.endpointOverride),
          path: `${description.basePath(credentials, region)}${request.path}`,
          query: request.query ?? [],
          headers: { 'Content-Type': protocol.contentType },
          body: request.body ?? '',
        };
        const signed = description.sign(unsigned, credentials, region, now());
        secrets.push(authorizationIn(signed));
        return { ...unsigned, headers: { ...unsigned.headers, ...signed } };
      });
      return { ...result, secrets };
    },
    facts: (call) => ({
      provider: description.key,
      status: call.response.status,
      requestId: requestIdOf(protocol, call.response),
      attempts: call.attempts,
    }),
    fail(call, operation, imageId) {
      throw failureOf(protocol, call.response, {
        key: description.key,
        label: description.label,
        operation,
        imageId,
        attempts: call.attempts,
        secrets: call.secrets,
      });
    },
  };
};

/** The usage key of an image ID (canonical); a cloud's other keys use other prefixes. */
export const usageIdKey = (canonical: string): string => `id:${canonical}`;

/** What a usage-list item (a notebook, an instance) records as one use; none when it names no image. */
export const useBy = (
  type: UsageReference['type'],
  item: { id: string; name?: string | null | undefined; status?: string | null | undefined },
  imageKeys: readonly string[],
): ImageUse[] =>
  imageKeys.length === 0
    ? []
    : [
        {
          imageKeys: [...imageKeys],
          reference: { type, id: item.id, name: item.name ?? '', status: item.status ?? 'unknown' },
        },
      ];

/** An image ID in the form its cloud compares IDs (UUIDs case-insensitively). */
export const canonicalImageId = (format: ImageIdFormat, id: string): string =>
  format.caseInsensitive ? id.toLowerCase() : id;

const createCloudProvider = <C, R>(
  description: CloudDescription<C, R>,
  deps: ProviderDeps,
): ImageProvider => {
  const client = createCloudClient(description, deps);
  const { key, label } = description;
  const canonicalId = (id: string) => canonicalImageId(description.imageId, id);

  /** One upstream page of a list: fetched, signed, validated, paged in the cloud's style. */
  const readList = <T>(
    list: ListDescription<T>,
    operation: 'list' | 'usage',
    region: string,
    context: CallContext,
    position: ScanPosition | undefined,
    filterQuery: () => Query,
    options?: PageOptions,
  ) =>
    readPage(
      list.paging,
      async (paging) => {
        const call = await client.send(context, operation, region, {
          method: 'GET',
          path: list.path,
          query: [...filterQuery(), ...paging],
        });
        if (call.response.status !== 200) client.fail(call, operation);
        return parseReply(
          list.replySchema,
          call.response.body,
          client.facts(call),
          label,
          'a list',
        );
      },
      position,
      label,
      options,
    );

  return {
    key,
    label,
    canonicalId,
    usageKeysOf: (image) => description.usageKeysOf?.(image) ?? [usageIdKey(canonicalId(image.id))],

    async resolveRegion(region, within, field) {
      const credentials = await deps.credentials.get(description.credentials, within);
      const configured = description.configuredRegions?.(credentials);
      if (region !== undefined) {
        originFor(key, region, description.endpoints, deps.endpointOverride, field);
        assertConfiguredRegion(key, region, configured, field);
        return region;
      }
      const fallback = description.defaultRegion(credentials);
      assertUsableDefault(key, fallback, description.endpoints, deps.endpointOverride);
      return fallback;
    },

    async show(imageId, region, context) {
      const call = await client.send(context, 'show', region, description.requests.show(imageId));
      if (call.response.status !== 200) client.fail(call, 'show', imageId);
      const facts = client.facts(call);
      const reply = parseReply(
        description.image.replySchema,
        call.response.body,
        facts,
        label,
        'an image',
      );
      if (canonicalId(description.image.recordOf(reply).id) !== canonicalId(imageId)) {
        throw new UpstreamBadResponse(`${label} answered with a different image than asked for`, {
          upstream: facts,
        });
      }
      return description.image.normalise(reply, region);
    },

    async listImages(region, filter, position, context, options) {
      const list = description.lists.images;
      // A plan's scan of every image checks that the list did not move (options.checkMoves).
      const { items, next, moved } = await readList(
        list,
        'list',
        region,
        context,
        position,
        () => list.filterQuery(filter),
        options,
      );
      return {
        images: items.map((item) => list.normalise(item, region)),
        next,
        ...(moved === true ? { moved } : {}),
      };
    },

    // Only a listing lets the offset probe wait (a usage scan fails closed instead) and asks for
    // pages of the caller's size; only a usage scan's positions come back in a cursor checked (a
    // plan's checked scan of the images keeps its positions to itself).
    isScanPosition: (list, position) =>
      isPagerPosition(description.lists[list].paging, position, {
        probeMayWait: list === 'images',
        ownPageSize: list === 'usage',
        checkMoves: list === 'usage',
      }),

    async listUsage(region, position, context) {
      const list = description.lists.usage;
      // A record it skipped as the list moved under it may use the image: it checks.
      const { items, next, moved } = await readList(
        list,
        'usage',
        region,
        context,
        position,
        () => [],
        { checkMoves: true },
      );
      return {
        uses: items.flatMap((item) => list.usesOf(item)),
        next,
        ...(moved === true ? { moved } : {}),
      };
    },

    async remove(image, { force }, context) {
      const call = await client.send(
        context,
        'delete',
        image.region,
        description.requests.delete(image.id, { force }),
      );
      if (call.response.status === 204) return undefined;
      if (call.response.status !== 200) client.fail(call, 'delete', image.id);
      // The image is gone either way; a final record is a bonus, not a condition.
      const reply = parseOptionalReply(description.image.replySchema, call.response.body);
      return reply === undefined ? undefined : description.image.normalise(reply, image.region);
    },
  };
};

/** A cloud from its description: what the registry lists. */
export const defineCloud = <C, R>(description: CloudDescription<C, R>): Cloud => ({
  key: description.key,
  label: description.label,
  imageId: description.imageId,
  endpoints: description.endpoints,
  endpointVariable: description.endpointVariable,
  credentialVariables: description.credentials.variables,
  supportsForce: description.supportsForce,
  createProvider: (deps) => createCloudProvider(description, deps),
});
