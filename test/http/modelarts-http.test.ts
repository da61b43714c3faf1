// The HTTP handlers end to end for ModelArts: real handler code, real undici, real signatures,
// against the provider emulator on loopback. Every error of the spec that a ModelArts call can
// produce is produced here, with its documented status and body.

import { describe, expect, it } from 'vitest';
import { DEMO_MODELARTS, SEEDED } from '../../emulator/demo.js';
import { handler as deleteHandler } from '../../functions/http/delete-image.js';
import { handler as listHandler } from '../../functions/http/list-images.js';
import { handler as showHandler } from '../../functions/http/show-image.js';
import { MAX_RESPONSE_BYTES } from '../../lib/http/transport.js';
import { httpEvent, lambdaContext, parseResult, routeEvent } from '../../scripts/lambda-events.js';
import { useFixture } from '../support/fixture.js';
import { colleagueNotebook } from '../support/sample-notebook.js';

const fixture = useFixture({
  env: {
    PROTECTED_IMAGE_IDS: 'a5b0a1c2-0000-4000-8000-000000000001',
    PROTECTED_IMAGE_NAME_PATTERNS: 'prod-*',
    UPSTREAM_RETRY_BASE_MS: '5',
    UPSTREAM_THROTTLE_BASE_MS: '5',
  },
});

const show = async (imageId: string, query: Record<string, string> = {}, remainingMs?: number) =>
  parseResult(
    await showHandler(httpEvent('GET', 'modelarts', imageId, query), lambdaContext(remainingMs)),
  );

const remove = async (imageId: string, query: Record<string, string> = {}, remainingMs?: number) =>
  parseResult(
    await deleteHandler(
      httpEvent('DELETE', 'modelarts', imageId, query),
      lambdaContext(remainingMs),
    ),
  );

const seededModelArts = (id: string) => {
  const record = fixture.emulator.state.modelarts.get(id);
  if (record === undefined) throw new Error(`emulator has no seeded image ${id}`);
  return record;
};

const deletesReceived = () =>
  fixture.emulator.requests.filter((request) => request.method === 'DELETE');

const expectError = (
  response: Awaited<ReturnType<typeof show>>,
  status: number,
  code: string,
): { code: string; message: string; requestId: string } => {
  expect(response.status).toBe(status);
  const error = response.body.error as { code: string; message: string; requestId: string };
  expect(error.code).toBe(code);
  expect(error.message.length).toBeGreaterThan(0);
  expect(error.requestId).toMatch(/^[0-9a-f-]{36}$/);
  expect(Object.keys(response.body)).toEqual(['error']);
  return error;
};

describe('GET /images/modelarts/{imageId}', () => {
  it('returns the built-in image normalised, with the provider record kept whole', async () => {
    const response = await show(SEEDED.modelarts.builtIn);
    expect(response.status).toBe(200);
    expect(response.body.image).toMatchObject({
      provider: 'modelarts',
      region: 'cn-north-4',
      id: SEEDED.modelarts.builtIn,
      name: 'pytorch1.8-cuda10.2-cudnn7-ubuntu18.04',
      status: 'available',
      providerStatus: 'ACTIVE',
      kind: 'system',
      createdAt: '2021-11-30T01:08:24.492Z',
      details: { type: 'BUILD_IN', arch: 'x86_64' },
    });
    const [received] = fixture.emulator.requests;
    expect(received?.path).toBe(
      `/v1/${DEMO_MODELARTS.projectId}/images/${SEEDED.modelarts.builtIn}`,
    );
  });

  it('shows an image still being created as creating', async () => {
    const response = await show(SEEDED.modelarts.creating);
    expect(response.body.image).toMatchObject({ status: 'creating', kind: 'custom' });
  });

  it('accepts drift: unknown status and categories, extra fields', async () => {
    fixture.emulator.state.modelarts.set({
      ...seededModelArts(SEEDED.modelarts.custom),
      id: SEEDED.modelarts.custom,
      name: 'drifted',
      type: 'DEDICATED',
      status: 'FREEZING',
      resource_categories: ['ASCEND'],
      flavor_type: 'ASCEND_SNT9',
      brand_new_field: { nested: true },
    });
    const response = await show(SEEDED.modelarts.custom);
    expect(response.status).toBe(200);
    expect(response.body.image).toMatchObject({
      status: 'unknown',
      providerStatus: 'FREEZING',
      details: { brand_new_field: { nested: true }, flavor_type: 'ASCEND_SNT9' },
    });
  });

  it('404 IMAGE_NOT_FOUND for an image the provider does not have', async () => {
    expectError(await show('00000000-0000-4000-8000-000000000000'), 404, 'IMAGE_NOT_FOUND');
  });

  it.each([
    ['ModelArts.6797', 400],
    ['ModelArts.6404', 400],
    ['ModelArts.0000', 404],
  ])('404 IMAGE_NOT_FOUND when the provider answers %s with HTTP %i', async (code, status) => {
    fixture.emulator.faults.inject({
      action: { kind: 'status', status, body: { error_code: code, error_msg: 'not found' } },
    });
    expectError(await show(SEEDED.modelarts.custom), 404, 'IMAGE_NOT_FOUND');
  });
});

describe('DELETE /images/modelarts/{imageId}', () => {
  it('deletes a custom image, then answers 404 for it', async () => {
    const first = await remove(SEEDED.modelarts.custom);
    expect(first.status).toBe(200);
    expect(first.body.outcome).toBe('deleted');
    expect(first.body.image).toMatchObject({ id: SEEDED.modelarts.custom });
    expect(fixture.emulator.state.modelarts.get(SEEDED.modelarts.custom)).toBeUndefined();

    expectError(await remove(SEEDED.modelarts.custom), 404, 'IMAGE_NOT_FOUND');
    expect(fixture.emulator.state.deleteCount('modelarts', SEEDED.modelarts.custom)).toBe(1);
  });

  it('answers 404 for an image ModelArts still shows as DELETED, sending no delete', async () => {
    // Prepare: the service still shows a deleted image (status DELETED) for a while.
    const base = seededModelArts(SEEDED.modelarts.custom);
    fixture.emulator.state.modelarts.set({ ...base, status: 'DELETED' });

    // Act
    const response = await remove(SEEDED.modelarts.custom);

    // Assess: gone already (already-absent, a 404 over HTTP): no delete sent, nothing reported
    // as deleted by this call.
    expectError(response, 404, 'IMAGE_NOT_FOUND');
    expect(deletesReceived()).toHaveLength(0);
    expect(fixture.emulator.state.deleteCount('modelarts', SEEDED.modelarts.custom)).toBe(0);
  });

  it("sends force both as the documented query and as the SDKs' is_force body", async () => {
    expect((await remove(SEEDED.modelarts.custom, { force: 'true' })).status).toBe(200);
    const [received] = deletesReceived();
    expect(received?.query).toContainEqual(['force', 'true']);
    expect(JSON.parse(received?.body ?? '{}')).toEqual({ is_force: true });
  });

  it('dryRun does every check, reports, and deletes nothing', async () => {
    const response = await remove(SEEDED.modelarts.custom, { dryRun: 'true' });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      outcome: 'dry-run',
      image: { id: SEEDED.modelarts.custom },
    });
    expect(deletesReceived()).toHaveLength(0);
    expectError(await remove(SEEDED.modelarts.builtIn, { dryRun: 'true' }), 403, 'IMAGE_PROTECTED');
  });

  it('refuses a built-in image with 403 before any delete is sent', async () => {
    const error = expectError(await remove(SEEDED.modelarts.builtIn), 403, 'IMAGE_PROTECTED');
    expect(error.message).toMatch(/built-in/);
    expect(deletesReceived()).toHaveLength(0);
  });

  it('refuses a built-in image a notebook runs as protected (403), not as in use, with no usage scan', async () => {
    // Prepare: a notebook runs the built-in image.
    fixture.emulator.state.notebooks.set(colleagueNotebook(SEEDED.modelarts.builtIn));

    // Act
    const error = expectError(await remove(SEEDED.modelarts.builtIn), 403, 'IMAGE_PROTECTED');

    // Assess: what the image is decides first; its usage is not even read.
    expect(error.message).toMatch(/built-in/);
    expect(fixture.emulator.requests.map((request) => request.operation)).toEqual(['show']);
  });

  it('refuses operator-protected IDs and name patterns', async () => {
    const base = seededModelArts(SEEDED.modelarts.custom);
    fixture.emulator.state.modelarts.set({
      ...base,
      id: 'a5b0a1c2-0000-4000-8000-000000000001',
      name: 'any',
    });
    fixture.emulator.state.modelarts.set({
      ...base,
      id: 'a5b0a1c2-0000-4000-8000-000000000002',
      name: 'prod-model',
    });
    const byId = expectError(
      await remove('a5b0a1c2-0000-4000-8000-000000000001'),
      403,
      'IMAGE_PROTECTED',
    );
    expect(byId.message).toMatch(/PROTECTED_IMAGE_IDS/);
    const byName = expectError(
      await remove('a5b0a1c2-0000-4000-8000-000000000002'),
      403,
      'IMAGE_PROTECTED',
    );
    expect(byName.message).toMatch(/prod-\*/);
    expect(deletesReceived()).toHaveLength(0);
  });

  it('409 IMAGE_BUSY for an image still being created, before any delete is sent', async () => {
    expectError(await remove(SEEDED.modelarts.creating), 409, 'IMAGE_BUSY');
    expect(deletesReceived()).toHaveLength(0);
  });

  it('409 IMAGE_BUSY when ModelArts says another operation is running (ModelArts.6357)', async () => {
    fixture.emulator.faults.inject({
      match: { method: 'DELETE' },
      action: {
        kind: 'status',
        status: 400,
        body: { error_code: 'ModelArts.6357', error_msg: 'another operation is being performed' },
      },
    });
    const error = expectError(await remove(SEEDED.modelarts.custom), 409, 'IMAGE_BUSY');
    expect(error.message).toMatch(/another operation/);
  });

  it('409 IMAGE_BUSY, not IMAGE_PROTECTED, when ModelArts answers the delete with HTTP 409 under a code of its own', async () => {
    // Prepare: a conflict with a code no rule names (only its status says what it is).
    fixture.emulator.faults.inject({
      match: { method: 'DELETE' },
      action: {
        kind: 'status',
        status: 409,
        body: { error_code: 'ModelArts.6998', error_msg: 'the image is referenced by a job' },
      },
    });

    // Act
    const response = await remove(SEEDED.modelarts.custom);

    // Assess: in use, the cloud's words kept, and the image still there.
    const error = expectError(response, 409, 'IMAGE_BUSY');
    expect(error.message).toMatch(/referenced by a job/);
    expect(seededModelArts(SEEDED.modelarts.custom)).toBeDefined();
  });

  it('403 IMAGE_PROTECTED when ModelArts itself refuses the delete with a 403 it does not document', async () => {
    // ModelArts.6999 is in no version of the error-code appendix.
    fixture.emulator.faults.inject({
      match: { method: 'DELETE' },
      action: {
        kind: 'status',
        status: 403,
        body: { error_code: 'ModelArts.6999', error_msg: 'no' },
      },
    });
    expectError(await remove(SEEDED.modelarts.custom), 403, 'IMAGE_PROTECTED');
  });

  // The error-code appendix (OTC ModelArts api-ref appendix/error_codes.rst) documents these 403s
  // as refusals of the caller, not of the image: 6653 "You are not authorized to operate the
  // project", 0108 "You are not authorized to perform the ({0}) operation", 0206 "Invalid AK/SK", ...
  it.each([
    ['ModelArts.6653', 'Contact the project owner.'],
    ['ModelArts.0108', 'You are not authorized to perform the (delete) operation.'],
    ['ModelArts.0112', "Policy doesn't allow delete image to be performed."],
    ['ModelArts.0210', 'The project id in the request URL does not match the token.'],
    ['ModelArts.2785', 'AuthorizationNotFound'],
    ['ModelArts.4336', "The user hasn't permission"],
    ['ModelArts.5014', 'Permission deny'],
    ['ModelArts.4116', 'User has been owed, please check the account status and balance.'],
    ['ModelArts.4118', 'User has been suspended, please check the account balance.'],
    ['ModelArts.5017', 'Account suspended.'],
    ['ModelArts.0203', 'Invalid token.'],
    ['ModelArts.0206', 'Invalid AK/SK.'],
    ['ModelArts.2784', 'InvalidToken'],
  ])(
    '502 UPSTREAM_AUTH_FAILED, not IMAGE_PROTECTED, when ModelArts refuses the delete with the documented 403 %s',
    async (code, message) => {
      // Prepare: every DELETE answered with the documented 403 (a re-signed retry gets it again).
      fixture.emulator.faults.inject({
        match: { method: 'DELETE' },
        times: 5,
        action: { kind: 'status', status: 403, body: { error_code: code, error_msg: message } },
      });
      // Act
      const response = await remove(SEEDED.modelarts.custom);
      // Assess: the key (or its account) was refused, which says nothing about the image.
      const error = expectError(response, 502, 'UPSTREAM_AUTH_FAILED');
      expect(error.message).toContain(code);
      expect(seededModelArts(SEEDED.modelarts.custom)).toBeDefined();
    },
  );

  it('succeeds on 204 No Content', async () => {
    fixture.emulator.faults.inject({
      match: { method: 'DELETE' },
      action: { kind: 'status', status: 204, body: '' },
    });
    const response = await remove(SEEDED.modelarts.custom);
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      outcome: 'deleted',
      image: { id: SEEDED.modelarts.custom },
    });
  });
});

describe('GET /images/modelarts', () => {
  const list = async (query: Record<string, string>) =>
    parseResult(
      await listHandler(
        routeEvent({
          method: 'GET',
          route: '/images/{provider}',
          pathParameters: { provider: 'modelarts' },
          query,
        }),
        lambdaContext(),
      ),
    );
  const listQueries = () =>
    fixture.emulator.requests
      .filter((request) => request.operation === 'list-images')
      .map((request) => Object.fromEntries(request.query));

  // ListImage documents its `name` as "Image name, which contains a maximum of 512 characters,
  // including lowercase letters, digits, hyphens (-), underscores (_), and periods (.)".
  it('narrows upstream by a name only in the range ListImage documents for it; any other name glob is matched here alone', async () => {
    // Prepare: the emulator as the service documents it holds the built-in pytorch image.
    // Act
    const documented = await list({ name: 'pytorch1.8*' });
    const outside = await list({ name: 'PyTorch 1.8*' });
    // Assess
    expect(documented.status).toBe(200);
    expect(outside.status).toBe(200);
    expect((documented.body.images as Array<{ id: string }>).map((image) => image.id)).toEqual([
      SEEDED.modelarts.builtIn,
    ]);
    expect(outside.body.images).toEqual([]);
    const [narrowed, whole] = listQueries();
    expect(narrowed).toMatchObject({ name: 'pytorch1.8', name_fuzzy_match: 'true' });
    expect(whole).not.toHaveProperty('name');
    expect(whole).not.toHaveProperty('name_fuzzy_match');
  });
});

describe('bad input: 400 naming the field, and no upstream request', () => {
  it.each([
    ['provider', 'GET', 'aws', SEEDED.modelarts.custom, {}],
    ['imageId', 'GET', 'modelarts', 'not-a-uuid', {}],
    ['imageId', 'DELETE', 'modelarts', 'm-nky7qeom', {}],
    ['region', 'GET', 'modelarts', SEEDED.modelarts.custom, { region: 'EU_WEST' }],
    ['region', 'DELETE', 'modelarts', SEEDED.modelarts.custom, { region: '../../etc' }],
    ['force', 'DELETE', 'modelarts', SEEDED.modelarts.custom, { force: 'yes' }],
    ['dryRun', 'DELETE', 'modelarts', SEEDED.modelarts.custom, { dryRun: '1' }],
    ['dryrun', 'DELETE', 'modelarts', SEEDED.modelarts.custom, { dryrun: 'true' }],
    ['force', 'GET', 'modelarts', SEEDED.modelarts.custom, { force: 'true' }],
  ] as const)('%s (%s %s/%s)', async (field, method, provider, imageId, query) => {
    const run = method === 'GET' ? showHandler : deleteHandler;
    const response = parseResult(
      await run(httpEvent(method, provider, imageId, { ...query }), lambdaContext()),
    );
    const error = expectError(response, 400, 'INVALID_REQUEST');
    expect(error.message).toContain(field);
    expect(fixture.emulator.requests).toHaveLength(0);
  });
});

describe('a query parameter given twice (API Gateway joins the values with commas)', () => {
  /** The event API Gateway makes of `?<raw>`: each repeated parameter's values joined by commas. */
  const withRawQuery = (method: 'GET' | 'DELETE', raw: string): ReturnType<typeof httpEvent> => {
    const joined: Record<string, string> = {};
    for (const [name, value] of new URLSearchParams(raw)) {
      joined[name] = name in joined ? `${joined[name]},${value}` : value;
    }
    return {
      ...httpEvent(method, 'modelarts', SEEDED.modelarts.custom, joined),
      rawQueryString: raw,
    };
  };

  it.each([
    ['dryRun', 'DELETE', 'dryRun=true&dryRun=true'],
    ['force', 'DELETE', 'force=false&dryRun=true&force=false'],
    ['region', 'GET', 'region=cn-north-4&region=cn-north-4'],
  ] as const)(
    '%s twice (%s ?%s) is a 400 saying so, and nothing is sent upstream',
    async (field, method, raw) => {
      // Act
      const run = method === 'GET' ? showHandler : deleteHandler;
      const response = parseResult(await run(withRawQuery(method, raw), lambdaContext()));

      // Assess: named as given twice, not as a bad value ("must be one of true, false") never typed.
      const error = expectError(response, 400, 'INVALID_REQUEST');
      expect(error.message).toBe(`${field}: is given more than once; it takes one value`);
      expect(fixture.emulator.requests).toHaveLength(0);
    },
  );

  it('an unknown parameter given twice is still named as unknown', async () => {
    // Act
    const response = parseResult(
      await deleteHandler(withRawQuery('DELETE', 'dryrun=true&dryrun=true'), lambdaContext()),
    );

    // Assess
    const error = expectError(response, 400, 'INVALID_REQUEST');
    expect(error.message).toContain('unknown field(s): dryrun');
    expect(fixture.emulator.requests).toHaveLength(0);
  });
});

describe('faults upstream get the documented error', () => {
  it('502 UPSTREAM_BAD_RESPONSE, at once, for a reply larger than any ModelArts documents', async () => {
    // Prepare: a 200 whose body runs past what is read of a reply.
    fixture.emulator.faults.inject({
      times: 5,
      action: { kind: 'malformed', body: `"${'x'.repeat(MAX_RESPONSE_BYTES + 1)}"` },
    });

    // Act
    const response = await show(SEEDED.modelarts.custom);

    // Assess: an undocumented reply, not an unavailable cloud; not asked again.
    const error = expectError(response, 502, 'UPSTREAM_BAD_RESPONSE');
    expect(error.message).toContain(`larger than ${MAX_RESPONSE_BYTES} bytes`);
    expect(fixture.emulator.requests).toHaveLength(1);
  });

  it('502 UPSTREAM_AUTH_FAILED after exactly one re-signed retry (APIGW.0301)', async () => {
    fixture.emulator.faults.inject({
      times: 5,
      action: {
        kind: 'status',
        status: 401,
        body: { error_code: 'APIGW.0301', error_msg: 'verify aksk signature fail' },
      },
    });
    expectError(await show(SEEDED.modelarts.custom), 502, 'UPSTREAM_AUTH_FAILED');
    expect(fixture.emulator.requests).toHaveLength(2);
    const dates = fixture.emulator.requests.map((request) => request.headers['x-sdk-date']);
    expect(dates.every((date) => /^\d{8}T\d{6}Z$/.test(date ?? ''))).toBe(true);
  });

  it.each(['APIG.0301', 'APIG.0303'])('502 UPSTREAM_AUTH_FAILED for %s', async (code) => {
    fixture.emulator.faults.inject({
      times: 5,
      action: { kind: 'status', status: 401, body: { error_code: code, error_msg: 'x' } },
    });
    expectError(await show(SEEDED.modelarts.custom), 502, 'UPSTREAM_AUTH_FAILED');
  });

  it('recovers when the re-signed retry is accepted', async () => {
    fixture.emulator.faults.inject({
      action: {
        kind: 'status',
        status: 401,
        body: { error_code: 'APIGW.0301', error_msg: 'expired' },
      },
    });
    expect((await show(SEEDED.modelarts.custom)).status).toBe(200);
  });

  it.each([
    [
      '429',
      { kind: 'status', status: 429, body: { error_code: 'ModelArts.6101', error_msg: 'busy' } },
    ],
    [
      'APIG.0308',
      { kind: 'status', status: 429, body: { error_code: 'APIG.0308', error_msg: 'limit' } },
    ],
    [
      'APIGW.0308',
      { kind: 'status', status: 429, body: { error_code: 'APIGW.0308', error_msg: 'limit' } },
    ],
  ] as const)(
    '503 UPSTREAM_THROTTLED with Retry-After when %s persists',
    async (_label, action) => {
      fixture.emulator.faults.inject({
        times: 10,
        action: { ...action, headers: { 'Retry-After': '0' } },
      });
      const response = await show(SEEDED.modelarts.custom);
      expectError(response, 503, 'UPSTREAM_THROTTLED');
      expect(Number(response.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(fixture.emulator.requests).toHaveLength(3);
    },
  );

  it('a Retry-After years away is passed on as an hour, at once, not as the years', async () => {
    fixture.emulator.faults.inject({
      times: 10,
      action: {
        kind: 'status',
        status: 429,
        headers: { 'Retry-After': 'Thu, 01 Jan 2099 00:00:00 GMT' },
      },
    });

    const response = await show(SEEDED.modelarts.custom);

    expectError(response, 503, 'UPSTREAM_THROTTLED');
    expect(response.headers['retry-after']).toBe('3600');
    expect(fixture.emulator.requests, 'no wait, no second attempt').toHaveLength(1);
  });

  it('throttling that clears within the retries succeeds', async () => {
    fixture.emulator.faults.inject({ times: 2, action: { kind: 'status', status: 429 } });
    expect((await show(SEEDED.modelarts.custom)).status).toBe(200);
    expect(fixture.emulator.requests).toHaveLength(3);
  });

  it('502 UPSTREAM_UNAVAILABLE when the cloud keeps answering 408 ModelArts.6100 (its own timeout), after every attempt', async () => {
    fixture.emulator.faults.inject({
      times: 10,
      action: {
        kind: 'status',
        status: 408,
        body: { error_code: 'ModelArts.6100', error_msg: 'timeout' },
      },
    });
    expectError(await show(SEEDED.modelarts.custom), 502, 'UPSTREAM_UNAVAILABLE');
    expect(fixture.emulator.requests).toHaveLength(3);
  });

  it('a 408 that clears within the retries succeeds', async () => {
    fixture.emulator.faults.inject({
      action: {
        kind: 'status',
        status: 408,
        body: { error_code: 'ModelArts.6100', error_msg: 'timeout' },
      },
    });
    expect((await show(SEEDED.modelarts.custom)).status).toBe(200);
    expect(fixture.emulator.requests).toHaveLength(2);
  });

  it.each([500, 502, 503, 504])('502 UPSTREAM_UNAVAILABLE when %i persists', async (status) => {
    fixture.emulator.faults.inject({ times: 10, action: { kind: 'status', status } });
    expectError(await show(SEEDED.modelarts.custom), 502, 'UPSTREAM_UNAVAILABLE');
    expect(fixture.emulator.requests).toHaveLength(3);
  });

  it('502 UPSTREAM_UNAVAILABLE on reset connections', async () => {
    fixture.emulator.faults.inject({ times: 10, action: { kind: 'reset' } });
    expectError(await show(SEEDED.modelarts.custom), 502, 'UPSTREAM_UNAVAILABLE');
  });

  it('a 400 other than not-found is not retried', async () => {
    fixture.emulator.faults.inject({
      times: 10,
      action: {
        kind: 'status',
        status: 400,
        body: { error_code: 'ModelArts.6400', error_msg: 'bad' },
      },
    });
    expectError(await show(SEEDED.modelarts.custom), 502, 'UPSTREAM_BAD_RESPONSE');
    expect(fixture.emulator.requests).toHaveLength(1);
  });

  it.each([
    ['not JSON', '<html>oops</html>'],
    ['not an image', '{"hello":"world"}'],
    [
      'another image',
      JSON.stringify({
        id: SEEDED.modelarts.builtIn,
        name: 'x',
        status: 'ACTIVE',
        type: 'BUILD_IN',
      }),
    ],
  ])('502 UPSTREAM_BAD_RESPONSE for a 200 that is %s', async (_label, body) => {
    fixture.emulator.faults.inject({ action: { kind: 'malformed', body } });
    expectError(await show(SEEDED.modelarts.custom), 502, 'UPSTREAM_BAD_RESPONSE');
  });

  it('504 UPSTREAM_TIMEOUT when the provider stalls past the time left', async () => {
    fixture.emulator.faults.inject({ times: 10, action: { kind: 'stall' } });
    // The stall never answers: only the invocation's deadline can end the call (a handler that
    // ignored it would hang until the test's timeout).
    expectError(await show(SEEDED.modelarts.custom, {}, 1_500), 504, 'UPSTREAM_TIMEOUT');
  });

  it('400 INVALID_REQUEST naming the configured regions when the region has no project', async () => {
    // With an endpoint override any well-formed region is accepted; this one has no project ID:
    // the caller chose it, so it is the caller's mistake, not the deployment's.
    const error = expectError(
      await show(SEEDED.modelarts.custom, { region: 'mars-north-1' }),
      400,
      'INVALID_REQUEST',
    );
    expect(error.message).toContain(`configured: ${DEMO_MODELARTS.region}`);
    expect(fixture.emulator.requests).toHaveLength(0);
  });

  it('400 INVALID_REQUEST for a known region without a project (no endpoint override needed)', async () => {
    const error = expectError(
      await remove(SEEDED.modelarts.custom, { region: 'cn-north-1' }),
      400,
      'INVALID_REQUEST',
    );
    expect(error.message).toMatch(/region: 'cn-north-1' is not configured for modelarts/);
    expect(fixture.emulator.requests).toHaveLength(0);
  });

  it('500 CONFIGURATION_ERROR for a default region outside the endpoint table, naming where it is set but not its value (the log line has it)', async () => {
    // Prepare: no endpoint override, and a default region (from the deployment's configuration,
    // which may be the credentials secret) that no ModelArts endpoint serves.
    const handler = await fixture.fresh(
      { MODELARTS_ENDPOINT: undefined, HUAWEICLOUD_REGION: 'xx-secret-region-9' },
      async () => (await import('../../functions/http/show-image.js')).handler,
    );

    // Act
    const response = parseResult(
      await handler(httpEvent('GET', 'modelarts', SEEDED.modelarts.custom), lambdaContext()),
    );

    // Assess: the operator's mistake; the caller is told what, never the configured value.
    const error = expectError(response, 500, 'CONFIGURATION_ERROR');
    expect(error.message).toMatch(/default modelarts region/);
    expect(error.message).not.toContain('xx-secret-region-9');
    expect(JSON.stringify(fixture.log.lines.at(-1))).toContain('xx-secret-region-9');
    expect(fixture.emulator.requests).toHaveLength(0);
  });
});

describe('logging', () => {
  it('writes one line per request and never a credential or signature', async () => {
    await show(SEEDED.modelarts.custom);
    fixture.emulator.faults.inject({
      times: 5,
      action: { kind: 'status', status: 401, body: { error_code: 'APIGW.0301' } },
    });
    await show(SEEDED.modelarts.custom);
    expect(fixture.log.raw).toHaveLength(2);
    const [ok, failed] = fixture.log.lines;
    expect(ok).toMatchObject({
      operation: 'show',
      provider: 'modelarts',
      status: 200,
      upstreamCalls: 1,
      upstreamRetries: 0,
    });
    // The one re-signed retry after the rejection counts as a retry.
    expect(failed).toMatchObject({
      status: 502,
      error: 'UpstreamAuthFailed',
      upstreamCalls: 1,
      upstreamRetries: 1,
    });
    const all = fixture.log.raw.join('\n');
    expect(all).not.toContain(DEMO_MODELARTS.secretAccessKey);
    for (const request of fixture.emulator.requests) {
      const signature = /Signature=([0-9a-f]{64})/.exec(request.headers.authorization ?? '')?.[1];
      expect(signature).toBeDefined();
      expect(all).not.toContain(signature);
    }
  });
});
