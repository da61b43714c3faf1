// The port the image domain owns: what an operation needs from a cloud. Each cloud implements it
// in its own folder (lib/providers/<cloud>/); operations receive the providers through their
// dependencies and never import a cloud.

import type { OperationName } from '../errors/error-table.js';
import type { Deadline } from '../http/deadline.js';
import type { RetryPolicy } from '../http/retry.js';
import type { Transport } from '../http/transport.js';
import type { Logger } from '../log/log.js';
import type { Image } from './image.js';

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
  /** Filled by the provider as it calls upstream. */
  calls: UpstreamCall[];
  /** The region the operation resolved (the one asked for, or the default), for the log line. */
  region?: string | undefined;
}

export interface ImageProvider {
  readonly key: string;
  /** For messages: `ModelArts`, `BCC`. */
  readonly label: string;
  /** The form in which two IDs of this cloud compare equal (ModelArts UUIDs: lower case). */
  canonicalId(id: string): string;
  /**
   * The region to use: the one asked for (checked against the endpoint table and the configured
   * regions) or the configured default, within `signal` (the call's deadline).
   */
  resolveRegion(region: string | undefined, signal?: AbortSignal): Promise<string>;
  /** Throws ImageNotFound when the provider says it does not have it. */
  show(imageId: string, region: string, context: CallContext): Promise<Image>;
  /** Deletes; returns the provider's final record when it sends one. Throws ImageNotFound when absent. */
  remove(
    image: Image,
    options: { force: boolean },
    context: CallContext,
  ): Promise<Image | undefined>;
}

/** The providers an operation may use, by key (keys come validated from the input). */
export type ProviderLookup = (key: string) => ImageProvider;
