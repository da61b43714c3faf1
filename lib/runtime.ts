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
  /** The region the operation resolved to (the one asked for, or the provider's default). */
  region(): string | undefined;
}

/**
 * The providers, each remembering the region it resolved, so that the request's log line
 * names the region even when the caller left it to the default.
 */
export const recordingRegion = (
  providers: Readonly<Record<ProviderKey, ImageProvider>>,
): { providers: Readonly<Record<ProviderKey, ImageProvider>>; region(): string | undefined } => {
  let resolved: string | undefined;
  const wrap = (provider: ImageProvider): ImageProvider => ({
    ...provider,
    resolveRegion: async (region, signal) => {
      resolved = await provider.resolveRegion(region, signal);
      return resolved;
    },
  });
  return {
    providers: { modelarts: wrap(providers.modelarts), bcc: wrap(providers.bcc) },
    region: () => resolved,
  };
};

/** The X-Ray trace id root (Lambda sets it per invocation; SQS and Step Functions pass theirs on). */
export const traceIdOf = (header: string | undefined): string | undefined =>
  header === undefined ? undefined : (/(?:^|;)\s*Root=([^;]+)/.exec(header)?.[1] ?? undefined);

let invocations = 0;

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
  const recording = recordingRegion(defaultProviders());
  return {
    deps: {
      providers: recording.providers,
      protection: config,
      context: { deadline, policy, transport: undiciTransport, calls: [] },
    },
    deadline,
    log: createLogger(config.logLevel, {
      ...logFields,
      coldStart: invocations++ === 0,
      traceId: logFields.traceId ?? traceIdOf(process.env._X_AMZN_TRACE_ID),
    }),
    startedAt: performance.now(),
    region: recording.region,
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
