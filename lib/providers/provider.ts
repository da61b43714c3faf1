// The port every provider adapter implements, and what the adapters share: choosing the endpoint
// for a region (never a host the operator did not configure) and the per-call context.

import { InvalidRequest, type ProviderKey } from '../errors.js';
import type { Deadline } from '../http/deadline.js';
import type { RetryPolicy } from '../http/retry.js';
import type { Transport } from '../http/transport.js';
import type { Image } from '../images/image.js';

/** One upstream exchange, for the request's log line. */
export interface UpstreamCall {
  operation: 'show' | 'delete';
  status?: number | undefined;
  requestId?: string | undefined;
  attempts: number;
  durationMs: number;
}

export interface CallContext {
  deadline: Deadline;
  policy: RetryPolicy;
  transport: Transport;
  /** Filled by the adapter as it calls upstream. */
  calls: UpstreamCall[];
}

export interface ImageProvider {
  readonly key: ProviderKey;
  /** The region to use: the one asked for (checked against the endpoint table) or the configured default. */
  resolveRegion(region: string | undefined): Promise<string>;
  /** Throws ImageNotFound when the provider does not have it. */
  show(imageId: string, region: string, context: CallContext): Promise<Image>;
  /** Deletes; returns the provider's final record when it sends one. Throws ImageNotFound when absent. */
  remove(
    image: Image,
    options: { force: boolean },
    context: CallContext,
  ): Promise<Image | undefined>;
}

/**
 * The base URL for a region: the operator's override (any well-formed region then), else the
 * provider's known table. An unknown region is the caller's mistake, reported before any call.
 */
export const originFor = (
  provider: ProviderKey,
  region: string,
  table: Readonly<Record<string, string>>,
  override: string | undefined,
): string => {
  if (override !== undefined) return override;
  const origin = table[region];
  if (origin === undefined) {
    throw new InvalidRequest(
      `region: '${region}' is not a known ${provider} region (known: ${Object.keys(table).join(', ')})`,
      { field: 'region' },
    );
  }
  return origin;
};

/** The time spent on an upstream exchange, recorded whatever its outcome. */
export const timed = async <T>(
  context: CallContext,
  operation: UpstreamCall['operation'],
  run: (record: (facts: Omit<UpstreamCall, 'operation' | 'durationMs'>) => void) => Promise<T>,
): Promise<T> => {
  const started = performance.now();
  const call: UpstreamCall = { operation, attempts: 0, durationMs: 0 };
  context.calls.push(call);
  try {
    return await run((facts) => Object.assign(call, facts));
  } finally {
    call.durationMs = Math.round(performance.now() - started);
  }
};
