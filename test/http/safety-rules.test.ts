// The safety rules an adversarial run and a new user found broken, each through the real handlers
// against the emulator: what is not the cloud's own not-found never means "gone", operator
// protection compares IDs as the cloud does and matches names without backtracking, unknown kinds
// are kept, other 5xx are UpstreamUnavailable, a deleted image says so, log lines stay bounded,
// retries are visible at debug level, and endpoints never downgrade to clear text.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { DEMO_BCC, SEEDED } from '../../emulator/demo.js';
import { endpointOverride } from '../../lib/config/service-config.js';
import { ConfigurationError } from '../../lib/errors/errors.js';
import { errorResponse } from '../../lib/triggers/http.js';
import { httpEvent, lambdaContext, parseResult, routeEvent } from '../../scripts/lambda-events.js';
import { eventsPublishedLocally, sqsRecord } from '../support/events.js';
import { type EnvVars, useFixture } from '../support/fixture.js';
import { colleagueNotebook } from '../support/sample-notebook.js';

type Handler = (event: unknown, context: Context) => Promise<unknown>;

interface Functions {
  httpShow: Handler;
  httpDelete: Handler;
  taskDelete: Handler;
  queueDelete: Handler;
}

const fixture = useFixture();

/** The handlers loaded afresh with these variables (configuration is read once per process). */
const load = (env: EnvVars = {}): Promise<Functions> =>
  fixture.fresh(env, async () => ({
    httpShow: (await import('../../functions/http/show-image.js')).handler as unknown as Handler,
    httpDelete: (await import('../../functions/http/delete-image.js'))
      .handler as unknown as Handler,
    taskDelete: (await import('../../functions/task/delete-image.js'))
      .handler as unknown as Handler,
    queueDelete: (await import('../../functions/sqs/delete-image.js'))
      .handler as unknown as Handler,
  }));

const http = async (handler: Handler, ...args: Parameters<typeof httpEvent>) =>
  parseResult((await handler(httpEvent(...args), lambdaContext())) as never);

const errorCode = (response: { body: Record<string, unknown> }) =>
  (response.body.error as { code?: string } | undefined)?.code;

const thrownBy = async (promise: Promise<unknown>): Promise<Error | undefined> =>
  promise.then(
    () => undefined,
    (error: unknown) => error as Error,
  );

const deletesSent = () =>
  fixture.emulator.requests.filter((request) => request.method === 'DELETE');

describe('only the cloud\u2019s own not-found means the image is gone', () => {
  const foreign404s = [
    ['an HTML page from a proxy', '<html><body><h1>404 Not Found</h1></body></html>'],
    [
      "the Huawei gateway's APIGW.0101 (API does not exist)",
      { error_code: 'APIGW.0101', error_msg: 'The API does not exist or has not been published' },
    ],
    ["BCC's InvalidVersion", { code: 'InvalidVersion', message: 'version', requestId: 'r-1' }],
  ] as const;

  it.each(foreign404s)(
    '%s: HTTP answers 502 UPSTREAM_BAD_RESPONSE, tasks throw it, the queue keeps the record',
    async (_what, body) => {
      // Prepare
      const functions = await load();
      const cases = [
        { provider: 'modelarts', imageId: SEEDED.modelarts.custom },
        { provider: 'bcc', imageId: SEEDED.bcc.custom },
      ];
      for (const { provider, imageId } of cases) {
        fixture.emulator.reset();
        fixture.emulator.faults.inject({
          match: { provider: provider as 'modelarts' | 'bcc', method: 'GET' },
          times: 100,
          action: { kind: 'status', status: 404, body },
        });

        // Act
        const shown = await http(functions.httpShow, 'GET', provider, imageId);
        const deleted = await http(functions.httpDelete, 'DELETE', provider, imageId);
        const task = await thrownBy(functions.taskDelete({ provider, imageId }, lambdaContext()));
        const queue = (await functions.queueDelete(
          { Records: [sqsRecord('m-1', JSON.stringify({ provider, imageId }))] } as SQSEvent,
          lambdaContext(),
        )) as SQSBatchResponse;

        // Assess: nobody is told the image is gone, and it is still there.
        expect([shown.status, errorCode(shown)]).toEqual([502, 'UPSTREAM_BAD_RESPONSE']);
        expect([deleted.status, errorCode(deleted)]).toEqual([502, 'UPSTREAM_BAD_RESPONSE']);
        expect(task?.name).toBe('UpstreamBadResponse');
        expect(queue.batchItemFailures).toEqual([{ itemIdentifier: 'm-1' }]);
        expect(deletesSent()).toEqual([]);
      }
    },
  );

  it('ModelArts.6309 ("the instance does not exist": a notebook) answering a delete is not the image gone', async () => {
    // Prepare
    const functions = await load();
    fixture.emulator.faults.inject({
      match: { provider: 'modelarts', method: 'DELETE' },
      times: 100,
      action: {
        kind: 'status',
        status: 400,
        body: { error_code: 'ModelArts.6309', error_msg: 'The instance does not exist.' },
      },
    });
    const input = { provider: 'modelarts', imageId: SEEDED.modelarts.custom };

    // Act
    const task = await thrownBy(functions.taskDelete(input, lambdaContext()));
    const deleted = await http(functions.httpDelete, 'DELETE', input.provider, input.imageId);

    // Assess: nobody is told the image is gone, and it is still there.
    expect(task?.name).toBe('UpstreamBadResponse');
    expect([deleted.status, errorCode(deleted)]).toEqual([502, 'UPSTREAM_BAD_RESPONSE']);
    expect(fixture.emulator.state.modelarts.has(SEEDED.modelarts.custom)).toBe(true);
  });

  it("the cloud's own not-found still is: ModelArts.6404, BCC NoSuchObject", async () => {
    const functions = await load();
    const modelarts = await http(
      functions.httpShow,
      'GET',
      'modelarts',
      '00000000-0000-4000-8000-000000000000',
    );
    const bcc = await http(functions.httpShow, 'GET', 'bcc', 'm-nosuchimage');
    expect([modelarts.status, errorCode(modelarts)]).toEqual([404, 'IMAGE_NOT_FOUND']);
    expect([bcc.status, errorCode(bcc)]).toEqual([404, 'IMAGE_NOT_FOUND']);
  });
});

describe("what a cloud's error reply says", () => {
  it('an error code or request id that is not shaped like one (a key echoed back, a line break) reaches no answer, line or event', async () => {
    // Prepare: BCC answers every call with a 400 whose code and request id carry its secret key.
    const store = await mkdtemp(join(tmpdir(), 'cif-error-fields-'));
    const functions = await load({ RETIREMENT_STORE_DIR: store });
    const echoed = `Bad secretAccessKey=${DEMO_BCC.secretAccessKey}\nInjected: line`;
    fixture.emulator.faults.inject({
      match: { provider: 'bcc' },
      times: 100,
      action: {
        kind: 'status',
        status: 400,
        body: { code: echoed, message: 'no', requestId: `r-1 ${DEMO_BCC.secretAccessKey}` },
      },
    });

    // Act
    const shown = await http(functions.httpShow, 'GET', 'bcc', SEEDED.bcc.custom);
    const deleted = await http(functions.httpDelete, 'DELETE', 'bcc', SEEDED.bcc.custom);
    const events = JSON.stringify(await eventsPublishedLocally(store));
    await rm(store, { recursive: true, force: true });

    // Assess
    expect([shown.status, errorCode(shown)]).toEqual([502, 'UPSTREAM_BAD_RESPONSE']);
    expect([deleted.status, errorCode(deleted)]).toEqual([502, 'UPSTREAM_BAD_RESPONSE']);
    expect(String((shown.body.error as { message: string }).message)).toBe(
      'BCC answered show with HTTP 400, which it does not document',
    );
    const everything = [JSON.stringify([shown, deleted]), ...fixture.log.raw, events].join('\n');
    expect(everything).not.toContain(DEMO_BCC.secretAccessKey);
    expect(everything).not.toContain('Injected');
    expect(events).toContain('Image Delete Failed');
  });
});

describe('a short error code that is not shaped like one', () => {
  it('a code within 64 characters but with a space or line break is not repeated either', async () => {
    // Prepare: short enough that only its characters, not its length, give it away.
    const functions = await load();
    fixture.emulator.faults.inject({
      match: { provider: 'bcc' },
      times: 100,
      action: {
        kind: 'status',
        status: 400,
        body: { code: 'Bad\nInjected: line', message: 'no', requestId: 'r-1' },
      },
    });

    // Act
    const shown = await http(functions.httpShow, 'GET', 'bcc', SEEDED.bcc.custom);

    // Assess
    expect([shown.status, errorCode(shown)]).toEqual([502, 'UPSTREAM_BAD_RESPONSE']);
    expect(String((shown.body.error as { message: string }).message)).toBe(
      'BCC answered show with HTTP 400, which it does not document',
    );
    expect([JSON.stringify(shown), ...fixture.log.raw].join('\n')).not.toContain('Injected');
  });
});

describe('operator protection', () => {
  it('compares ModelArts IDs case-insensitively, as the cloud does (UUIDs)', async () => {
    const functions = await load({ PROTECTED_IMAGE_IDS: SEEDED.modelarts.custom.toUpperCase() });
    const response = await http(
      functions.httpDelete,
      'DELETE',
      'modelarts',
      SEEDED.modelarts.custom,
    );
    expect([response.status, errorCode(response)]).toEqual([403, 'IMAGE_PROTECTED']);
    expect(deletesSent()).toEqual([]);
  });

  it('matches name globs with * across any character (newlines too), without backtracking', async () => {
    const name = `nightly\n${'-'.repeat(300)}`;
    fixture.emulator.state.bcc.set({
      ...(fixture.emulator.state.bcc.get(SEEDED.bcc.custom) ?? {}),
      id: 'm-long01',
      name,
    });
    // A backtracking matcher needs ~n^5 steps for this pattern on this name.
    const functions = await load({ PROTECTED_IMAGE_NAME_PATTERNS: '*-*-*-*-*-x,nightly*' });
    const response = await http(functions.httpDelete, 'DELETE', 'bcc', 'm-long01');
    expect([response.status, errorCode(response)]).toEqual([403, 'IMAGE_PROTECTED']);
    expect(String((response.body.error as { message: string }).message)).toContain("'nightly*'");
    expect(deletesSent()).toEqual([]);
  });

  it('protects a ModelArts image the cloud records with its UUID in capitals, listed in lower case', async () => {
    // Prepare: the cloud's record spells the UUID in capitals; the operator listed it in lower case.
    const upper = 'A5B0A1C2-0000-4000-8000-0000000000AB';
    const base = fixture.emulator.state.modelarts.get(SEEDED.modelarts.custom);
    fixture.emulator.state.modelarts.set({ ...base, id: upper, name: 'upper-case-id' });
    const functions = await load({ PROTECTED_IMAGE_IDS: upper.toLowerCase() });

    // Act
    const response = await http(functions.httpDelete, 'DELETE', 'modelarts', upper);

    // Assess
    expect([response.status, errorCode(response)]).toEqual([403, 'IMAGE_PROTECTED']);
    expect(deletesSent()).toEqual([]);
  });

  it('refuses a pattern longer than 256 characters as a configuration error', async () => {
    const functions = await load({ PROTECTED_IMAGE_NAME_PATTERNS: `${'*a'.repeat(129)}` });
    const response = await http(functions.httpShow, 'GET', 'bcc', SEEDED.bcc.custom);
    expect([response.status, errorCode(response)]).toEqual([500, 'CONFIGURATION_ERROR']);
    expect(fixture.log.lines[0]).toMatchObject({
      level: 'error',
      source: 'configuration',
      problems: [expect.stringContaining('PROTECTED_IMAGE_NAME_PATTERNS')],
    });
  });
});

describe('what is deleted and how it is reported', () => {
  it('keeps an image of a kind this service does not recognise (unknown means keep)', async () => {
    const custom = fixture.emulator.state.bcc.get(SEEDED.bcc.custom);
    fixture.emulator.state.bcc.set({ ...custom, id: SEEDED.bcc.custom, type: 'QuantumCustom' });
    const functions = await load();
    const response = await http(functions.httpDelete, 'DELETE', 'bcc', SEEDED.bcc.custom);
    expect([response.status, errorCode(response)]).toEqual([403, 'IMAGE_PROTECTED']);
    expect(String((response.body.error as { message: string }).message)).toContain('QuantumCustom');
    expect(deletesSent()).toEqual([]);
  });

  it.each(['Copying', 'constructor'])(
    'keeps an image in a state this service does not recognise (%s: unknown means keep)',
    async (status) => {
      // Prepare: the cloud reports a status its tables do not hold (`constructor` is no entry
      // of them either, though every object has one).
      const custom = fixture.emulator.state.bcc.get(SEEDED.bcc.custom);
      fixture.emulator.state.bcc.set({ ...custom, id: SEEDED.bcc.custom, status });
      const functions = await load();

      // Act
      const response = await http(functions.httpDelete, 'DELETE', 'bcc', SEEDED.bcc.custom);

      // Assess
      expect([response.status, errorCode(response)]).toEqual([403, 'IMAGE_PROTECTED']);
      expect(String((response.body.error as { message: string }).message)).toContain(status);
      expect(deletesSent()).toEqual([]);
    },
  );

  it.each(['modelarts', 'bcc'] as const)(
    '%s: a deleted image has status deleted (the cloud\u2019s last record stays in details)',
    async (provider) => {
      const functions = await load();
      const imageId = provider === 'modelarts' ? SEEDED.modelarts.custom : SEEDED.bcc.custom;
      const response = await http(functions.httpDelete, 'DELETE', provider, imageId);
      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({ outcome: 'deleted', image: { status: 'deleted' } });
      expect((response.body.image as { details: object }).details).toHaveProperty('id');
    },
  );

  it.each([501, 505, 507])(
    'HTTP %i from the cloud is UPSTREAM_UNAVAILABLE, not a bad response (and not retried)',
    async (status) => {
      fixture.emulator.faults.inject({ times: 10, action: { kind: 'status', status } });
      const functions = await load();
      const response = await http(functions.httpShow, 'GET', 'bcc', SEEDED.bcc.custom);
      expect([response.status, errorCode(response)]).toEqual([502, 'UPSTREAM_UNAVAILABLE']);
      expect(fixture.emulator.requests).toHaveLength(1);
    },
  );
});

describe('what a request carries beyond its path and query', () => {
  it('a body on a route that takes none is a 400 naming body: `{"dryRun":true}` as a DELETE body deletes nothing', async () => {
    // Prepare
    const functions = await load();
    const withBody = (method: 'GET' | 'DELETE', body: string, isBase64Encoded = false) => ({
      ...routeEvent({
        method,
        route: '/images/{provider}/{imageId}',
        pathParameters: { provider: 'bcc', imageId: SEEDED.bcc.custom },
        body,
      }),
      isBase64Encoded,
    });

    // Act
    const answers = [
      await functions.httpDelete(withBody('DELETE', '{"dryRun":true}'), lambdaContext()),
      await functions.httpDelete(
        withBody('DELETE', Buffer.from('{"dryRun":true}').toString('base64'), true),
        lambdaContext(),
      ),
      await functions.httpShow(withBody('GET', 'region=bj'), lambdaContext()),
    ].map((answer) => parseResult(answer as never));
    const upstreamAfterRefusals = fixture.emulator.requests.length;
    const emptyBody = parseResult(
      (await functions.httpDelete(withBody('DELETE', ' \n'), lambdaContext())) as never,
    );

    // Assess
    for (const answer of answers) {
      expect([answer.status, errorCode(answer)]).toEqual([400, 'INVALID_REQUEST']);
      expect((answer.body.error as { message: string }).message).toMatch(/^body: /);
    }
    expect(upstreamAfterRefusals, 'no call upstream for a refused body').toBe(0);
    expect(emptyBody.status, 'an empty body is no body').toBe(200);
    expect(deletesSent()).toHaveLength(1);
  });

  it('unknown field names are repeated back bounded: a 12,000-character key neither fills the answer nor the line', async () => {
    // Prepare
    const functions = await load();
    const key = `k${'x'.repeat(12_000)}`;
    const many = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`extra${i}`, '1']));

    // Act
    const long = await http(functions.httpShow, 'GET', 'bcc', SEEDED.bcc.custom, { [key]: '1' });
    const longLine = JSON.stringify(fixture.log.lines.at(-1));
    const control = await http(functions.httpShow, 'GET', 'bcc', SEEDED.bcc.custom, {
      '\u001b[31mred\nFAKE': '1',
    });
    const several = await http(functions.httpShow, 'GET', 'bcc', SEEDED.bcc.custom, many);

    // Assess
    const message = (response: { body: Record<string, unknown> }) =>
      (response.body.error as { message: string }).message;
    expect([long.status, errorCode(long)]).toEqual([400, 'INVALID_REQUEST']);
    expect(message(long)).toMatch(/^unknown field\(s\): kx{63}\u2026 \(12001 characters\)$/);
    expect(longLine.length).toBeLessThan(4_000);
    expect(message(control)).toBe('unknown field(s): \ufffd[31mred\ufffdFAKE');
    expect(message(several)).toBe(
      'unknown field(s): extra0, extra1, extra2, extra3, extra4 and 35 more',
    );
    expect(fixture.emulator.requests).toHaveLength(0);
  });
});

describe('log lines', () => {
  it('carry at most a bounded piece of unvalidated input (a 12 KB region stays out)', async () => {
    const functions = await load();
    const region = 'a'.repeat(12_000);
    const response = await http(functions.httpShow, 'GET', 'bcc', SEEDED.bcc.custom, { region });
    expect(response.status).toBe(400);
    const line = JSON.stringify(fixture.log.lines.at(-1));
    expect(line).not.toContain('a'.repeat(101));
    expect(line.length).toBeLessThan(4_000);
  });

  it('LOG_LEVEL=debug writes one line per retry (attempt, reason, wait); the default writes none', async () => {
    fixture.emulator.faults.inject({ times: 2, action: { kind: 'status', status: 503 } });
    const debug = await load({ LOG_LEVEL: 'debug', UPSTREAM_RETRY_BASE_MS: '5' });
    expect((await http(debug.httpShow, 'GET', 'bcc', SEEDED.bcc.custom)).status).toBe(200);
    const retries = fixture.log.lines.filter((line) => line.message === 'upstream retry');
    expect(retries).toEqual([
      expect.objectContaining({
        level: 'debug',
        attempt: 1,
        reason: 'HTTP 503 ServiceUnavailable',
        provider: 'bcc',
      }),
      expect.objectContaining({
        level: 'debug',
        attempt: 2,
        reason: 'HTTP 503 ServiceUnavailable',
      }),
    ]);
    for (const retry of retries) expect(typeof retry.waitMs).toBe('number');

    fixture.emulator.reset();
    fixture.log.clear();
    fixture.emulator.faults.inject({ times: 2, action: { kind: 'status', status: 503 } });
    const info = await load({ LOG_LEVEL: undefined, UPSTREAM_RETRY_BASE_MS: '5' });
    expect((await http(info.httpShow, 'GET', 'bcc', SEEDED.bcc.custom)).status).toBe(200);
    expect(fixture.log.lines.filter((line) => line.level === 'debug')).toEqual([]);
  });
});

describe('configuration', () => {
  it('a credential with a line break is CONFIGURATION_ERROR (500), not an unreachable cloud, and nothing is sent', async () => {
    const functions = await load({ BCE_SESSION_TOKEN: 'session-token\nX-Injected: 1' });
    const response = await http(functions.httpShow, 'GET', 'bcc', SEEDED.bcc.custom);
    expect([response.status, errorCode(response)]).toEqual([500, 'CONFIGURATION_ERROR']);
    expect(JSON.stringify(response.body)).not.toContain('session-token');
    expect(fixture.emulator.requests).toEqual([]);
  });

  it('UPSTREAM_CONNECT_TIMEOUT_MS reaches the HTTP agent', async () => {
    const functions = await load({ UPSTREAM_CONNECT_TIMEOUT_MS: '1234' });
    expect((await http(functions.httpShow, 'GET', 'bcc', SEEDED.bcc.custom)).status).toBe(200);
    const transport = await import('../../lib/http/transport.js');
    expect(transport.sharedAgentConnectTimeoutMs()).toBe(1234);
  });

  it.each([
    ['http://bcc.bj.baidubce.com', false],
    ['http://10.0.0.7:8080', false],
    ['ftp://127.0.0.1', false],
    ['https://user:pw@bcc.bj.baidubce.com', false],
    ['https://bcc.bj.baidubce.com/v2', false],
    ['https://bcc.internal.example:8443', true],
    ['http://127.0.0.1:9000', true],
    ['http://localhost:9000', true],
    ['http://[::1]:9000', true],
  ])('an endpoint override %s is accepted: %s', (value, accepted) => {
    const read = () => endpointOverride({ BCC_ENDPOINT: value }, 'BCC_ENDPOINT');
    if (accepted) expect(read()).toBe(new URL(value).origin);
    else expect(read).toThrow(ConfigurationError);
  });

  it('a clear-text endpoint for a remote host fails every call with CONFIGURATION_ERROR, one line naming it', async () => {
    const functions = await load({ BCC_ENDPOINT: 'http://bcc.bj.baidubce.com' });
    const response = await http(functions.httpShow, 'GET', 'bcc', SEEDED.bcc.custom);
    expect([response.status, errorCode(response)]).toEqual([500, 'CONFIGURATION_ERROR']);
    expect(String((response.body.error as { message: string }).message)).toContain('BCC_ENDPOINT');
    expect(fixture.log.lines.filter((line) => line.source === 'configuration')).toHaveLength(1);
    expect(fixture.emulator.requests).toEqual([]);
  });
});

describe('a usage scan whose page contradicts itself is not believed', () => {
  it.each([
    [
      'bcc',
      SEEDED.bcc.custom,
      'list-instances',
      { marker: '', isTruncated: true, maxKeys: 1000, instances: [] },
    ],
    ['modelarts', SEEDED.modelarts.custom, 'list-all-notebooks', { data: [], total: 1 }],
  ] as const)(
    '%s: an image in use is not deleted when a page says more follow and gives none (UPSTREAM_BAD_RESPONSE)',
    async (provider, imageId, operation, page) => {
      // Prepare: the image is in use, and the first page of the scan says so only by its count.
      fixture.emulator.state.referenceImage(provider, imageId);
      fixture.emulator.faults.inject({
        match: { provider, operation },
        action: { kind: 'malformed', body: JSON.stringify(page) },
      });
      const functions = await load();

      // Act
      const response = await http(functions.httpDelete, 'DELETE', provider, imageId);

      // Assess
      expect([response.status, errorCode(response)]).toEqual([502, 'UPSTREAM_BAD_RESPONSE']);
      expect(deletesSent()).toEqual([]);
    },
  );
});

describe('what counts as in use', () => {
  it("ModelArts: an image only another IAM user's notebook runs is not deleted (409 IMAGE_BUSY)", async () => {
    // Prepare: the notebook belongs to a colleague, so ListNotebooks (the key's own) does not show it.
    fixture.emulator.state.notebooks.set(colleagueNotebook(SEEDED.modelarts.custom));
    const functions = await load();

    // Act
    const response = await http(
      functions.httpDelete,
      'DELETE',
      'modelarts',
      SEEDED.modelarts.custom,
    );

    // Assess
    expect([response.status, errorCode(response)]).toEqual([409, 'IMAGE_BUSY']);
    expect(String((response.body.error as { message?: string }).message)).toContain(
      'colleague-notebook',
    );
    expect(deletesSent()).toEqual([]);
  });
});

describe('what counts as in use, whatever the case of the ID a notebook names', () => {
  it('ModelArts: a notebook naming the image by its UUID in capitals still uses it (409 IMAGE_BUSY)', async () => {
    // Prepare: ModelArts IDs are UUIDs, compared without case; a notebook names ours in capitals.
    fixture.emulator.state.notebooks.set(colleagueNotebook(SEEDED.modelarts.custom.toUpperCase()));
    const functions = await load();

    // Act
    const response = await http(
      functions.httpDelete,
      'DELETE',
      'modelarts',
      SEEDED.modelarts.custom,
    );

    // Assess
    expect([response.status, errorCode(response)]).toEqual([409, 'IMAGE_BUSY']);
    expect(deletesSent()).toEqual([]);
  });
});

describe('what counts as in use, by SWR path', () => {
  it('ModelArts: a notebook naming the image only by its SWR path uses it (409 IMAGE_BUSY)', async () => {
    // Prepare: the notebook names no image ID, only the custom image's SWR path.
    const image = fixture.emulator.state.modelarts.get(SEEDED.modelarts.custom);
    const swrPath = String(image?.swr_path ?? '');
    expect(swrPath).not.toBe('');
    const notebook = colleagueNotebook('');
    fixture.emulator.state.notebooks.set({ ...notebook, image: { id: '', swr_path: swrPath } });
    const functions = await load();

    // Act
    const response = await http(
      functions.httpDelete,
      'DELETE',
      'modelarts',
      SEEDED.modelarts.custom,
    );

    // Assess
    expect([response.status, errorCode(response)]).toEqual([409, 'IMAGE_BUSY']);
    expect(deletesSent()).toEqual([]);
  });
});

describe('the answer when middy\u2019s own timeout ends a request (a wait the deadline did not bound)', () => {
  it('is the documented UPSTREAM_TIMEOUT (504), never a 500', () => {
    // Prepare: the error middy throws 5 ms before the Lambda's end.
    const timeout = Object.assign(new Error('[AbortError]: The operation was aborted'), {
      name: 'TimeoutError',
    });

    // Act
    const response = errorResponse(timeout, 'request-1');

    // Assess
    expect(response.statusCode).toBe(504);
    expect(JSON.parse(String(response.body))).toMatchObject({
      error: { code: 'UPSTREAM_TIMEOUT', requestId: 'request-1' },
    });
  });
});
