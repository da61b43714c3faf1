// Operator configuration from the environment, parsed once per process with zod. Credentials are
// not here (lib/credentials.ts); endpoints, protection rules, timeouts and retry policy are.

import * as z from 'zod';
import { ConfigurationError } from './errors.js';

const emptyAsUnset = (value: unknown): unknown => (value === '' ? undefined : value);

const originSchema = z.preprocess(
  emptyAsUnset,
  z
    .url({ protocol: /^https?$/, message: 'must be an http(s) URL' })
    .refine((value) => ['', '/'].includes(new URL(value).pathname), 'must have no path')
    .transform((value) => new URL(value).origin)
    .optional(),
);

const listSchema = z.preprocess(
  emptyAsUnset,
  z
    .string()
    .optional()
    .transform((value) =>
      (value ?? '')
        .split(',')
        .map((item) => item.trim())
        .filter((item) => item.length > 0),
    ),
);

const millis = (fallback: number) =>
  z.preprocess(emptyAsUnset, z.coerce.number().int().positive().default(fallback));

const envSchema = z.object({
  MODELARTS_ENDPOINT: originSchema,
  BCC_ENDPOINT: originSchema,
  PROTECTED_IMAGE_IDS: listSchema,
  PROTECTED_IMAGE_NAME_PATTERNS: listSchema,
  LOG_LEVEL: z.preprocess(
    emptyAsUnset,
    z.enum(['debug', 'info', 'warn', 'error', 'silent']).default('info'),
  ),
  UPSTREAM_CONNECT_TIMEOUT_MS: millis(3_000),
  UPSTREAM_ATTEMPT_TIMEOUT_MS: millis(10_000),
  UPSTREAM_MAX_ATTEMPTS: z.preprocess(
    emptyAsUnset,
    z.coerce.number().int().min(1).max(5).default(3),
  ),
  UPSTREAM_RETRY_BASE_MS: millis(100),
  UPSTREAM_THROTTLE_BASE_MS: millis(500),
});

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

export interface ServiceConfig {
  endpoints: { modelarts?: string | undefined; bcc?: string | undefined };
  protectedImageIds: ReadonlySet<string>;
  protectedNamePatterns: readonly RegExp[];
  protectedNameGlobs: readonly string[];
  logLevel: LogLevel;
  upstream: {
    connectTimeoutMs: number;
    attemptTimeoutMs: number;
    maxAttempts: number;
    retryBaseMs: number;
    throttleBaseMs: number;
  };
}

/** A shell-style glob (`*` any run, `?` one character) as an anchored, case-sensitive RegExp. */
export const globToRegExp = (glob: string): RegExp =>
  new RegExp(
    `^${glob
      .split('')
      .map((char) =>
        char === '*' ? '.*' : char === '?' ? '.' : char.replace(/[.+^${}()|[\]\\]/g, '\\$&'),
      )
      .join('')}$`,
  );

export const loadConfig = (env: Record<string, string | undefined>): ServiceConfig => {
  const result = envSchema.safeParse(env);
  if (!result.success) {
    const fields = result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigurationError(`invalid configuration: ${fields.join('; ')}`);
  }
  const parsed = result.data;
  return {
    endpoints: { modelarts: parsed.MODELARTS_ENDPOINT, bcc: parsed.BCC_ENDPOINT },
    protectedImageIds: new Set(parsed.PROTECTED_IMAGE_IDS),
    protectedNameGlobs: parsed.PROTECTED_IMAGE_NAME_PATTERNS,
    protectedNamePatterns: parsed.PROTECTED_IMAGE_NAME_PATTERNS.map(globToRegExp),
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

let cached: ServiceConfig | undefined;

/** The process's configuration, parsed on first use (not at import, so a bad value is a clean error). */
export const serviceConfig = (): ServiceConfig => {
  cached ??= loadConfig(process.env);
  return cached;
};
