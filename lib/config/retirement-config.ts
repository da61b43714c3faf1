// Configuration of retirement plans and runs, their events, and the pacing of upstream requests,
// parsed from the environment with zod in one place. Which implementation backs each store follows
// from what is set: the stack sets PLANS_BUCKET, RUNS_TABLE and EVENT_BUS_NAME (S3, DynamoDB,
// EventBridge); `npm start` and the CLI leave them unset and keep everything in a local directory.
//
//   PLANS_BUCKET           S3 bucket for plans/{planId}.json and runs/{runId}.json
//   RUNS_TABLE             DynamoDB table of runs and their outcomes (pk/sk)
//   EVENT_BUS_NAME         EventBridge bus the events go to
//   DELETE_QUEUE_URL       the delete queue applied plans send their deletes to (else a local
//                          queue directory that `npm start` works through)
//   RETIREMENT_STORE_DIR   local directory (default .local/retirement); events are written to its
//                          events.jsonl only when it is set explicitly (or no bus: events off)
//   UPSTREAM_RATE_LIMITS   requests/second for the whole deployment, `provider=rate` (every region)
//                          and `provider:region=rate` (one region), comma-separated; built-in
//                          defaults modelarts=10, bcc=20
//   SQS_MAX_CONCURRENCY    the queue consumer's maximumConcurrency: each process gets rate/M
//   MAX_RECEIVE_COUNT      the delete queue's redrive maxReceiveCount (a run records failed one
//                          receive before it, a request publishes its failure event on it)
//   SQS_RECORD_CONCURRENCY the queue consumer's records of one batch worked on at once (1 to 10,
//                          default 4)

import { join } from 'node:path';
import { ConfigurationError } from '../errors/errors.js';
import * as z from '../schema/zod.js';
import { emptyAsUnset, environmentProblems, wholeNumber } from './env-values.js';

type Env = Readonly<Record<string, string | undefined>>;

export const DEFAULT_STORE_DIR = '.local/retirement';

/** The queue consumer's records worked on at once when SQS_RECORD_CONCURRENCY is unset. */
export const DEFAULT_RECORD_CONCURRENCY = 4;

/** Requests per second for the whole deployment when the operator says nothing. */
export const BUILT_IN_RATE_LIMITS: ReadonlyMap<string, number> = new Map([
  ['modelarts', 10],
  ['bcc', 20],
]);

/** Requests per second. Maps, not records: a provider named `constructor` must not find one. */
export interface RateLimits {
  /** For every region of a provider, keyed by provider. */
  readonly providers: ReadonlyMap<string, number>;
  /** For one region, keyed `provider:region`; wins over the provider's. */
  readonly regions: ReadonlyMap<string, number>;
}

/** The rate for a provider's region, or undefined when nothing limits it (not paced). */
export const rateLimitFor = (
  limits: RateLimits,
  provider: string,
  region: string,
): number | undefined =>
  limits.regions.get(`${provider}:${region}`) ?? limits.providers.get(provider);

const PROVIDER = /^[a-z][a-z0-9-]{0,31}$/;
const REGION = /^[a-z0-9][a-z0-9-]{0,63}$/;
/** Far above any cloud's quota: a larger number is a typo. */
const MAX_RATE = 10_000;

const rateLimitsSchema = z.preprocess(
  emptyAsUnset,
  z.pipe(
    z.optional(z.string()),
    z.transform((text, payload): RateLimits => {
      // zod/mini hands a transform the parse payload: its issues are the ones reported.
      const problemWith = (message: string): void => {
        payload.issues.push({ code: 'custom', message, input: payload.value });
      };
      const providers = new Map(BUILT_IN_RATE_LIMITS);
      const regions = new Map<string, number>();
      // Where each provider[:region] was set, by entry number. Problems name entries by number,
      // never quoting them: a ConfigurationError reaches callers, and carries no value.
      const seen = new Map<string, number>();
      for (const [index, item] of (text ?? '').split(',').entries()) {
        const entry = item.trim();
        if (entry === '') continue;
        const number = index + 1;
        const match = /^([^=:\s]+)(?::([^=\s]+))?\s*=\s*(\S+)$/.exec(entry);
        const [, provider = '', region, rateText = ''] = match ?? [];
        const problem =
          match === null
            ? 'each entry must be provider=rate or provider:region=rate'
            : !PROVIDER.test(provider)
              ? 'a provider must be a lowercase name'
              : region !== undefined && !REGION.test(region)
                ? 'a region must be lowercase letters, digits and dashes'
                : !/^\d+(?:\.\d+)?$/.test(rateText) ||
                    Number(rateText) <= 0 ||
                    Number(rateText) > MAX_RATE
                  ? `the rate must be a number of requests per second above 0 and at most ${MAX_RATE}`
                  : undefined;
        const key = region === undefined ? provider : `${provider}:${region}`;
        const earlier = seen.get(key);
        if (problem === undefined && earlier !== undefined) {
          problemWith(
            `entries ${earlier} and ${number} set the same ${region === undefined ? 'provider' : 'provider and region'}`,
          );
          continue;
        }
        if (problem !== undefined) {
          problemWith(`entry ${number}: ${problem}`);
          continue;
        }
        seen.set(key, number);
        (region === undefined ? providers : regions).set(key, Number(rateText));
      }
      return { providers, regions };
    }),
  ),
);

/** A bucket, table or bus name as AWS spells them (or an ARN, for a bus): no spaces, no slashes of paths. */
const resourceName = z.preprocess(
  emptyAsUnset,
  z.optional(
    z
      .string()
      .check(z.regex(/^[A-Za-z0-9._:/-]{1,1600}$/, 'must be a name (letters, digits, . _ - : /)')),
  ),
);

const rateEnvSchema = z.object({
  UPSTREAM_RATE_LIMITS: rateLimitsSchema,
  // AWS allows maximumConcurrency 2..1000; 1 is "not a queue consumer" (one process).
  SQS_MAX_CONCURRENCY: wholeNumber(1, 1, 1000),
});

const envSchema = z.extend(rateEnvSchema, {
  PLANS_BUCKET: resourceName,
  RUNS_TABLE: resourceName,
  EVENT_BUS_NAME: resourceName,
  DELETE_QUEUE_URL: z.preprocess(
    emptyAsUnset,
    z.optional(z.url({ protocol: /^https?$/, message: 'must be the queue URL' })),
  ),
  RETIREMENT_STORE_DIR: z.preprocess(emptyAsUnset, z.optional(z.string())),
  MAX_RECEIVE_COUNT: wholeNumber(5, 1, 1000),
  SQS_RECORD_CONCURRENCY: wholeNumber(DEFAULT_RECORD_CONCURRENCY, 1, 10),
});

/** The parsed variables, or a ConfigurationError naming every bad one (never its value). */
const parseEnv = <S extends z.ZodMiniType>(schema: S, env: Env): z.output<S> => {
  const result = schema.safeParse(env);
  if (!result.success) {
    throw new ConfigurationError(`invalid configuration: ${environmentProblems(result.error)}`);
  }
  return result.data;
};

export interface RetirementConfig {
  plansBucket: string | undefined;
  runsTable: string | undefined;
  eventBusName: string | undefined;
  deleteQueueUrl: string | undefined;
  /** The local directory, RETIREMENT_STORE_DIR or the default. */
  storeDir: string;
  /** RETIREMENT_STORE_DIR was set (local events are written only then). */
  storeDirSet: boolean;
  /** For the whole deployment. */
  rateLimits: RateLimits;
  sqsMaxConcurrency: number;
  maxReceiveCount: number;
  /** The records of one queue batch worked on at once. */
  sqsRecordConcurrency: number;
}

/** Every retirement variable, checked at once; a ConfigurationError naming each bad variable. */
export const loadRetirementConfig = (env: Env): RetirementConfig => {
  const parsed = parseEnv(envSchema, env);
  return {
    plansBucket: parsed.PLANS_BUCKET,
    runsTable: parsed.RUNS_TABLE,
    eventBusName: parsed.EVENT_BUS_NAME,
    deleteQueueUrl: parsed.DELETE_QUEUE_URL,
    storeDir: parsed.RETIREMENT_STORE_DIR ?? DEFAULT_STORE_DIR,
    storeDirSet: parsed.RETIREMENT_STORE_DIR !== undefined,
    rateLimits: parsed.UPSTREAM_RATE_LIMITS,
    sqsMaxConcurrency: parsed.SQS_MAX_CONCURRENCY,
    maxReceiveCount: parsed.MAX_RECEIVE_COUNT,
    sqsRecordConcurrency: parsed.SQS_RECORD_CONCURRENCY,
  };
};

/** The deployment's rates divided among `processes` consumers running at once. */
export const shareOf = (limits: RateLimits, processes: number): RateLimits => {
  const divide = (rates: ReadonlyMap<string, number>) =>
    new Map([...rates].map(([key, rate]) => [key, rate / processes] as const));
  return { providers: divide(limits.providers), regions: divide(limits.regions) };
};

/** The deployment's rates as a whole (UPSTREAM_RATE_LIMITS and the built-in defaults): one process that paces alone, as the command line's apply. */
export const deploymentRateLimits = (env: Env): RateLimits =>
  parseEnv(rateEnvSchema, env).UPSTREAM_RATE_LIMITS;

/**
 * What one process may send: UPSTREAM_RATE_LIMITS (and the built-in defaults) divided by
 * SQS_MAX_CONCURRENCY, since that many consumers may pace the same (provider, region) at once.
 * Reads only those two variables, so a bad store variable does not stop an upstream call.
 */
export const processRateLimits = (env: Env): RateLimits => {
  const parsed = parseEnv(rateEnvSchema, env);
  return shareOf(parsed.UPSTREAM_RATE_LIMITS, parsed.SQS_MAX_CONCURRENCY);
};

export type PlanBackend = { kind: 's3'; bucket: string } | { kind: 'local'; dir: string };
export type RunBackend = { kind: 'dynamodb'; table: string } | { kind: 'local'; dir: string };
export type EventBackend =
  | { kind: 'eventbridge'; busName: string }
  | { kind: 'local'; file: string }
  | { kind: 'off'; why: string };

export type QueueBackend = { kind: 'sqs'; url: string } | { kind: 'local'; dir: string };

export interface RetirementBackends {
  plans: PlanBackend;
  runs: RunBackend;
  events: EventBackend;
  queue: QueueBackend;
}

let eventBusSetAside: string | undefined;

/**
 * EVENT_BUS_NAME was set and its caller removed it on purpose (the command line pointed at the
 * emulator: demo deletes never reach a real bus): `why` says so where events are off, instead of
 * a line saying the variable is not set.
 */
export const setAsideEventBus = (why: string): void => {
  eventBusSetAside = why;
};

/** Which implementation backs each store: AWS when its variable is set, the local directory else. */
export const retirementBackends = (config: RetirementConfig): RetirementBackends => ({
  plans:
    config.plansBucket !== undefined
      ? { kind: 's3', bucket: config.plansBucket }
      : { kind: 'local', dir: config.storeDir },
  runs:
    config.runsTable !== undefined
      ? { kind: 'dynamodb', table: config.runsTable }
      : { kind: 'local', dir: config.storeDir },
  events:
    config.eventBusName !== undefined
      ? { kind: 'eventbridge', busName: config.eventBusName }
      : config.storeDirSet
        ? { kind: 'local', file: join(config.storeDir, 'events.jsonl') }
        : {
            kind: 'off',
            why:
              eventBusSetAside === undefined
                ? 'neither EVENT_BUS_NAME nor RETIREMENT_STORE_DIR is set'
                : `${eventBusSetAside}, and RETIREMENT_STORE_DIR is not set`,
          },
  queue:
    config.deleteQueueUrl !== undefined
      ? { kind: 'sqs', url: config.deleteQueueUrl }
      : { kind: 'local', dir: config.storeDir },
});

let cached: RetirementConfig | undefined;

/** The process's retirement configuration, parsed on first use. */
export const retirementConfig = (): RetirementConfig => {
  cached ??= loadRetirementConfig(process.env);
  return cached;
};
