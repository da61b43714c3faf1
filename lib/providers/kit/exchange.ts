// One upstream exchange: through the retry layer, each attempt built and signed afresh, recorded
// in the call context (status, the cloud's request id, attempts, time) whatever its outcome.

import type { OperationName } from '../../errors/error-table.js';
import { isImageError } from '../../errors/errors.js';
import { type SendResult, sendWithRetry, type Verdict } from '../../http/retry.js';
import type { RawResponse } from '../../http/transport.js';
import type { CallContext, UpstreamCall } from '../../images/provider-port.js';
import type { OutboundRequest } from '../../wire/outbound-request.js';

/** How one cloud's replies are read by the retry layer. */
export interface UpstreamProtocol {
  provider: string;
  classify: (response: RawResponse) => Verdict;
  requestIdOf: (response: RawResponse) => string | undefined;
  /** Drops cached credentials before the single re-signed retry. */
  onAuthRejected: () => void;
}

/** Told of time an attempt spent waiting its turn (the pacer) before it was sent. */
export type Waited = (ms: number) => void;

export const exchange = async (
  context: CallContext,
  operation: OperationName,
  protocol: UpstreamProtocol,
  build: (waited: Waited) => Promise<OutboundRequest>,
): Promise<SendResult> => {
  const started = performance.now();
  const call: UpstreamCall = { operation, attempts: 0, durationMs: 0 };
  context.calls.push(call);
  // The call's duration is its time with the cloud (UpstreamLatency): not our own pacing.
  let waitedMs = 0;
  const waited: Waited = (ms) => {
    waitedMs += ms;
  };
  try {
    const result = await sendWithRetry({
      ...protocol,
      build: () => build(waited),
      deadline: context.deadline,
      policy: context.policy,
      transport: context.transport,
      log: context.log,
    });
    call.status = result.response.status;
    call.requestId = protocol.requestIdOf(result.response);
    call.attempts = result.attempts;
    return result;
  } catch (error) {
    const upstream = isImageError(error) ? error.upstream : undefined;
    call.attempts = upstream?.attempts ?? 0;
    // What the cloud last answered, when it answered at all (not on a reset or timeout).
    call.status = upstream?.status;
    call.requestId = upstream?.requestId;
    throw error;
  } finally {
    call.durationMs = Math.round(performance.now() - started - waitedMs);
  }
};
