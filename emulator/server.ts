// The provider emulator: one node:http server on loopback that speaks Huawei Cloud ModelArts and
// Baidu BCC image, notebook and instance APIs (clouds/modelarts.ts, clouds/bcc.ts list them),
// verifies each cloud's request signature with its own implementation of the published schemes,
// limits request rates per access key, keeps state, records requests and injects faults.
// `/_emulator/*` is the control API (control.ts lists it).
//
// This module composes the parts: state, faults, rate limiter, settings and authenticators, the
// provider pipeline (provider-pipeline.ts) and the control API, on a loopback listener.

import { DEFAULT_LOCKOUT_MS } from './auth/ak-lockout.js';
import type { EmulatorSettings } from './clouds/dialect.js';
import { DIALECTS } from './clouds/registry.js';
import { handleControl } from './control.js';
import { FaultController } from './faults.js';
import { plainJson, readBody, send } from './http-io.js';
import { receive } from './incoming.js';
import { listen } from './listener.js';
import {
  type ModelArtsOffsetMode,
  modelArtsOffsetModeSchema,
  type RateLimitOptions,
  rateLimitOptionsSchema,
  type SeedSpec,
  seedSpecSchema,
} from './options.js';
import { handleProviderRequest, type PipelineDependencies } from './provider-pipeline.js';
import { RateLimiter } from './rate-limit.js';
import type { RunningEmulator } from './running-emulator.js';
import { EmulatorState } from './state.js';
import type { RecordedRequest } from './types.js';

export type { EmulatorSettings } from './clouds/dialect.js';
export type { Fault, FaultAction, FaultKind, FaultMatch, InjectedFault } from './faults.js';
export { FaultController } from './faults.js';
export type { ModelArtsOffsetMode, RateLimit, RateLimitOptions, SeedSpec } from './options.js';
export type { RateLimitCounter } from './rate-limit.js';
export { RateLimiter } from './rate-limit.js';
export type { RunningEmulator } from './running-emulator.js';
export type { ReferenceOptions, StateCounts } from './state.js';
export { EmulatorState } from './state.js';
export type {
  BccImageRecord,
  BccInstanceRecord,
  ModelArtsImageRecord,
  NotebookRecord,
  Operation,
  ProviderKey,
  RecordedRequest,
} from './types.js';

export interface EmulatorOptions {
  /** Loopback only: `127.0.0.1` (default), `::1`, `localhost` or another 127.x address. */
  host?: string;
  /** 0 (default) picks a free port. */
  port?: number;
  /** The emulator's clock, for signature time checks, lockouts, rate limits and recorded times. */
  now?: () => Date;
  /** How long an AK stays locked after more than 5 consecutive signature failures (default 5 min). */
  lockoutMs?: number;
  /** Generated records added to the demo ones at start and on every reset() (none by default). */
  seed?: SeedSpec;
  /** How ModelArts list APIs read `offset` (default `records`). */
  modelartsOffset?: ModelArtsOffsetMode;
  /** Request-rate limits per cloud, applied per access key (none by default). */
  rateLimit?: RateLimitOptions;
  /** More access keys (access key → secret key) accepted besides each cloud's demo key. */
  credentials?: { modelarts?: Record<string, string>; bcc?: Record<string, string> };
}

export async function startEmulator(options: EmulatorOptions = {}): Promise<RunningEmulator> {
  const now = options.now ?? (() => new Date());
  const configured = {
    seed: seedSpecSchema.parse(options.seed ?? {}),
    modelartsOffset: modelArtsOffsetModeSchema.parse(options.modelartsOffset ?? 'records'),
    rateLimit: rateLimitOptionsSchema.parse(options.rateLimit ?? {}),
  };
  const state = new EmulatorState(now, configured.seed);
  const faults = new FaultController();
  const requests: RecordedRequest[] = [];
  const rateLimiter = new RateLimiter(configured.rateLimit);
  const settings: EmulatorSettings = { modelartsOffset: configured.modelartsOffset };
  const lockoutMs = options.lockoutMs ?? DEFAULT_LOCKOUT_MS;
  const authenticators = new Map(
    DIALECTS.map((dialect) => {
      const { accessKeyId, secretAccessKey } = dialect.demoCredentials;
      const secrets = new Map([
        [accessKeyId, secretAccessKey],
        ...Object.entries(options.credentials?.[dialect.provider] ?? {}),
      ]);
      return [dialect.provider, dialect.createAuthenticator({ lockoutMs, secrets })] as const;
    }),
  );
  const dependencies = (closing: AbortSignal): PipelineDependencies => ({
    state,
    faults,
    requests,
    rateLimiter,
    settings,
    authenticators,
    now,
    closing,
  });

  // Assigned once listening; no request can arrive before that.
  let emulator: RunningEmulator | undefined;
  const listener = await listen(
    options.host ?? '127.0.0.1',
    options.port ?? 0,
    async (req, res, closing) => {
      const bodyText = await readBody(req);
      const request = receive(req, bodyText ?? '');
      if (request.segments[0] === '_emulator') {
        if (emulator === undefined) throw new Error('the emulator is still starting');
        const reply =
          bodyText === undefined
            ? { status: 413, body: { error: 'body too large' } }
            : handleControl(emulator, request.method, request.segments.slice(1), bodyText);
        send(res, plainJson(reply.status, reply.body));
        return;
      }
      await handleProviderRequest(dependencies(closing), req, res, request, bodyText === undefined);
    },
  );

  emulator = {
    url: listener.url,
    port: listener.port,
    faults,
    state,
    requests,
    settings,
    rateLimit: rateLimiter,
    seed: (spec) => state.seedWith(seedSpecSchema.parse(spec)),
    reset: () => {
      state.reset();
      faults.clear();
      requests.length = 0;
      for (const authenticator of authenticators.values()) authenticator.clear();
      rateLimiter.set(configured.rateLimit);
      rateLimiter.clearCounters();
      settings.modelartsOffset = configured.modelartsOffset;
      settings.modelartsMaxLimit = undefined;
    },
    close: () => listener.close(),
  };
  return emulator;
}
