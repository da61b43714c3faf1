// The composition root: what a Lambda process builds once (providers over the shared credential
// store and HTTP agent) and what each invocation gets (a deadline, a retry policy, a logger).

import type { Context } from 'aws-lambda';
import { serviceConfig } from './config.js';
import { defaultCredentialStore } from './credentials.js';
import type { ProviderKey } from './errors.js';
import { type Deadline, deadlineFromContext } from './http/deadline.js';
import type { RetryPolicy } from './http/retry.js';
import { undiciTransport } from './http/transport.js';
import type { OperationDeps } from './images/operations.js';
import { createLogger, type LogFields, type Logger } from './log.js';
import { createBccProvider } from './providers/bcc/adapter.js';
import { createModelArtsProvider } from './providers/modelarts/adapter.js';
import type { ImageProvider, UpstreamCall } from './providers/provider.js';

let providers: Readonly<Record<ProviderKey, ImageProvider>> | undefined;

export const defaultProviders = (): Readonly<Record<ProviderKey, ImageProvider>> => {
  if (providers === undefined) {
    const { endpoints } = serviceConfig();
    const credentials = defaultCredentialStore();
    providers = {
      modelarts: createModelArtsProvider({ credentials, endpointOverride: endpoints.modelarts }),
      bcc: createBccProvider({ credentials, endpointOverride: endpoints.bcc }),
    };
  }
  return providers;
};

export interface InvocationOptions {
  /** Longest the invocation may spend upstream, whatever the Lambda's own timeout. */
  capMs: number;
  /** Attempts for transient faults; a trigger with its own retry layer (Step Functions) uses 1. */
  maxAttempts?: number;
}

export interface Invocation {
  deps: OperationDeps;
  deadline: Deadline;
  log: Logger;
  startedAt: number;
}

export const startInvocation = (
  context: Partial<Context> | undefined,
  options: InvocationOptions,
  logFields: LogFields,
): Invocation => {
  const config = serviceConfig();
  const deadline = deadlineFromContext(context, options.capMs);
  const policy: RetryPolicy = {
    maxAttempts: options.maxAttempts ?? config.upstream.maxAttempts,
    retryBaseMs: config.upstream.retryBaseMs,
    throttleBaseMs: config.upstream.throttleBaseMs,
    maxBackoffMs: 20_000,
    attemptTimeoutMs: config.upstream.attemptTimeoutMs,
  };
  return {
    deps: {
      providers: defaultProviders(),
      protection: config,
      context: { deadline, policy, transport: undiciTransport, calls: [] },
    },
    deadline,
    log: createLogger(config.logLevel, logFields),
    startedAt: performance.now(),
  };
};

/** The upstream part of the request's log line. */
export const upstreamSummary = (calls: readonly UpstreamCall[]): LogFields => {
  const last = calls.at(-1);
  return {
    upstreamCalls: calls.length,
    attempts: calls.reduce((sum, call) => sum + call.attempts, 0),
    upstreamStatus: last?.status,
    upstreamRequestId: last?.requestId,
  };
};
