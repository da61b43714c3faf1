// The port the image domain owns: what an operation needs from a cloud. Each cloud implements it
// in its own folder (lib/providers/<cloud>/); operations receive the providers through their
// dependencies and never import a cloud.

import type { OperationName } from '../errors/error-table.js';
import type { Deadline } from '../http/deadline.js';
import type { Pacer } from '../http/pacer.js';
import type { RetryPolicy } from '../http/retry.js';
import type { Transport } from '../http/transport.js';
import type { Logger } from '../log/log.js';
import type { Image, ImageKind } from './image.js';
import type { UsageReference } from './usage.js';

/** One upstream exchange, for the request's log line and metrics. */
export interface UpstreamCall {
  operation: OperationName;
  status?: number | undefined;
  requestId?: string | undefined;
  /** HTTP attempts this exchange took (1 when nothing was retried). */
  attempts: number;
  durationMs: number;
}

/** What every upstream call of one operation shares. */
export interface CallContext {
  deadline: Deadline;
  policy: RetryPolicy;
  transport: Transport;
  /** Retry lines (debug level). */
  log?: Logger | undefined;
  /**
   * Spaces the upstream requests of a (provider, region) at the deployment's rate (the queue
   * consumer, whose processes run side by side); absent: not paced.
   */
  pacer?: Pacer | undefined;
  /** Filled by the provider as it calls upstream. */
  calls: UpstreamCall[];
  /** The region the operation resolved (the one asked for, or the default), for the log line. */
  region?: string | undefined;
  /**
   * What the caller calls the request's fields, for a refusal made past its validation (the
   * command line's `--region` and `--cursor`); a field absent here is named as the input names it.
   */
  fieldNames?: Readonly<Record<string, string>> | undefined;
  /**
   * The cloud the operation works on when the request does not name it (a policy's, a plan's),
   * for the log line and the metrics' provider dimension.
   */
  provider?: string | undefined;
}

export interface ImageProvider {
  readonly key: string;
  /** For messages: `ModelArts`, `BCC`. */
  readonly label: string;
  /** The form in which two IDs of this cloud compare equal (ModelArts UUIDs: lower case). */
  canonicalId(id: string): string;
  /**
   * Every key a use of this image may name it by (its ID, and for ModelArts its SWR path too):
   * an image is in use when any use names any of them.
   */
  usageKeysOf(image: Image): string[];
  /**
   * The region to use: the one asked for (checked against the endpoint table and the configured
   * regions) or the configured default, within the call's deadline. A region refused is
   * InvalidRequest on `field`, the caller's name for it (default `region`; a policy's `regions`).
   */
  resolveRegion(
    region: string | undefined,
    within?: Pick<Deadline, 'signal'>,
    field?: string,
  ): Promise<string>;
  /** Throws ImageNotFound when the provider says it does not have it. */
  show(imageId: string, region: string, context: CallContext): Promise<Image>;
  /** Deletes; returns the provider's final record when it sends one. Throws ImageNotFound when absent. */
  remove(
    image: Image,
    options: { force: boolean },
    context: CallContext,
  ): Promise<Image | undefined>;
  /** One upstream page of the region's images, from `position` (absent: the start). */
  listImages(
    region: string,
    filter: UpstreamImageFilter,
    position: ScanPosition | undefined,
    context: CallContext,
    options?: ImagePageOptions,
  ): Promise<ImagePage>;
  /**
   * Whether `position` is one this cloud's pager hands on for that list. A cursor carries
   * positions back, and its checksum only catches damage: an edited position is refused with
   * this before any upstream call.
   */
  isScanPosition(list: 'images' | 'usage', position: ScanPosition): boolean;
  /** One upstream page of what uses images in the region, from `position` (absent: the start). */
  listUsage(
    region: string,
    position: ScanPosition | undefined,
    context: CallContext,
  ): Promise<UsagePage>;
}

/**
 * Where an upstream scan stands, as the cloud's pager left it (an offset, a marker): plain JSON, so
 * that a cursor can carry it. Opaque to the domain.
 */
export type ScanPosition = Readonly<Record<string, string | number>>;

/** Filters a cloud may apply upstream to narrow a listing (the domain applies every filter again). */
export interface UpstreamImageFilter {
  kind?: ImageKind | undefined;
  /** A run of literal characters every wanted name contains. */
  nameContains?: string | undefined;
}

export interface ImagePageOptions {
  /**
   * At most this many images (default and cap: the cloud's largest page). A scan keeps one page
   * size.
   */
  pageSize?: number | undefined;
  /**
   * Whether time is too short for another upstream request. Given (a listing, which can answer
   * what it has and go on later), a page that takes more than one request (ModelArts' first, with
   * its offset probe) may end after the first and hand on a position that does the rest.
   */
  timeShort?: (() => boolean) | undefined;
  /**
   * Find out whether the list moved between two pages (a record behind the scan deleted, one
   * created or moved ahead of it): a scan that must see every record (a plan's of every image, as
   * a usage scan's) says so; a page then answers `moved`.
   */
  checkMoves?: boolean | undefined;
}

export interface ImagePage {
  images: Image[];
  /** Where the next page starts; absent on the last page. */
  next?: ScanPosition | undefined;
  /**
   * The list moved since the page before (`checkMoves`: an image behind the scan deleted, one
   * created at the head), so what the scan read may have skipped one or read one twice: no images,
   * and `next` reads it again from its start.
   */
  moved?: true | undefined;
}

/** One use of an image: the keys it names the image by (see `usageKeysOf`) and what uses it. */
export interface ImageUse {
  imageKeys: string[];
  reference: UsageReference;
}

/** What uses which image, one upstream page of the cloud's usage list (notebooks, instances). */
export interface UsagePage {
  uses: ImageUse[];
  next?: ScanPosition | undefined;
  /**
   * The list moved since the page before (a record behind the scan deleted, one ahead moved to its
   * head), so what the scan read may have skipped one: no uses, and `next` reads it again from its
   * start.
   */
  moved?: true | undefined;
}

/** The providers an operation may use, by key (keys come validated from the input). */
export type ProviderLookup = (key: string) => ImageProvider;

/** What the caller of `context` calls the request's `field` (fieldNames), for a refusal. */
export const fieldCalled = (context: CallContext, field: string): string =>
  context.fieldNames?.[field] ?? field;
