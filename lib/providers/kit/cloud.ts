// What a cloud folder describes, and the one mechanism (cloud-provider.ts) turns into an
// ImageProvider: its ID format, endpoint table and override variable, its section of the
// credentials, how it signs, how its requests look, how its error bodies read and what each of its
// failures means. A new cloud is one folder that exports one `defineCloud(...)`, listed in
// registry.ts (or registered at run time).

import type { CredentialSection } from '../../credentials/credential-section.js';
import type { CredentialStore } from '../../credentials/credential-store.js';
import type { ErrorName, OperationName } from '../../errors/error-table.js';
import type { Image } from '../../images/image.js';
import type { ImageProvider, ImageUse, UpstreamImageFilter } from '../../images/provider-port.js';
import type * as z from '../../schema/zod.js';
import type { HttpMethod, OutboundRequest } from '../../wire/outbound-request.js';
import type { ListReply, Paging, Query } from './paging.js';

/** A cloud's error body, as far as it could be read. */
export interface ProviderError {
  code?: string | undefined;
  message?: string | undefined;
  requestId?: string | undefined;
}

/**
 * One line of a cloud's failure table: a non-2xx reply that matches (every given condition) is
 * that error. Rules are tried in order; a reply no rule matches is UpstreamUnavailable for 5xx and
 * UpstreamBadResponse otherwise, so only what a cloud documents ever means not-found.
 */
export interface FailureRule {
  error: ErrorName;
  status?: readonly number[];
  codes?: ReadonlySet<string>;
  codePattern?: RegExp;
  operations?: readonly OperationName[];
  /** Keep the cloud's own message (bounded, credentials redacted) in ours. */
  quote?: boolean;
}

/** A request without origin and signature: what a cloud's request builders return. */
export interface CloudRequest {
  method: HttpMethod;
  path: string;
  query?: OutboundRequest['query'];
  body?: string;
}

export interface ImageIdFormat {
  pattern: RegExp;
  /** For messages and the API document: "a UUID". */
  description: string;
  /** UUIDs compare case-insensitively; other IDs as they are. */
  caseInsensitive: boolean;
}

/** One of a cloud's list APIs: where it is, how it pages, and how its replies read. */
export interface ListDescription<T> {
  /** After the base path. */
  path: string;
  paging: Paging;
  /** The reply envelope, validated, as items and paging facts. */
  replySchema: z.ZodMiniType<ListReply<T>>;
}

export interface ImageListDescription<T> extends ListDescription<T> {
  /** The query parameters that narrow the list upstream (the domain filters again). */
  filterQuery(filter: UpstreamImageFilter): Query;
  normalise(item: T, region: string): Image;
}

export interface UsageListDescription<T> extends ListDescription<T> {
  /** What this item (a notebook, an instance) uses, by usage keys; none when it names no image. */
  usesOf(item: T): ImageUse[];
}

export interface CloudDescription<C, R> {
  key: string;
  label: string;
  imageId: ImageIdFormat;
  /** Region → base URL of the cloud's known endpoints. */
  endpoints: Readonly<Record<string, string>>;
  /** The variable with the operator's endpoint override (any well-formed region is then accepted). */
  endpointVariable: string;
  credentials: CredentialSection<C>;
  defaultRegion(credentials: C): string;
  /** The regions the credentials can be used in; undefined when any known region will do. */
  configuredRegions?(credentials: C): readonly string[];
  /** The credential values that must never appear in a quoted upstream message. */
  secretsOf(credentials: C): readonly (string | undefined)[];
  /** `force` (also delete the image's stored content) is meaningful for this cloud. */
  supportsForce: boolean;
  protocol: {
    contentType: string;
    requestIdHeader: string;
    parseError(body: string): ProviderError;
    /** Rejected credentials or signature: retried once with credentials read again. */
    authStatuses: readonly number[];
    authCodes: ReadonlySet<string>;
    /** Throttling besides HTTP 429: retried with backoff, honouring Retry-After. */
    throttleCodes: ReadonlySet<string>;
    rules: readonly FailureRule[];
  };
  /** The signature headers for a request to a region (a pure function of its inputs). */
  sign(request: OutboundRequest, credentials: C, region: string, now: Date): Record<string, string>;
  /**
   * The path prefix for a region (ModelArts: `/v1/{project_id}`), before each request's path;
   * InvalidRequest when the region has no setup in the credentials.
   */
  basePath(credentials: C, region: string): string;
  requests: {
    show(imageId: string): CloudRequest;
    delete(imageId: string, options: { force: boolean }): CloudRequest;
  };
  lists: {
    images: ImageListDescription<unknown>;
    usage: UsageListDescription<unknown>;
  };
  /** The usage keys of an image (default: its canonical ID). */
  usageKeysOf?(image: Image): string[];
  /** A show reply: its schema and the image record inside it. */
  image: {
    replySchema: z.ZodMiniType<R>;
    recordOf(reply: R): { id: string };
    normalise(reply: R, region: string): Image;
  };
}

/** A cloud as the rest of the service sees it: its facts, and how to make its provider. */
export interface Cloud {
  key: string;
  label: string;
  imageId: ImageIdFormat;
  endpoints: Readonly<Record<string, string>>;
  endpointVariable: string;
  credentialVariables: readonly string[];
  supportsForce: boolean;
  createProvider(deps: ProviderDeps): ImageProvider;
}

export interface ProviderDeps {
  credentials: CredentialStore;
  /** The operator's endpoint override (an origin), if any. */
  endpointOverride: string | undefined;
  now?: () => Date;
}
