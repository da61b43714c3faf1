// Hostile input, generated: path parameters, query flags, task inputs and SQS bodies full of
// non-ASCII, `..`, encoded slashes, control characters, prototype keys, wrong types and very long
// strings. Every invalid input must be InvalidRequest / 400 naming a field at fault, with no
// upstream request at all; every valid one may only ever reach `/v1/{project}/images/{id}` or
// `/v2/image/{id}` on the configured endpoint, for exactly the image asked for. Each case runs the
// real handler in-process against the emulator on loopback (invalid ones never leave the process).

import { randomUUID } from 'node:crypto';

import type { SQSBatchResponse, SQSRecord } from 'aws-lambda';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_MODELARTS, SEEDED } from '../../emulator/demo.js';
import { ERROR_NAMES } from '../../lib/errors/error-table.js';
import { BCC_ENDPOINTS } from '../../lib/providers/bcc/endpoints.js';
import { originFor } from '../../lib/providers/kit/regions.js';
import { MODELARTS_ENDPOINTS } from '../../lib/providers/modelarts/endpoints.js';
import { shownName } from '../../lib/schema/caller-names.js';
import { httpEvent, lambdaContext } from '../../scripts/lambda-events.js';
import { eventBridgeEvent, sqsEvent, sqsRecord } from '../support/events.js';
import { useFixture } from '../support/fixture.js';
import {
  type HttpResult,
  type LoadedFunctions,
  loadFunctions,
  watchUnhandled,
} from './support/harness.js';

// ---------------------------------------------------------------------------------------------
// The contract, restated from the spec as an oracle

const PROVIDERS = ['modelarts', 'bcc'] as const;
type Provider = (typeof PROVIDERS)[number];
const ID_FORMAT: Record<Provider, RegExp> = {
  modelarts: /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i,
  bcc: /^m-[A-Za-z0-9]{1,32}$/,
};
const REGION = /^[a-z0-9]+(-[a-z0-9]+)*$/;

const isProvider = (value: unknown): value is Provider =>
  typeof value === 'string' && (PROVIDERS as readonly string[]).includes(value);
const validRegion = (value: unknown): boolean =>
  typeof value === 'string' && value.length <= 64 && REGION.test(value);

/** The fields at fault in a delete/show input object, or [] when it is valid. */
const badInputFields = (operation: 'show' | 'delete', input: unknown): string[] => {
  // An invocation without a payload reaches the handler as {} (middy), so it lacks every field.
  const value = input === undefined ? {} : input;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return ['input'];
  const record = value as Record<string, unknown>;
  // The contract's one task input for both (a show checks the flags and ignores them).
  const allowed = ['provider', 'imageId', 'region', 'force', 'dryRun'];
  const bad = Object.keys(record).filter((key) => !allowed.includes(key));
  const present = (key: string) => record[key] !== undefined;
  if (!isProvider(record.provider)) bad.push('provider');
  if (typeof record.imageId !== 'string' || record.imageId.length > 64) bad.push('imageId');
  else if (isProvider(record.provider) && !ID_FORMAT[record.provider].test(record.imageId)) {
    bad.push('imageId');
  }
  if (present('region') && !validRegion(record.region)) bad.push('region');
  for (const flag of ['force', 'dryRun']) {
    if (allowed.includes(flag) && present(flag) && typeof record[flag] !== 'boolean') {
      bad.push(flag);
    }
  }
  if (operation === 'delete' && record.force === true && record.provider !== 'modelarts') {
    bad.push('force');
  }
  // A well-formed region the ModelArts credentials have no project for is the caller's choice,
  // refused after validation (the endpoint override accepts any well-formed region).
  if (
    bad.length === 0 &&
    record.provider === 'modelarts' &&
    present('region') &&
    record.region !== DEMO_MODELARTS.region
  ) {
    bad.push('region');
  }
  return bad;
};

/** The fields at fault in an HTTP request: its query, then its path parameters. */
const badHttpFields = (
  operation: 'show' | 'delete',
  provider: string | undefined,
  imageId: string | undefined,
  query: Record<string, string>,
): string[] => {
  const allowed = operation === 'show' ? ['region'] : ['region', 'force', 'dryRun'];
  const bad: string[] = [];
  for (const [key, value] of Object.entries(query)) {
    if (!allowed.includes(key)) bad.push(key);
    else if (key === 'region' && !validRegion(value)) bad.push('region');
    else if (key !== 'region' && value !== 'true' && value !== 'false') bad.push(key);
  }
  const input: Record<string, unknown> = { provider, imageId };
  if (query.region !== undefined) input.region = query.region;
  if (query.force === 'true' || query.force === 'false') input.force = query.force === 'true';
  if (query.dryRun === 'true' || query.dryRun === 'false') input.dryRun = query.dryRun === 'true';
  return [...bad, ...badInputFields(operation, input)];
};

// ---------------------------------------------------------------------------------------------
// Generators

const FRAGMENTS = [
  '..',
  '../',
  '..\\',
  '%2F',
  '%2f',
  '%252F',
  '/',
  '\\',
  '%00',
  '\u0000',
  '\n',
  '\r\n',
  '\t',
  '\u001b[31m',
  '?',
  '#',
  '&',
  '=',
  ' ',
  '%',
  '%2e%2e',
  '..%2F',
  ';',
  '@',
  ':',
  '//evil.example',
  'http://evil.example/',
  '@evil.example',
  '\u202e',
  '\ufeff',
  '\u2028',
  '\u0085',
  'é',
  '中文',
  '😀',
  '\ud800',
  'İ',
  '０',
  'ｍ-',
  '__proto__',
  'constructor',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a log4shell-style payload, literally.
  '${jndi:ldap://x}',
  '<script>',
  "' OR 1=1 --",
];

const VALID_ID: Record<Provider, fc.Arbitrary<string>> = {
  modelarts: fc.uuid({ version: [4] }),
  bcc: fc.stringMatching(/^m-[A-Za-z0-9]{1,32}$/),
};
const anyValidId = fc.oneof(VALID_ID.modelarts, VALID_ID.bcc);

const fragment = fc.constantFrom(...FRAGMENTS);
const joined = fc.array(fragment, { minLength: 1, maxLength: 6 }).map((parts) => parts.join(''));
/** A valid ID with hostile text spliced in somewhere. */
const spliced = fc
  .tuple(anyValidId, fc.array(fragment, { minLength: 1, maxLength: 3 }), fc.nat())
  .map(([id, parts, at]) => {
    const cut = at % (id.length + 1);
    return `${id.slice(0, cut)}${parts.join('')}${id.slice(cut)}`;
  });
const long = fc.oneof(
  fc.nat({ max: 4_000 }).map((n) => `m-${'a'.repeat(33 + n)}`),
  fc.string({ minLength: 65, maxLength: 2_000 }),
  fc.constant('%2F..'.repeat(2_000)),
);
const hostile = fc.oneof(
  { weight: 3, arbitrary: joined },
  { weight: 3, arbitrary: spliced },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 80 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 80 }) },
  { weight: 1, arbitrary: long },
  { weight: 1, arbitrary: fc.constantFrom('', ' ', '.', '..', '/', '%2F', 'm-', 'null') },
);
const idArb = fc.oneof({ weight: 1, arbitrary: anyValidId }, { weight: 4, arbitrary: hostile });
const providerArb = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom<string>(...PROVIDERS) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      'ModelArts',
      'BCC',
      'modelarts ',
      'bcc\u0000',
      '__proto__',
      'constructor',
      'toString',
      '../bcc',
      'bcc/..',
      'modelarts%2F..',
    ),
  },
  { weight: 1, arbitrary: hostile },
);
const regionArb = fc.oneof(
  fc.constantFrom(
    'cn-north-4',
    'bj',
    'eu-de',
    'ap-southeast-1',
    'constructor',
    'hasownproperty',
    'prototype',
    '__proto__',
    'toString',
    'cn-north-4.evil.example',
    'bj/../x',
    'bj%2F..',
    'BJ',
    '-bj',
    'bj-',
    'b--j',
    '',
  ),
  fc.stringMatching(/^[a-z0-9]{1,12}(-[a-z0-9]{1,8}){0,3}$/),
  hostile,
);
const flagText = fc.oneof(
  fc.constantFrom('true', 'false', 'TRUE', 'True', '1', '0', 'yes', '', 'true ', 'false\u0000'),
  hostile,
);
const queryKey = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('region', 'force', 'dryRun') },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      'dryrun',
      'DryRun',
      'Force',
      'region ',
      'provider',
      'imageId',
      '__proto__',
      'constructor',
    ),
  },
  { weight: 1, arbitrary: hostile },
);
const queryArb = fc
  .array(
    fc.tuple(queryKey, fc.oneof(regionArb, flagText)).map(([key, value]) => {
      // Values that fit their key often enough that valid queries do come up.
      return [key, value] as const;
    }),
    { maxLength: 4 },
  )
  .map((pairs) => {
    const query: Record<string, string> = {};
    for (const [key, value] of pairs)
      Object.defineProperty(query, key, {
        value,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    return query;
  });

const flagValue = fc.oneof(
  { weight: 3, arbitrary: fc.boolean() },
  {
    weight: 1,
    arbitrary: fc.constantFrom<unknown>('true', 'false', 1, 0, null, [], {}, 'yes'),
  },
);
/** Names for an unexpected extra key: near-misses, prototype keys and hostile text. */
const extraKey = fc.oneof(
  fc.constantFrom('dryrun', 'Force', 'imageID', 'region ', '__proto__', 'constructor', ''),
  hostile.map((text) => text.slice(0, 20)),
);
/** Well-formed task inputs (the containment half of the property needs enough of them). */
const validTaskInput: fc.Arbitrary<unknown> = fc
  .constantFrom<Provider>(...PROVIDERS)
  .chain((provider) =>
    fc.record(
      {
        provider: fc.constant(provider),
        imageId: fc.oneof(VALID_ID[provider], fc.constantFrom(...Object.values(SEEDED[provider]))),
        region: fc.constantFrom(...(provider === 'modelarts' ? ['cn-north-4'] : ['bj', 'gz'])),
        force: provider === 'modelarts' ? fc.boolean() : fc.constant(false),
        dryRun: fc.boolean(),
      },
      { requiredKeys: ['provider', 'imageId'] },
    ),
  );
/** Task inputs: mostly the right shape with hostile values, sometimes anything at all. */
const taskInputArb: fc.Arbitrary<unknown> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc
      .tuple(
        fc.record(
          {
            provider: fc.oneof(providerArb, fc.constantFrom<unknown>(1, null, true, ['bcc'])),
            imageId: fc.oneof(idArb, fc.constantFrom<unknown>(1, null, {}, [SEEDED.bcc.custom])),
            region: fc.oneof(regionArb, fc.constantFrom<unknown>(1, null, ['bj'])),
            force: flagValue,
            dryRun: flagValue,
          },
          { requiredKeys: [] },
        ),
        fc.option(fc.tuple(extraKey, fc.jsonValue()), { freq: 4 }),
      )
      // A computed key defines an own property, `__proto__` included.
      .map(([record, extra]) => (extra === null ? record : { ...record, [extra[0]]: extra[1] })),
  },
  { weight: 2, arbitrary: validTaskInput },
  { weight: 1, arbitrary: fc.jsonValue() },
  { weight: 1, arbitrary: fc.anything() },
);

// ---------------------------------------------------------------------------------------------
// The harness

const fixture = useFixture();
let functions: LoadedFunctions;
let emulatorHost: string;
const unhandled = watchUnhandled();
const tried: Record<string, number> = {};

beforeAll(async () => {
  emulatorHost = new URL(fixture.url).host;
  // The demo environment pointing at the emulator, and:
  functions = await loadFunctions(fixture, {
    LOG_LEVEL: 'info',
    UPSTREAM_RETRY_BASE_MS: '1',
    UPSTREAM_THROTTLE_BASE_MS: '1',
  });
});

afterAll(async () => {
  unhandled.stop();
  await functions.agent().close();
  const total = Object.entries(tried)
    .filter(([what]) => !what.endsWith('(valid)'))
    .reduce((sum, [, n]) => sum + n, 0);
  console.info(`[hostile-input] ${total} generated inputs: ${JSON.stringify(tried)}`);
});

const count = (what: string) => {
  tried[what] = (tried[what] ?? 0) + 1;
};

/** Every upstream request reached the configured endpoint, on one of the two documented paths, for these images. */
const expectContained = (imageIds: ReadonlySet<string>): void => {
  for (const request of fixture.emulator.requests) {
    expect(request.headers.host).toBe(emulatorHost);
    expect(['GET', 'DELETE']).toContain(request.method);
    // A delete scans what uses images first: the usage lists of the configured project, read-only.
    if (
      request.method === 'GET' &&
      request.path === `/v1/${DEMO_MODELARTS.projectId}/notebooks/all`
    ) {
      continue;
    }
    if (request.method === 'GET' && request.path === '/v2/instance') continue;
    const modelarts = /^\/v1\/([^/]+)\/images\/([^/]+)$/.exec(request.path);
    const bcc = /^\/v2\/image\/([^/]+)$/.exec(request.path);
    if (modelarts !== null) {
      expect(modelarts[1]).toBe(DEMO_MODELARTS.projectId);
      expect(imageIds).toContain(modelarts[2]);
    } else {
      expect(bcc, `path ${request.path}`).not.toBeNull();
      expect(imageIds).toContain(bcc?.[1]);
    }
  }
};

/** Undo whatever a valid input did upstream, so the next case starts from the seed. */
const resetIfUsed = (): void => {
  if (fixture.emulator.requests.length > 0) fixture.emulator.reset();
};

/** A valid input ends in success or one of the spec's errors, never in an internal error. */
const SPEC_CODES = [
  'OK',
  'IMAGE_PROTECTED',
  'IMAGE_NOT_FOUND',
  'IMAGE_BUSY',
  'UPSTREAM_AUTH_FAILED',
  'UPSTREAM_BAD_RESPONSE',
  'UPSTREAM_UNAVAILABLE',
  'UPSTREAM_THROTTLED',
  'UPSTREAM_TIMEOUT',
  'CONFIGURATION_ERROR',
];

/** The message names one of `fields`, as an answer shows a caller's name (bounded, printable). */
const mentionsOneOf = (message: string, fields: readonly string[]): boolean =>
  fields.some((field) => message.includes(field) || message.includes(shownName(field)));

/**
 * An HTTP answer: 400 INVALID_REQUEST naming one of the `bad` fields with nothing sent, or (no
 * field at fault, counted as `valid`) anything but 400, contained upstream.
 */
const expectHttpOutcome = (
  result: HttpResult,
  bad: readonly string[],
  imageId: string,
  valid: string,
): void => {
  const body = JSON.parse(result.body ?? '{}') as {
    error?: { code?: string; message?: string };
  };
  if (bad.length > 0) {
    expect(result.statusCode).toBe(400);
    expect(body.error?.code).toBe('INVALID_REQUEST');
    expect(mentionsOneOf(body.error?.message ?? '', bad), body.error?.message).toBe(true);
    expect(fixture.emulator.requests).toEqual([]);
  } else {
    count(valid);
    expect(result.statusCode).not.toBe(400);
    expect(SPEC_CODES).toContain(body.error?.code ?? 'OK');
    expectContained(new Set([imageId]));
    resetIfUsed();
  }
};

/**
 * A batch answer: every invalid record (messageId → the fields at fault) failed, logged as
 * InvalidRequest naming one of them; nothing sent when no record was valid, else contained.
 */
const expectBatchOutcome = (
  response: SQSBatchResponse,
  records: readonly SQSRecord[],
  invalid: ReadonlyMap<string, string[]>,
  validIds: ReadonlySet<string>,
): void => {
  const failed = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
  for (const [messageId, bad] of invalid) {
    expect(failed).toContain(messageId);
    const [entry] = fixture.log.linesWhere({ messageId });
    expect(entry?.error).toBe('InvalidRequest');
    expect(mentionsOneOf(String(entry?.errorMessage), bad), String(entry?.errorMessage)).toBe(true);
  }
  for (const id of failed) expect(records.map((r) => r.messageId)).toContain(id);
  if (validIds.size === 0) expect(fixture.emulator.requests).toEqual([]);
  expectContained(validIds);
  resetIfUsed();
};

// ---------------------------------------------------------------------------------------------
// Properties

const RUNS = {
  path: 3_000,
  query: 2_500,
  task: 3_000,
  queueBatches: 200,
  eventBatches: 100,
  origin: 1_500,
};

describe('hostile input', () => {
  it('HTTP path parameters and query flags: 400 naming the field and nothing sent, or contained upstream', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom<'show' | 'delete'>('show', 'delete'),
        fc.option(providerArb, { nil: undefined, freq: 10 }),
        fc.option(idArb, { nil: undefined, freq: 10 }),
        fc.oneof({ weight: 3, arbitrary: fc.constant({}) }, { weight: 1, arbitrary: queryArb }),
        async (operation, provider, imageId, query) => {
          count('http path');
          const event = httpEvent(
            operation === 'show' ? 'GET' : 'DELETE',
            provider ?? '',
            imageId ?? '',
            query,
          );
          event.pathParameters = {
            ...(provider === undefined ? {} : { provider }),
            ...(imageId === undefined ? {} : { imageId }),
          };
          const result = await functions.http[operation](event, lambdaContext());
          const bad = badHttpFields(operation, provider, imageId, query);
          expectHttpOutcome(result, bad, imageId ?? '', 'http path (valid)');
          expect(unhandled.seen).toEqual([]);
        },
      ),
      { numRuns: RUNS.path },
    );
  });

  it('HTTP query flags on real images: 400 naming the parameter, or contained upstream', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom<'show' | 'delete'>('show', 'delete'),
        fc.constantFrom<Provider>(...PROVIDERS),
        queryArb,
        async (operation, provider, query) => {
          count('http query');
          const imageId = provider === 'modelarts' ? SEEDED.modelarts.custom : SEEDED.bcc.custom;
          const event = httpEvent(
            operation === 'show' ? 'GET' : 'DELETE',
            provider,
            imageId,
            query,
          );
          const result = await functions.http[operation](event, lambdaContext());
          const bad = badHttpFields(operation, provider, imageId, query);
          expectHttpOutcome(result, bad, imageId, 'http query (valid)');
        },
      ),
      {
        numRuns: RUNS.query,
        // Found by this property: Object.prototype's `constructor` as a region and a project.
        examples: [
          ['show', 'modelarts', { region: 'constructor' }],
          ['delete', 'bcc', { region: 'constructor', dryRun: 'true' }],
        ],
      },
    );
  });

  it('task inputs: InvalidRequest naming the field and nothing sent, or contained upstream', async () => {
    const task = functions.task;
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom<'show' | 'delete'>('show', 'delete'),
        taskInputArb,
        async (operation, input) => {
          count('task input');
          const bad = badInputFields(operation, input);
          let thrown: Error | undefined;
          try {
            await task[operation](input, lambdaContext());
          } catch (error) {
            thrown = error as Error;
          }
          if (bad.length > 0) {
            expect(thrown?.name).toBe('InvalidRequest');
            expect(mentionsOneOf(thrown?.message ?? '', bad), thrown?.message).toBe(true);
            expect(fixture.emulator.requests).toEqual([]);
          } else {
            count('task input (valid)');
            expect(thrown?.name).not.toBe('InvalidRequest');
            expect(['OK', ...ERROR_NAMES]).toContain(thrown?.name ?? 'OK');
            const id = (input as { imageId: string }).imageId;
            expectContained(new Set([id]));
            resetIfUsed();
          }
        },
      ),
      { numRuns: RUNS.task },
    );
  });

  it('SQS bodies (not JSON, wrong types, oversized): each invalid record failed as InvalidRequest naming the field, nothing sent for it', async () => {
    const queue = functions.queue;
    const bodyArb = fc.oneof(
      { weight: 3, arbitrary: taskInputArb.map((input) => JSON.stringify(input) ?? 'undefined') },
      { weight: 2, arbitrary: hostile },
      {
        weight: 1,
        arbitrary: fc.constantFrom('', '{', '{"provider":"bcc",', 'null', '[]', '"bcc"', '1e999'),
      },
      {
        weight: 1,
        arbitrary: fc
          .nat({ max: 64 })
          .map(
            (n) =>
              `{"provider":"bcc","imageId":"m-custom01","region":"bj","pad":"${'x'.repeat(262_144 + n)}"}`,
          ),
      },
    );
    await fc.assert(
      fc.asyncProperty(fc.array(bodyArb, { minLength: 1, maxLength: 10 }), async (bodies) => {
        fixture.log.clear();
        const records = bodies.map((body) => sqsRecord(randomUUID(), body));
        const invalid = new Map<string, string[]>();
        const validIds = new Set<string>();
        for (const record of records) {
          count('sqs body');
          let parsed: unknown;
          let bad: string[];
          try {
            parsed = JSON.parse(record.body);
            bad = badInputFields('delete', parsed);
          } catch {
            bad = ['body'];
          }
          if (bad.length > 0) invalid.set(record.messageId, bad);
          else validIds.add((parsed as { imageId: string }).imageId);
        }
        const response = await queue.delete(sqsEvent(records), lambdaContext());
        expectBatchOutcome(response, records, invalid, validIds);
      }),
      { numRuns: RUNS.queueBatches },
    );
  });

  it('EventBridge details (the rule delivers $.detail to the queue): invalid ones fail as InvalidRequest, valid ones stay contained', async () => {
    const queue = functions.queue;
    await fc.assert(
      fc.asyncProperty(fc.array(taskInputArb, { minLength: 1, maxLength: 10 }), async (details) => {
        fixture.log.clear();
        // InputPath $.detail: the body is the detail as JSON (an absent detail sends nothing).
        const records = details
          .map((detail) => eventBridgeEvent(detail))
          .filter((event) => event.detail !== undefined)
          .map((event) => sqsRecord(randomUUID(), JSON.stringify(event.detail)));
        if (records.length === 0) return;
        const invalid = new Map<string, string[]>();
        const validIds = new Set<string>();
        for (const record of records) {
          count('eventbridge detail');
          const detail: unknown = JSON.parse(record.body);
          const bad = badInputFields('delete', detail);
          if (bad.length > 0) invalid.set(record.messageId, bad);
          else validIds.add((detail as { imageId: string }).imageId);
        }
        const response = await queue.delete(sqsEvent(records), lambdaContext());
        expectBatchOutcome(response, records, invalid, validIds);
      }),
      { numRuns: RUNS.eventBatches },
    );
  });

  it('no region ever selects a host outside the endpoint table (no override configured)', () => {
    const tables = { modelarts: MODELARTS_ENDPOINTS, bcc: BCC_ENDPOINTS } as const;
    fc.assert(
      fc.property(fc.constantFrom<Provider>(...PROVIDERS), regionArb, (provider, region) => {
        count('region → origin');
        const table = tables[provider];
        let origin: unknown;
        try {
          origin = originFor(provider, region, table, undefined);
        } catch (error) {
          expect((error as Error).name).toBe('InvalidRequest');
          return;
        }
        expect(Object.hasOwn(table, region)).toBe(true);
        expect(Object.values(table)).toContain(origin);
      }),
      {
        numRuns: RUNS.origin,
        examples: [
          ['modelarts', 'constructor'],
          ['bcc', 'constructor'],
        ],
      },
    );
  });
});
