// The fault matrix: every provider × operation × trigger × upstream fault the emulator can inject,
// through the real handlers, real undici and real signatures on loopback. For each case it checks
//   - the outcome: the spec's error name / HTTP status (the EXPECTED table below, written out),
//   - the attempts the emulator received: within the policy (3 for transient faults and throttling
//     over HTTP and SQS, 1 per task invocation, exactly 2 for an auth rejection),
//   - the time: the handler returned before the Lambda's remaining time ran out,
//   - what is left behind: no unhandled rejection, no request in flight, no socket open beyond the
//     agent's kept-alive connections (and none at all once the agents are closed).
//
// FAULT_MATRIX_DOC=1 also writes docs/fault-matrix.md from these cases (case → expected → observed).

import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Agent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SEEDED } from '../../emulator/demo.js';
import { type RunningEmulator, startEmulator } from '../../emulator/server.js';
import { httpEvent, lambdaContext } from '../../scripts/lambda-events.js';
import { emulatorEnvironment } from '../../scripts/local-environment.js';
import { sqsEvent, sqsRecord } from '../support/events.js';
import { useFixture } from '../support/fixture.js';
import {
  closedPort,
  type LoadedFunctions,
  loadFunctions,
  openTcpSockets,
  settleSockets,
  watchConnects,
  watchUnhandled,
} from './support/harness.js';

type Provider = 'modelarts' | 'bcc';
type Trigger = 'http' | 'task' | 'queue';
/** Which upstream call the fault hits: a show's GET, the look (GET) before a delete, or the DELETE. */
type Phase = 'show' | 'delete:look' | 'delete:delete';

// ---------------------------------------------------------------------------------------------
// The faults

type FaultId =
  | '429 without Retry-After'
  | '429 with Retry-After beyond the time left'
  | 'APIG.0308'
  | 'APIGW.0308'
  | 'ModelArts.6101'
  | 'HTTP 500'
  | 'HTTP 502'
  | 'HTTP 503'
  | 'HTTP 504'
  | 'connection reset'
  | 'connection refused'
  | 'stall past the time left'
  | 'truncated body'
  | 'invalid JSON'
  | 'well-formed, not an image'
  | 'another image than asked for'
  | 'signature expired'
  | 'signature rejected'
  | 'signature expired (real clock skew)'
  | 'DELETE done, reply lost';

/** How many attempts the policy allows at the faulty call (see `attemptsAt`). */
type AttemptRule = 'retried' | 'once' | 'auth' | 'reply-lost';

interface FaultSpec {
  providers: readonly Provider[];
  phases: readonly Phase[];
  attempts: AttemptRule;
  /** The Lambda's remaining time for this case (default 29.5 s, as API Gateway allows). */
  remainingMs?: number;
  /** `refused`: the functions point at a closed port; `wrong-key`: the real emulator rejects our signature. */
  via?: 'refused' | 'wrong-key' | 'skewed-clock';
  /** The emulator action (for `via` cases at the DELETE, an injected provider reply). */
  action?: (provider: Provider) => Record<string, unknown>;
  /** Applications of the fault (default: every attempt). */
  times?: number;
}

const BOTH = ['modelarts', 'bcc'] as const;
const MODELARTS = ['modelarts'] as const;
const ALL_PHASES = ['show', 'delete:look', 'delete:delete'] as const;

const status = (code: number, headers?: Record<string, string>) => () => ({
  kind: 'status',
  status: code,
  ...(headers ? { headers } : {}),
});
const huawei = (code: number, errorCode: string, message: string) => () => ({
  kind: 'status',
  status: code,
  body: { error_code: errorCode, error_msg: message, request_id: 'fault-request-0001' },
});
const byProvider =
  (actions: Record<Provider, () => Record<string, unknown>>) => (provider: Provider) =>
    actions[provider]();
const bce = (code: number, errorCode: string, message: string) => () => ({
  kind: 'status',
  status: code,
  body: { requestId: 'fault-request-0001', code: errorCode, message },
});

const notAnImage = '{"result":"ok","items":[],"total":0}';
const anotherImage: Record<Provider, string> = {
  modelarts: JSON.stringify({
    id: SEEDED.modelarts.builtIn,
    name: 'pytorch1.8-cuda10.2-cudnn7-ubuntu18.04',
    status: 'ACTIVE',
    type: 'DEDICATED',
    create_at: 1638234504492,
    update_at: 1638234504492,
  }),
  bcc: JSON.stringify({
    image: {
      id: SEEDED.bcc.system,
      name: 'someone-elses-image',
      type: 'Custom',
      status: 'Available',
      createTime: '2015-06-17T10:37:02Z',
    },
  }),
};

const FAULTS: Record<FaultId, FaultSpec> = {
  '429 without Retry-After': {
    providers: BOTH,
    phases: ALL_PHASES,
    attempts: 'retried',
    action: status(429),
  },
  '429 with Retry-After beyond the time left': {
    providers: BOTH,
    phases: ALL_PHASES,
    attempts: 'once',
    remainingMs: 2_000,
    action: status(429, { 'Retry-After': '5' }),
  },
  'APIG.0308': {
    providers: MODELARTS,
    phases: ALL_PHASES,
    attempts: 'retried',
    action: huawei(429, 'APIG.0308', 'The throttling threshold has been reached.'),
  },
  'APIGW.0308': {
    providers: MODELARTS,
    phases: ALL_PHASES,
    attempts: 'retried',
    action: huawei(
      429,
      'APIGW.0308',
      'The throttling threshold has been reached: policy ip over ratelimit,limit:5,time:1 minute',
    ),
  },
  'ModelArts.6101': {
    providers: MODELARTS,
    phases: ALL_PHASES,
    attempts: 'retried',
    action: huawei(429, 'ModelArts.6101', 'The system is busy now. Please try again later.'),
  },
  'HTTP 500': { providers: BOTH, phases: ALL_PHASES, attempts: 'retried', action: status(500) },
  'HTTP 502': { providers: BOTH, phases: ALL_PHASES, attempts: 'retried', action: status(502) },
  'HTTP 503': { providers: BOTH, phases: ALL_PHASES, attempts: 'retried', action: status(503) },
  'HTTP 504': { providers: BOTH, phases: ALL_PHASES, attempts: 'retried', action: status(504) },
  'connection reset': {
    providers: BOTH,
    phases: ALL_PHASES,
    attempts: 'retried',
    action: () => ({ kind: 'reset' }),
  },
  // Every request of the function goes to the closed port, so only the first call can meet it.
  'connection refused': {
    providers: BOTH,
    phases: ['show', 'delete:look'],
    attempts: 'retried',
    via: 'refused',
  },
  'stall past the time left': {
    providers: BOTH,
    phases: ALL_PHASES,
    attempts: 'once',
    remainingMs: 1_200,
    action: () => ({ kind: 'stall' }),
  },
  'truncated body': {
    providers: BOTH,
    phases: ALL_PHASES,
    attempts: 'retried',
    action: () => ({ kind: 'truncated' }),
  },
  'invalid JSON': {
    providers: BOTH,
    phases: ALL_PHASES,
    attempts: 'once',
    action: () => ({ kind: 'malformed', body: '<html><body>502 Bad Gateway</body></html>' }),
  },
  'well-formed, not an image': {
    providers: BOTH,
    phases: ALL_PHASES,
    attempts: 'once',
    action: () => ({ kind: 'malformed', body: notAnImage }),
  },
  'another image than asked for': {
    providers: BOTH,
    phases: ALL_PHASES,
    attempts: 'once',
    action: (provider) => ({ kind: 'malformed', body: anotherImage[provider] }),
  },
  'signature expired': {
    providers: BOTH,
    phases: ALL_PHASES,
    attempts: 'auth',
    action: byProvider({
      modelarts: huawei(
        401,
        'APIGW.0301',
        'Incorrect IAM authentication information: calc aksk signature fail:signature expired, signature time:20211217T064303Z,server time:20211217T065804Z',
      ),
      bcc: bce(
        400,
        'RequestExpired',
        'Request has expired. Timestamp date is 2015-04-27T08:23:49Z.',
      ),
    }),
  },
  // At the look, the emulator really rejects a signature made with the wrong secret key; at the
  // DELETE (after a good look), the provider's rejection reply is injected.
  'signature rejected': {
    providers: BOTH,
    phases: ALL_PHASES,
    attempts: 'auth',
    via: 'wrong-key',
    action: byProvider({
      modelarts: huawei(
        401,
        'APIGW.0301',
        'Incorrect IAM authentication information: verify aksk signature fail',
      ),
      bcc: bce(
        400,
        'SignatureDoesNotMatch',
        'The request signature we calculated does not match the signature you provided.',
      ),
    }),
  },
  // The emulator's clock 40 minutes ahead: Huawei's 15-minute window and BCE's 1,800 s expiry
  // both reject a freshly made signature, as real gateways do with a skewed clock.
  'signature expired (real clock skew)': {
    providers: BOTH,
    phases: ['show', 'delete:look'],
    attempts: 'auth',
    via: 'skewed-clock',
  },
  'DELETE done, reply lost': {
    providers: BOTH,
    phases: ['delete:delete'],
    attempts: 'reply-lost',
    times: 1,
    action: () => ({ kind: 'reset', afterHandling: true }),
  },
};

// ---------------------------------------------------------------------------------------------
// The expected outcomes, written out: HTTP `status CODE` (or `200 outcome`), task `throws Name` /
// `returns outcome`, SQS `batchItemFailure Name` / `success outcome`.

interface Outcomes {
  http: string;
  task: string;
  queue: string;
}

const THROTTLED: Outcomes = {
  http: '503 UPSTREAM_THROTTLED',
  task: 'throws UpstreamThrottled',
  queue: 'batchItemFailure UpstreamThrottled',
};
const UNAVAILABLE: Outcomes = {
  http: '502 UPSTREAM_UNAVAILABLE',
  task: 'throws UpstreamUnavailable',
  queue: 'batchItemFailure UpstreamUnavailable',
};
const TIMEOUT: Outcomes = {
  http: '504 UPSTREAM_TIMEOUT',
  task: 'throws UpstreamTimeout',
  queue: 'batchItemFailure UpstreamTimeout',
};
const BAD_RESPONSE: Outcomes = {
  http: '502 UPSTREAM_BAD_RESPONSE',
  task: 'throws UpstreamBadResponse',
  queue: 'batchItemFailure UpstreamBadResponse',
};
const AUTH_FAILED: Outcomes = {
  http: '502 UPSTREAM_AUTH_FAILED',
  task: 'throws UpstreamAuthFailed',
  queue: 'batchItemFailure UpstreamAuthFailed',
};
/** The delete went through: a 200 whose reply we could not read still deleted the image. */
const DELETED: Outcomes = {
  http: '200 deleted',
  task: 'returns deleted',
  queue: 'success deleted',
};

const EXPECTED: Record<FaultId, Partial<Record<Phase, Outcomes>>> = {
  '429 without Retry-After': {
    show: THROTTLED,
    'delete:look': THROTTLED,
    'delete:delete': THROTTLED,
  },
  '429 with Retry-After beyond the time left': {
    show: THROTTLED,
    'delete:look': THROTTLED,
    'delete:delete': THROTTLED,
  },
  'APIG.0308': { show: THROTTLED, 'delete:look': THROTTLED, 'delete:delete': THROTTLED },
  'APIGW.0308': { show: THROTTLED, 'delete:look': THROTTLED, 'delete:delete': THROTTLED },
  'ModelArts.6101': { show: THROTTLED, 'delete:look': THROTTLED, 'delete:delete': THROTTLED },
  'HTTP 500': { show: UNAVAILABLE, 'delete:look': UNAVAILABLE, 'delete:delete': UNAVAILABLE },
  'HTTP 502': { show: UNAVAILABLE, 'delete:look': UNAVAILABLE, 'delete:delete': UNAVAILABLE },
  'HTTP 503': { show: UNAVAILABLE, 'delete:look': UNAVAILABLE, 'delete:delete': UNAVAILABLE },
  'HTTP 504': { show: UNAVAILABLE, 'delete:look': UNAVAILABLE, 'delete:delete': UNAVAILABLE },
  'connection reset': {
    show: UNAVAILABLE,
    'delete:look': UNAVAILABLE,
    'delete:delete': UNAVAILABLE,
  },
  'connection refused': { show: UNAVAILABLE, 'delete:look': UNAVAILABLE },
  'stall past the time left': { show: TIMEOUT, 'delete:look': TIMEOUT, 'delete:delete': TIMEOUT },
  'truncated body': {
    show: UNAVAILABLE,
    'delete:look': UNAVAILABLE,
    'delete:delete': UNAVAILABLE,
  },
  'invalid JSON': { show: BAD_RESPONSE, 'delete:look': BAD_RESPONSE, 'delete:delete': DELETED },
  'well-formed, not an image': {
    show: BAD_RESPONSE,
    'delete:look': BAD_RESPONSE,
    'delete:delete': DELETED,
  },
  'another image than asked for': {
    show: BAD_RESPONSE,
    'delete:look': BAD_RESPONSE,
    'delete:delete': DELETED,
  },
  'signature expired': {
    show: AUTH_FAILED,
    'delete:look': AUTH_FAILED,
    'delete:delete': AUTH_FAILED,
  },
  'signature rejected': {
    show: AUTH_FAILED,
    'delete:look': AUTH_FAILED,
    'delete:delete': AUTH_FAILED,
  },
  'signature expired (real clock skew)': { show: AUTH_FAILED, 'delete:look': AUTH_FAILED },
  // Our own retry of a DELETE whose reply was lost finds the image gone: that is our delete.
  // A task makes one attempt, so it reports the lost reply and the workflow's Retry repeats it.
  'DELETE done, reply lost': {
    'delete:delete': {
      http: '200 deleted',
      task: 'throws UpstreamUnavailable',
      queue: 'success deleted',
    },
  },
};

/** The policy's attempt count at the faulty call, per trigger (HTTP and SQS retry in-Lambda; tasks do not). */
const attemptsAt = (rule: AttemptRule, trigger: Trigger): number => {
  const retries = trigger === 'task' ? 1 : 3;
  switch (rule) {
    case 'retried':
      return retries;
    case 'once':
      return 1;
    case 'auth':
      return 2;
    case 'reply-lost':
      return trigger === 'task' ? 1 : 2;
  }
};

// ---------------------------------------------------------------------------------------------
// The cases

interface Case {
  trigger: Trigger;
  provider: Provider;
  phase: Phase;
  fault: FaultId;
  expected: string;
  /** Expected requests at the emulator (or connection attempts, for refused). */
  attempts: { GET: number; DELETE: number };
  remainingMs: number;
}

const TRIGGERS: readonly Trigger[] = ['http', 'task', 'queue'];

const buildCases = (available: ReadonlySet<Trigger>): Case[] => {
  const cases: Case[] = [];
  for (const trigger of TRIGGERS) {
    if (!available.has(trigger)) continue;
    for (const provider of BOTH) {
      for (const phase of ALL_PHASES) {
        // The queue carries deletes only.
        if (trigger === 'queue' && phase === 'show') continue;
        for (const [fault, spec] of Object.entries(FAULTS) as Array<[FaultId, FaultSpec]>) {
          if (!spec.providers.includes(provider) || !spec.phases.includes(phase)) continue;
          const outcomes = EXPECTED[fault][phase];
          if (outcomes === undefined)
            throw new Error(`no expected outcome for ${fault} at ${phase}`);
          const n = attemptsAt(spec.attempts, trigger);
          cases.push({
            trigger,
            provider,
            phase,
            fault,
            expected: outcomes[trigger],
            attempts: phase === 'delete:delete' ? { GET: 1, DELETE: n } : { GET: n, DELETE: 0 },
            remainingMs: spec.remainingMs ?? 29_500,
          });
        }
      }
    }
  }
  return cases;
};

// ---------------------------------------------------------------------------------------------
// Running them

const IMAGE: Record<Provider, string> = {
  modelarts: SEEDED.modelarts.custom,
  bcc: SEEDED.bcc.custom,
};

const fixture = useFixture();
let functions: LoadedFunctions;
let refusing: LoadedFunctions;
let skewedEmulator: RunningEmulator;
let skewed: LoadedFunctions;
let refusedPort: number;
const agents: Agent[] = [];
const unhandled = watchUnhandled();
const report: Array<Case & { observed: string; observedAttempts: string; passed: boolean }> = [];

const baseEnv = (endpoint: string) => ({
  ...emulatorEnvironment(endpoint),
  HUAWEICLOUD_SDK_SECURITY_TOKEN: undefined,
  BCE_SESSION_TOKEN: undefined,
  PROTECTED_IMAGE_IDS: undefined,
  PROTECTED_IMAGE_NAME_PATTERNS: undefined,
  LOG_LEVEL: 'info',
  UPSTREAM_MAX_ATTEMPTS: undefined,
  UPSTREAM_ATTEMPT_TIMEOUT_MS: undefined,
  UPSTREAM_RETRY_BASE_MS: '5',
  UPSTREAM_THROTTLE_BASE_MS: '5',
});

const SECRET_KEY_VARIABLE: Record<Provider, string> = {
  modelarts: 'HUAWEICLOUD_SDK_SK',
  bcc: 'BCE_SECRET_ACCESS_KEY',
};

beforeAll(async () => {
  refusedPort = await closedPort();
  // A second emulator whose clock is 40 minutes ahead: real signature expiry.
  skewedEmulator = await startEmulator({ now: () => new Date(Date.now() + 40 * 60_000) });
  refusing = await loadFunctions(fixture, baseEnv(`http://127.0.0.1:${refusedPort}`));
  skewed = await loadFunctions(fixture, baseEnv(skewedEmulator.url));
  functions = await loadFunctions(fixture, baseEnv(fixture.url));
  for (const loaded of [functions, refusing, skewed]) agents.push(loaded.agent());
});

afterAll(async () => {
  unhandled.stop();
  // Closed already by the last test when it runs; closing again is harmless.
  await skewedEmulator?.close();
  if (process.env.FAULT_MATRIX_DOC === '1') writeDoc();
});

interface Observation {
  outcome: string;
  /** For successful deletes and shows: the image id the answer describes. */
  imageId?: string | undefined;
  retryAfter?: string | undefined;
}

const logOf = (messageId: string): Record<string, unknown> | undefined =>
  fixture.log.linesWhere({ messageId })[0];

const invoke = async (
  loaded: LoadedFunctions,
  trigger: Trigger,
  provider: Provider,
  operation: 'show' | 'delete',
  remainingMs: number,
): Promise<Observation> => {
  const imageId = IMAGE[provider];
  const context = lambdaContext(remainingMs);
  if (trigger === 'http') {
    const handler = loaded.http[operation];
    const result = await handler(
      httpEvent(operation === 'show' ? 'GET' : 'DELETE', provider, imageId),
      context,
    );
    const body = JSON.parse(result.body ?? '{}') as {
      error?: { code?: string };
      outcome?: string;
      image?: { id?: string };
    };
    const what = body.error?.code ?? body.outcome ?? (body.image ? 'shown' : 'unknown');
    return {
      outcome: `${result.statusCode} ${what}`,
      imageId: body.image?.id,
      retryAfter: result.headers?.['retry-after'] as string | undefined,
    };
  }
  if (trigger === 'task') {
    const task = loaded.task;
    try {
      const result = (await task[operation]({ provider, imageId }, context)) as {
        outcome?: string;
        image?: { id?: string };
      };
      return {
        outcome: `returns ${result.outcome ?? (result.image ? 'shown' : 'unknown')}`,
        imageId: result.image?.id,
      };
    } catch (error) {
      return { outcome: `throws ${(error as Error).name}` };
    }
  }
  const record = sqsRecord(randomUUID(), JSON.stringify({ provider, imageId }));
  const response = await loaded.queue.delete(sqsEvent([record]), context);
  const failed = response.batchItemFailures.map((failure) => failure.itemIdentifier);
  const entry = logOf(record.messageId);
  if (failed.length > 0) {
    expect(failed).toEqual([record.messageId]);
    return { outcome: `batchItemFailure ${String(entry?.error)}` };
  }
  return { outcome: `success ${String(entry?.outcome)}` };
};

const runCase = async (c: Case): Promise<void> => {
  const spec = FAULTS[c.fault];
  skewedEmulator.reset();
  // The fault hits the look (the show a delete starts with) or the delete itself; the usage scan
  // between them (a list GET) is not the target here (test/http/inventory tests it).
  const target = c.phase === 'delete:delete' ? 'delete' : 'show';
  const upstream = spec.via === 'skewed-clock' ? skewedEmulator : fixture.emulator;
  let loaded = functions;
  const connects = watchConnects(refusedPort);

  if (spec.via === 'refused') {
    loaded = refusing;
  } else if (spec.via === 'skewed-clock') {
    loaded = skewed;
  } else if (spec.via === 'wrong-key' && c.phase !== 'delete:delete') {
    // Read on each call; the fixture puts the right one back after the test.
    fixture.setEnv({ [SECRET_KEY_VARIABLE[c.provider]]: 'canary-wrong-secret-key-0000000000' });
  } else if (spec.action !== undefined) {
    fixture.emulator.faults.inject({
      match: { provider: c.provider, operation: target },
      times: spec.times ?? 10,
      action: spec.action(c.provider),
    } as Parameters<RunningEmulator['faults']['inject']>[0]);
  }

  const operation = c.phase === 'show' ? 'show' : 'delete';
  let observation: Observation;
  try {
    observation = await invoke(loaded, c.trigger, c.provider, operation, c.remainingMs);
  } finally {
    connects.stop();
  }

  const counted =
    spec.via === 'refused'
      ? { GET: connects.count(), DELETE: 0 }
      : {
          GET: upstream.requests.filter((request) => request.operation === 'show').length,
          DELETE: upstream.requests.filter((request) => request.operation === 'delete').length,
        };
  const sockets = await settleSockets(agents);
  const passed =
    observation.outcome === c.expected &&
    counted.GET === c.attempts.GET &&
    counted.DELETE === c.attempts.DELETE &&
    sockets.settled &&
    unhandled.seen.length === 0;
  report.push({
    ...c,
    observed: observation.outcome,
    observedAttempts: `GET ${counted.GET} / DELETE ${counted.DELETE}`,
    passed,
  });

  expect(observation.outcome).toBe(c.expected);
  if (spec.via === 'refused') expect(fixture.emulator.requests).toHaveLength(0);
  // No wall-clock bound here: a stalled upstream never answers, so the outcome itself (an
  // UpstreamTimeout or DeadlineReached answer, after exactly the attempts counted) shows the
  // deadline ended the call; a handler ignoring it would hang until the test's own timeout.
  expect(counted).toEqual(c.attempts);
  if (observation.imageId !== undefined) expect(observation.imageId).toBe(IMAGE[c.provider]);
  if (c.trigger === 'http' && c.expected.startsWith('503')) {
    expect(Number(observation.retryAfter)).toBeGreaterThanOrEqual(
      c.fault === '429 with Retry-After beyond the time left' ? 5 : 1,
    );
  }
  expect(unhandled.seen).toEqual([]);
  expect(sockets, 'a request in flight or a socket beyond the kept-alive pool').toMatchObject({
    settled: true,
  });
};

const available = new Set<Trigger>(TRIGGERS);
const cases = buildCases(available);

describe('fault matrix', () => {
  it.each(
    cases.map((c) => [`${c.trigger} ${c.provider} ${c.phase} — ${c.fault} → ${c.expected}`, c]),
  )('%s', async (_name, c) => {
    await runCase(c);
  });

  it('covers every provider, operation, trigger and fault', () => {
    expect(new Set(report.map((r) => r.trigger))).toEqual(available);
    expect(new Set(report.map((r) => r.fault)).size).toBe(Object.keys(FAULTS).length);
    expect(report.filter((r) => !r.passed)).toEqual([]);
  });

  it('leaves no socket open once the agents are closed', async () => {
    for (const agent of agents) await agent.close();
    await fixture.emulator.close();
    await skewedEmulator.close();
    const until = Date.now() + 2_000;
    while (openTcpSockets() > 0 && Date.now() < until) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(openTcpSockets()).toBe(0);
  });
});

// ---------------------------------------------------------------------------------------------
// docs/fault-matrix.md

const writeDoc = (): void => {
  const byKey = (r: (typeof report)[number]) =>
    `${TRIGGERS.indexOf(r.trigger)}${BOTH.indexOf(r.provider)}${ALL_PHASES.indexOf(r.phase)}${String(
      Object.keys(FAULTS).indexOf(r.fault),
    ).padStart(2, '0')}`;
  const rows = [...report].sort((a, b) => byKey(a).localeCompare(byKey(b)));
  const passed = rows.filter((r) => r.passed).length;
  const lines = [
    '# Fault matrix',
    '',
    'Generated by `FAULT_MATRIX_DOC=1 vitest run test/reliability/fault-matrix.test.ts` from the',
    "test's own data: every provider × operation × trigger × upstream fault, through the real",
    'handlers against the emulator on loopback. "Look" is the show a delete makes first; "delete"',
    'is the DELETE itself. Attempts are requests the emulator received (connection attempts for a',
    "refused connection); every case also returned before the Lambda's remaining time ran out",
    '(1.2 s for stalls, 2 s for Retry-After, 29.5 s otherwise), left no unhandled rejection and no',
    "socket beyond the agent's kept-alive pool.",
    '',
    'Policy: 3 attempts for transient faults and throttling over HTTP and SQS, 1 per task invocation',
    "(the state machine's Retry is that path's retry layer), exactly 2 for a rejected signature",
    '(one re-signed retry with freshly read credentials).',
    '',
    `**${rows.length} cases, ${passed} passed.**`,
    '',
    '| trigger | provider | call | fault | expected | observed | attempts (expected) | attempts (observed) |',
    '|---|---|---|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.trigger} | ${r.provider} | ${r.phase} | ${r.fault} | ${r.expected} | ${r.observed} | GET ${r.attempts.GET} / DELETE ${r.attempts.DELETE} | ${r.observedAttempts} |`,
    ),
    '',
  ];
  writeFileSync(
    fileURLToPath(new URL('../../docs/fault-matrix.md', import.meta.url)),
    lines.join('\n'),
  );
};
