// Operator configuration from the environment, parsed once per process with zod: protection
// rules, logging, timeouts and retry policy, and the endpoint-override rule every cloud uses.
// Credentials are not here (lib/credentials); each cloud names its own variables
// (lib/providers/<cloud>).

import { ConfigurationError } from '../errors/errors.js';
import * as z from '../schema/zod.js';
import { emptyAsUnset, environmentProblems, milliseconds, wholeNumber } from './env-values.js';

const listSchema = z.preprocess(
  emptyAsUnset,
  z.pipe(
    z.optional(z.string()),
    z.transform((value) =>
      (value ?? '')
        .split(',')
        .map((item) => item.trim())
        .filter((item) => item.length > 0),
    ),
  ),
);

const envSchema = z.object({
  PROTECTED_IMAGE_IDS: listSchema,
  PROTECTED_IMAGE_NAME_PATTERNS: listSchema,
  LOG_LEVEL: z.preprocess(
    emptyAsUnset,
    z._default(z.enum(['debug', 'info', 'warn', 'error', 'silent']), 'info'),
  ),
  UPSTREAM_CONNECT_TIMEOUT_MS: milliseconds(3_000),
  UPSTREAM_ATTEMPT_TIMEOUT_MS: milliseconds(10_000),
  UPSTREAM_MAX_ATTEMPTS: wholeNumber(3, 1, 5),
  UPSTREAM_RETRY_BASE_MS: milliseconds(100),
  UPSTREAM_THROTTLE_BASE_MS: milliseconds(500),
});

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

export interface UpstreamSettings {
  connectTimeoutMs: number;
  attemptTimeoutMs: number;
  maxAttempts: number;
  retryBaseMs: number;
  throttleBaseMs: number;
}

export interface ServiceConfig {
  protection: { ids: readonly string[]; nameGlobs: readonly string[] };
  logLevel: LogLevel;
  upstream: UpstreamSettings;
}

type Env = Readonly<Record<string, string | undefined>>;

export const loadConfig = (env: Env): ServiceConfig => {
  const result = envSchema.safeParse(env);
  if (!result.success) {
    throw new ConfigurationError(`invalid configuration: ${environmentProblems(result.error)}`);
  }
  const parsed = result.data;
  return {
    protection: {
      ids: parsed.PROTECTED_IMAGE_IDS,
      nameGlobs: parsed.PROTECTED_IMAGE_NAME_PATTERNS,
    },
    logLevel: parsed.LOG_LEVEL,
    upstream: {
      connectTimeoutMs: parsed.UPSTREAM_CONNECT_TIMEOUT_MS,
      attemptTimeoutMs: parsed.UPSTREAM_ATTEMPT_TIMEOUT_MS,
      maxAttempts: parsed.UPSTREAM_MAX_ATTEMPTS,
      retryBaseMs: parsed.UPSTREAM_RETRY_BASE_MS,
      throttleBaseMs: parsed.UPSTREAM_THROTTLE_BASE_MS,
    },
  };
};

const LOOPBACK_HOST = /^(?:localhost|127(?:\.\d{1,3}){3}|\[::1\])$/i;

/**
 * What is wrong with a base URL given as an endpoint (`https://host[:port]`, no path), or its
 * origin. Plain `http://` only for loopback (the emulator): signed requests and session tokens
 * never travel in clear text to another host. The words name no value (a URL may carry a secret).
 */
export const checkEndpoint = (value: string): { origin: string } | { problem: string } => {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return { problem: 'is not a URL: must be https://host[:port], a port from 1 to 65535' };
  }
  const loopback = LOOPBACK_HOST.test(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    return { problem: 'must be an https URL (http only for loopback hosts)' };
  }
  if (!['', '/'].includes(url.pathname)) return { problem: 'must have no path' };
  if (url.search !== '' || url.hash !== '') {
    return { problem: 'must have no query or fragment (?, #)' };
  }
  if (url.username !== '' || url.password !== '') {
    return { problem: 'must carry no credentials' };
  }
  return { origin: url.origin };
};

/**
 * An operator's endpoint override in `variable` as an origin; undefined when unset. A bad one is
 * the operator's configuration: ConfigurationError naming the variable.
 */
export const endpointOverride = (env: Env, variable: string): string | undefined => {
  const value = env[variable];
  if (value === undefined || value === '') return undefined;
  const checked = checkEndpoint(value);
  if ('problem' in checked) {
    throw new ConfigurationError(`invalid configuration: ${variable}: ${checked.problem}`);
  }
  return checked.origin;
};

let cached: ServiceConfig | undefined;

/** The process's configuration, parsed on first use (not at import, so a bad value is a clean error). */
export const serviceConfig = (): ServiceConfig => {
  cached ??= loadConfig(process.env);
  return cached;
};
