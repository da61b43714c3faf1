// One provider request from arrival to reply:
//
//   route (cloud by path prefix, operation by path + method; unknown API answered at once)
//   → record → before-auth fault → signature → rate limit (per verified access key)
//   → after-auth fault → cloud admission check (ModelArts project) → operation handler.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { applyFault, type FaultTarget } from './apply-fault.js';
import type { Authenticator } from './auth/authenticator.js';
import type { EmulatorSettings, OperationContext } from './clouds/dialect.js';
import { dialectFor, matchRoute } from './clouds/registry.js';
import type { FaultController } from './faults.js';
import { plainJson, send } from './http-io.js';
import type { ReceivedRequest } from './incoming.js';
import type { RateLimiter } from './rate-limit.js';
import { type EmulatorResponse, newRequestId } from './response.js';
import type { EmulatorState } from './state.js';
import type { ProviderKey, RecordedRequest } from './types.js';

export interface PipelineDependencies {
  state: EmulatorState;
  faults: FaultController;
  requests: RecordedRequest[];
  rateLimiter: RateLimiter;
  settings: EmulatorSettings;
  authenticators: ReadonlyMap<ProviderKey, Authenticator>;
  now: () => Date;
  closing: AbortSignal;
}

export const handleProviderRequest = async (
  deps: PipelineDependencies,
  req: IncomingMessage,
  res: ServerResponse,
  request: ReceivedRequest,
  bodyTooLarge: boolean,
): Promise<void> => {
  const requestId = newRequestId();
  const dialect = dialectFor(request.segments);
  const match =
    dialect === undefined || request.path === undefined
      ? undefined
      : matchRoute(dialect, request.method, request.segments);
  const record: RecordedRequest = {
    provider: dialect?.provider,
    method: request.method,
    path: request.rawPath,
    query: request.query ?? [],
    headers: request.headers,
    body: request.body,
    imageId: match?.params.imageId,
    operation: match?.route.operation,
    accessKeyId: undefined,
    throttled: false,
    status: undefined,
    fault: undefined,
    time: deps.now().toISOString(),
  };
  deps.requests.push(record);
  const reply = (response: EmulatorResponse): void => {
    record.status = response.status;
    send(res, response);
  };

  if (dialect === undefined) {
    reply(plainJson(404, { error: 'no such provider API', path: request.rawPath }));
    return;
  }
  if (bodyTooLarge) {
    reply(dialect.tooLarge(requestId));
    return;
  }
  if (match === undefined) {
    reply(dialect.unknownApi(requestId));
    return;
  }

  const handle = (): EmulatorResponse => {
    const context: OperationContext = {
      request,
      params: match.params,
      requestId,
      state: deps.state,
      now: deps.now(),
      settings: deps.settings,
    };
    return dialect.admit(context) ?? match.route.handle(context);
  };
  const target: FaultTarget = {
    dialect,
    requestId,
    record,
    req,
    res,
    closing: deps.closing,
    state: deps.state,
    reply,
    handle,
  };
  const faultContext = {
    provider: dialect.provider,
    method: request.method,
    imageId: match.params.imageId,
    operation: match.route.operation,
  };

  const early = deps.faults.take(faultContext, 'beforeAuth');
  if (early !== undefined && (await applyFault(early, target))) return;

  const authenticator = deps.authenticators.get(dialect.provider);
  const auth = authenticator?.verify(request, requestId, deps.now());
  if (auth === undefined || !auth.ok) {
    reply(auth?.response ?? plainJson(500, { error: 'no authenticator' }));
    return;
  }
  record.accessKeyId = auth.accessKeyId;

  const decision = deps.rateLimiter.take(dialect.provider, auth.accessKeyId, deps.now().getTime());
  if (!decision.admitted) {
    record.throttled = true;
    reply(dialect.throttled(requestId, decision.limitPerSecond));
    return;
  }

  const late = deps.faults.take(faultContext, 'afterAuth');
  if (late !== undefined && (await applyFault(late, target))) return;

  reply(handle());
};
