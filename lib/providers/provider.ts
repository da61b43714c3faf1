// The port every provider adapter implements, and what the adapters share: choosing the endpoint
// for a region (never a host the operator did not configure) and the per-call context.

import { ConfigurationError, InvalidRequest, isImageError, type ProviderKey } from '../errors.js';
import type { Deadline } from '../http/deadline.js';
import type { OutboundRequest } from '../http/outbound-request.js';
import { type RetryPolicy, type SendResult, sendWithRetry, type Verdict } from '../http/retry.js';
import type { RawResponse, Transport } from '../http/transport.js';
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
  /**
   * The region to use: the one asked for (checked against the endpoint table) or the configured
   * default (read from the credentials, within `signal`, the call's deadline).
   */
  resolveRegion(region: string | undefined, signal?: AbortSignal): Promise<string>;
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
  // Own entries only: `constructor` is a well-formed region name, and no endpoint.
  const origin = Object.hasOwn(table, region) ? table[region] : undefined;
  if (origin === undefined) {
    throw new InvalidRequest(
      `region: '${region}' is not a known ${provider} region (known: ${Object.keys(table).join(', ')})`,
      { field: 'region' },
    );
  }
  return origin;
};

/** How one provider's replies are read by the retry layer. */
export interface UpstreamProtocol {
  provider: ProviderKey;
  classify: (response: RawResponse) => Verdict;
  requestIdOf: (response: RawResponse) => string | undefined;
  /** Drops cached credentials before the single re-signed retry. */
  onAuthRejected: () => void;
}

/**
 * One upstream exchange through the retry layer, `build` signing each attempt afresh, recorded in
 * the call context (status, provider request id, attempts, time) whatever its outcome.
 */
export const exchange = async (
  context: CallContext,
  operation: UpstreamCall['operation'],
  protocol: UpstreamProtocol,
  build: () => Promise<OutboundRequest>,
): Promise<SendResult> => {
  const started = performance.now();
  const call: UpstreamCall = { operation, attempts: 0, durationMs: 0 };
  context.calls.push(call);
  try {
    const result = await sendWithRetry({
      ...protocol,
      build,
      deadline: context.deadline,
      policy: context.policy,
      transport: context.transport,
    });
    call.status = result.response.status;
    call.requestId = protocol.requestIdOf(result.response);
    call.attempts = result.attempts;
    return result;
  } catch (error) {
    const upstream = isImageError(error) ? error.upstream : undefined;
    call.attempts = upstream?.attempts ?? 0;
    // What the provider last answered, when it answered at all (not on a reset or timeout).
    call.status = upstream?.status;
    call.requestId = upstream?.requestId;
    throw error;
  } finally {
    call.durationMs = Math.round(performance.now() - started);
  }
};

/**
 * The region asked for (checked against the endpoint table, unless overridden), or the configured
 * default, which must itself be a known region: a bad default is the operator's, not the caller's.
 */
export const resolveRegion = async (
  provider: ProviderKey,
  region: string | undefined,
  table: Readonly<Record<string, string>>,
  override: string | undefined,
  defaultRegion: () => Promise<string>,
): Promise<string> => {
  if (region !== undefined) {
    originFor(provider, region, table, override);
    return region;
  }
  const fallback = await defaultRegion();
  if (override === undefined && !Object.hasOwn(table, fallback)) {
    throw new ConfigurationError(
      `the default ${provider} region ${fallback} is not a known region`,
    );
  }
  return fallback;
};
