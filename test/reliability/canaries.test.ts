// Secret canaries: every handler (HTTP, task, SQS) runs with distinctive credential values through
// its success path and every failure path, and everything that leaves it is scanned for them: log
// lines (the log sink), console and stdout/stderr writes, HTTP responses (body and headers),
// thrown errors (name, message, stack, every cause, own properties, JSON.stringify, util.inspect)
// and batch responses. The values scanned for: access keys, secret keys, security/session tokens,
// and every signature (and BCE signing key) computed for the requests the emulator received.
//
// The emulator accepts only the DEMO keys, so success paths use those as the canaries (with
// canary tokens); failure paths also run with non-demo canary keys (faults before the signature
// check reach them too).

import { randomUUID } from 'node:crypto';
import { inspect } from 'node:util';
import type { Context } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_BCC, DEMO_MODELARTS, SEEDED } from '../../emulator/demo.js';
import type { RunningEmulator } from '../../emulator/server.js';
import { bceSigningKey } from '../../lib/signing/bce-auth-v1.js';
import { httpEvent, lambdaContext } from '../../scripts/lambda-events.js';
import { startLatencyProxy } from '../../scripts/latency-proxy.js';
import { emulatorEnvironment } from '../../scripts/local-environment.js';
import { sqsEvent, sqsRecord } from '../support/events.js';
import { useFixture } from '../support/fixture.js';
import {
  closedPort,
  type LoadedFunctions,
  loadFunctions,
  watchUnhandled,
} from './support/harness.js';

type Provider = 'modelarts' | 'bcc';
type Fault = Parameters<RunningEmulator['faults']['inject']>[0];

interface CredentialSet {
  label: string;
  modelarts: { ak: string; sk: string; token: string };
  bcc: { ak: string; sk: string; token: string };
}

/** The emulator accepts these keys; the tokens are canaries of their own. */
const DEMO_CANARIES: CredentialSet = {
  label: 'demo keys, canary tokens',
  modelarts: {
    ak: DEMO_MODELARTS.accessKeyId,
    sk: DEMO_MODELARTS.secretAccessKey,
    token: 'CanaryMaSecurityToken7f3e9b1c2d4a5e6f708192a3b4c5d6e7',
  },
  bcc: {
    ak: DEMO_BCC.accessKeyId,
    sk: DEMO_BCC.secretAccessKey,
    token: 'CanaryBceSessionToken0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d',
  },
};

/** Keys the emulator has never heard of: every signature with them is rejected. */
const FOREIGN_CANARIES: CredentialSet = {
  label: 'canary keys',
  modelarts: {
    ak: 'CANARYMAAK7Q2W9E4R1T',
    sk: 'canary-ma-sk-5b8d1f3a7c9e2b4d6f8a0c1e3b5d7f9a',
    token: 'CanaryMaForeignToken3c5e7a9b1d2f4a6c8e0b1d3f5a7c9e1b',
  },
  bcc: {
    ak: 'canarybceak4d6f8a0c2e4b6d8f0a2c4e6',
    sk: 'canarybcesk9e7c5a3b1d9f7e5c3a1b9d',
    token: 'CanaryBceForeignToken6e4c2a0b8d6f4e2c0a8b6d4f2e0c8a6b',
  },
};

const credentialEnv = (set: CredentialSet): Record<string, string> => ({
  HUAWEICLOUD_SDK_AK: set.modelarts.ak,
  HUAWEICLOUD_SDK_SK: set.modelarts.sk,
  HUAWEICLOUD_SDK_SECURITY_TOKEN: set.modelarts.token,
  BCE_ACCESS_KEY_ID: set.bcc.ak,
  BCE_SECRET_ACCESS_KEY: set.bcc.sk,
  BCE_SESSION_TOKEN: set.bcc.token,
});

// ---------------------------------------------------------------------------------------------
// Scenarios: what the upstream does

interface Scenario {
  name: string;
  /** Only with keys the emulator accepts (the fault is applied after the signature check). */
  needsDemo?: boolean;
  image: (provider: Provider) => string;
  faults?: (provider: Provider) => Fault[];
  remainingMs?: number;
  /** Only these handlers (the slow scenarios); default all. */
  handlers?: readonly Handler[];
  /** The functions pointed at a closed port. */
  refused?: boolean;
  dryRun?: boolean;
}

const custom = (provider: Provider) =>
  provider === 'modelarts' ? SEEDED.modelarts.custom : SEEDED.bcc.custom;
const beforeAuth = (action: Fault['action'], times = 10): Fault => ({
  beforeAuth: true,
  times,
  action,
});

/** An upstream that quotes our credentials back in an error message it documents. */
const echoing = (set: CredentialSet, provider: Provider): Fault => {
  const c = set[provider];
  const leak = `request from ${c.ak} with token ${c.token} (key ${c.sk})`;
  return {
    times: 10,
    match: { method: 'DELETE' },
    action: {
      kind: 'status',
      status: provider === 'modelarts' ? 400 : 409,
      body:
        provider === 'modelarts'
          ? { error_code: 'ModelArts.6357', error_msg: `Operation not allowed: ${leak}` }
          : { requestId: 'r-1', code: 'Image.ImageHasBeenSharedToOthers', message: leak },
    },
  };
};

const SCENARIOS: Scenario[] = [
  { name: 'success', needsDemo: true, image: custom },
  { name: 'success, dry run', needsDemo: true, image: custom, dryRun: true },
  {
    name: 'upstream quotes our credentials in an error it documents',
    needsDemo: true,
    image: custom,
    faults: (p) => [echoing(DEMO_CANARIES, p)],
  },
  {
    name: 'ImageProtected (system image)',
    needsDemo: true,
    image: (p) => (p === 'modelarts' ? SEEDED.modelarts.builtIn : SEEDED.bcc.system),
  },
  {
    name: 'ImageBusy (being created)',
    needsDemo: true,
    image: (p) => (p === 'modelarts' ? SEEDED.modelarts.creating : SEEDED.bcc.creating),
  },
  {
    name: 'ImageNotFound',
    needsDemo: true,
    image: (p) => (p === 'modelarts' ? '0b7e2f1e-0000-4000-8000-00000000dead' : 'm-missing01'),
  },
  { name: 'signature rejected (real check)', image: custom },
  { name: 'InvalidRequest', image: () => '../../etc/passwd' },
  {
    name: 'throttled',
    image: custom,
    faults: () => [beforeAuth({ kind: 'status', status: 429, headers: { 'Retry-After': '0' } })],
  },
  { name: 'HTTP 503', image: custom, faults: () => [beforeAuth({ kind: 'status', status: 503 })] },
  { name: 'reset', image: custom, faults: () => [beforeAuth({ kind: 'reset' })] },
  { name: 'refused', image: custom, refused: true },
  {
    name: 'stall (timeout)',
    image: custom,
    remainingMs: 800,
    handlers: ['http delete', 'task show', 'queue delete'],
    faults: () => [beforeAuth({ kind: 'stall' })],
  },
  {
    name: 'truncated',
    needsDemo: true,
    image: custom,
    faults: () => [{ times: 10, action: { kind: 'truncated' } }],
  },
  {
    name: 'invalid JSON',
    image: custom,
    faults: () => [beforeAuth({ kind: 'malformed', body: '{"id": "x", ' })],
  },
  {
    name: 'not an image',
    image: custom,
    faults: () => [beforeAuth({ kind: 'malformed', body: '{"error":"nope"}' })],
  },
  {
    name: 'expired signature reply',
    image: custom,
    faults: (p) => [
      beforeAuth(
        p === 'modelarts'
          ? {
              kind: 'status',
              status: 401,
              body: {
                error_code: 'APIGW.0301',
                error_msg:
                  'Incorrect IAM authentication information: calc aksk signature fail:signature expired, signature time:20211217T064303Z,server time:20211217T065804Z',
              },
            }
          : {
              kind: 'status',
              status: 400,
              body: { requestId: 'r', code: 'RequestExpired', message: 'Request has expired.' },
            },
      ),
    ],
  },
];

// ---------------------------------------------------------------------------------------------
// Capture

const artefacts: string[] = [];
const capture = (text: unknown): void => {
  artefacts.push(typeof text === 'string' ? text : inspect(text, { depth: 10 }));
};

/** Everything an error carries, as text: each of these is one artefact. */
const errorArtefacts = (error: unknown): string[] => {
  const out: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current !== undefined && current !== null && depth < 10; depth += 1) {
    if (current instanceof Error) {
      out.push(current.name, current.message, current.stack ?? '', String(current));
      out.push(JSON.stringify(current, Object.getOwnPropertyNames(current)));
      out.push(JSON.stringify(current));
      out.push(inspect(current, { depth: 10, showHidden: true }));
      current = current.cause;
    } else {
      out.push(inspect(current, { depth: 10 }));
      current = undefined;
    }
  }
  return out;
};

let restoreStreams: (() => void) | undefined;
const interceptOutput = (): (() => void) => {
  const stdout = process.stdout.write.bind(process.stdout);
  const stderr = process.stderr.write.bind(process.stderr);
  const methods = ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const;
  const originals = methods.map((name) => console[name]);
  process.stdout.write = ((chunk: unknown) => {
    capture(String(chunk));
    return true;
  }) as typeof process.stdout.write;
  process.stderr.write = ((chunk: unknown) => {
    capture(String(chunk));
    return true;
  }) as typeof process.stderr.write;
  for (const name of methods) {
    console[name] = (...args: unknown[]) => {
      for (const arg of args) capture(arg);
    };
  }
  return () => {
    process.stdout.write = stdout;
    process.stderr.write = stderr;
    methods.forEach((name, index) => {
      const original = originals[index];
      if (original !== undefined) console[name] = original;
    });
  };
};

// ---------------------------------------------------------------------------------------------
// Running

const fixture = useFixture();
let functions: LoadedFunctions;
let refusing: LoadedFunctions;
const unhandled = watchUnhandled();
/** Signatures and derived keys the emulator saw, gathered across the whole suite. */
const computed = new Set<string>();
let runs = 0;

const baseEnv = (endpoint: string) => ({
  ...emulatorEnvironment(endpoint),
  // Everything a request does is logged at debug, where secrets would be likeliest to slip in.
  LOG_LEVEL: 'debug',
  UPSTREAM_RETRY_BASE_MS: '1',
  UPSTREAM_THROTTLE_BASE_MS: '1',
  ...credentialEnv(DEMO_CANARIES),
});

beforeAll(async () => {
  refusing = await loadFunctions(fixture, baseEnv(`http://127.0.0.1:${await closedPort()}`));
  functions = await loadFunctions(fixture, baseEnv(fixture.url));
  restoreStreams = interceptOutput();
});

// Every log line of both module graphs is an artefact.
afterEach(() => {
  for (const line of fixture.log.raw) capture(line);
});

afterAll(async () => {
  restoreStreams?.();
  unhandled.stop();
  await functions.agent().close();
  await refusing.agent().close();
});

/** Signatures (and the BCE signing keys behind them) of every request the emulator received. */
const collectSignatures = (set: CredentialSet): void => {
  for (const request of fixture.emulator.requests) {
    const authorization = request.headers.authorization ?? '';
    const huawei = /Signature=([0-9a-f]{16,})/.exec(authorization);
    if (huawei?.[1] !== undefined) computed.add(huawei[1]);
    if (authorization.startsWith('bce-auth-v1/')) {
      const parts = authorization.split('/');
      const signature = parts.at(-1);
      if (signature !== undefined && signature.length >= 16) computed.add(signature);
      computed.add(bceSigningKey(set.bcc.sk, parts.slice(0, 4).join('/')));
    }
  }
};

type Handler = 'http show' | 'http delete' | 'task show' | 'task delete' | 'queue delete';
const HANDLERS: Handler[] = [
  'http show',
  'http delete',
  'task show',
  'task delete',
  'queue delete',
];

const invoke = async (
  loaded: LoadedFunctions,
  handler: Handler,
  provider: Provider,
  imageId: string,
  scenario: Scenario,
): Promise<void> => {
  const context: Context = lambdaContext(scenario.remainingMs ?? 29_500);
  const input = { provider, imageId, ...(scenario.dryRun ? { dryRun: true } : {}) };
  try {
    if (handler === 'http show' || handler === 'http delete') {
      const operation = handler === 'http show' ? 'show' : 'delete';
      const result = await loaded.http[operation](
        httpEvent(
          operation === 'show' ? 'GET' : 'DELETE',
          provider,
          imageId,
          scenario.dryRun && operation === 'delete' ? { dryRun: 'true' } : {},
        ),
        context,
      );
      capture(JSON.stringify(result));
    } else if (handler === 'task show' || handler === 'task delete') {
      const task = loaded.task;
      const result =
        handler === 'task show'
          ? await task.show({ provider, imageId }, context)
          : await task.delete(input, context);
      capture(JSON.stringify(result));
    } else {
      const result = await loaded.queue.delete(
        sqsEvent([
          sqsRecord(randomUUID(), JSON.stringify(input)),
          sqsRecord(randomUUID(), '{"provider":'),
        ]),
        context,
      );
      capture(JSON.stringify(result));
    }
  } catch (error) {
    for (const text of errorArtefacts(error)) capture(text);
  }
  runs += 1;
};

const secretsOf = (set: CredentialSet): string[] => [
  set.modelarts.ak,
  set.modelarts.sk,
  set.modelarts.token,
  set.bcc.ak,
  set.bcc.sk,
  set.bcc.token,
];

describe('secret canaries', () => {
  const sets = [DEMO_CANARIES, FOREIGN_CANARIES];
  const cases = sets.flatMap((set) =>
    SCENARIOS.filter((scenario) => !scenario.needsDemo || set === DEMO_CANARIES)
      // The real signature check rejects only foreign keys.
      .filter(
        (scenario) => scenario.name !== 'signature rejected (real check)' || set !== DEMO_CANARIES,
      )
      .map((scenario) => [`${set.label}: ${scenario.name}`, set, scenario] as const),
  );

  it.each(cases)('%s', async (_name, set, scenario) => {
    // The credentials are read from the environment on each call (until the end of this test).
    fixture.setEnv(credentialEnv(set));
    for (const provider of ['modelarts', 'bcc'] as const) {
      for (const handler of HANDLERS.filter((h) => scenario.handlers?.includes(h) ?? true)) {
        fixture.emulator.reset();
        for (const fault of scenario.faults?.(provider) ?? []) {
          fixture.emulator.faults.inject({ ...fault, match: { provider, ...fault.match } });
        }
        await invoke(
          scenario.refused ? refusing : functions,
          handler,
          provider,
          scenario.image(provider),
          scenario,
        );
        collectSignatures(set);
      }
    }
    expect(unhandled.seen).toEqual([]);
  });

  it('an upstream that quotes our Authorization header back in a delete refusal it documents: no signature goes on', async () => {
    // Prepare: a loopback proxy in front of the emulator that answers each DELETE itself, with the
    // refusal each cloud documents for an image in use (quoted into our message), quoting the
    // request's own Authorization header back; everything else reaches the emulator.
    const echoed = new Set<string>();
    const proxy = await startLatencyProxy(fixture.url, 0, (incoming) => {
      if (incoming.method !== 'DELETE') return undefined;
      const authorization = incoming.headers.authorization ?? '';
      const signature =
        /Signature=([0-9a-f]+)/.exec(authorization)?.[1] ?? authorization.split('/').at(-1);
      if (signature !== undefined) echoed.add(signature);
      const modelarts = !authorization.startsWith('bce-auth-v1/');
      const text = `request signed ${authorization} refused`;
      return {
        status: 409,
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(
          modelarts
            ? { error_code: 'ModelArts.6357', error_msg: text }
            : { requestId: 'r-1', code: 'Image.ImageHasBeenSharedToOthers', message: text },
        ),
      };
    });
    const echoing = await loadFunctions(fixture, baseEnv(proxy.endpoint));
    const seen: string[] = [];
    const before = artefacts.length;
    try {
      // Act: each delete handler, for both clouds.
      for (const provider of ['modelarts', 'bcc'] as const) {
        for (const handler of ['http delete', 'task delete', 'queue delete'] as const) {
          fixture.emulator.reset();
          await invoke(echoing, handler, provider, custom(provider), {
            name: 'echo',
            image: custom,
          });
        }
      }
      for (const line of fixture.log.raw) capture(line);
      seen.push(...artefacts.slice(before));
    } finally {
      await echoing.agent().close();
      await proxy.close();
    }

    // Assess: the refusals were quoted (the message names the cloud's words), without the signature.
    expect(echoed.size).toBeGreaterThanOrEqual(2);
    expect(seen.join('\n')).toContain('refused');
    const leaked = [...echoed].filter((signature) => seen.some((text) => text.includes(signature)));
    expect(leaked).toEqual([]);
    for (const signature of echoed) computed.add(signature);
  });

  it('no artefact contains a key, token, signature or signing key', () => {
    const canaries = [...secretsOf(DEMO_CANARIES), ...secretsOf(FOREIGN_CANARIES), ...computed];
    // The suite did sign requests (so the signature scan means something).
    expect(computed.size).toBeGreaterThan(20);
    const found: Array<{ canary: string; artefact: string }> = [];
    for (const artefact of artefacts) {
      for (const canary of canaries) {
        if (artefact.includes(canary)) found.push({ canary, artefact: artefact.slice(0, 400) });
      }
    }
    restoreStreams?.();
    restoreStreams = undefined;
    console.info(
      `[canaries] ${runs} handler runs, ${artefacts.length} artefacts scanned for ${canaries.length} canaries (${computed.size} signatures/signing keys): ${found.length} occurrences`,
    );
    expect(found).toEqual([]);
  });
});
