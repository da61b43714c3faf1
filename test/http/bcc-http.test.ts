// The HTTP handlers end to end for BCC, through the emulator: every outcome in the seed's error
// table and each error of the spec that a BCC call can produce, with the documented status and body.

import { describe, expect, it } from 'vitest';
import { DEMO_BCC, SEEDED } from '../../emulator/demo.js';
import { handler as deleteHandler } from '../../functions/http/delete-image.js';
import { handler as showHandler } from '../../functions/http/show-image.js';
import {
  httpEvent,
  lambdaContext,
  type ParsedResponse,
  parseResult,
} from '../../scripts/lambda-events.js';
import { useFixture } from '../support/fixture.js';

const fixture = useFixture({
  env: { UPSTREAM_RETRY_BASE_MS: '5', UPSTREAM_THROTTLE_BASE_MS: '5' },
});

const show = async (imageId: string, query: Record<string, string> = {}, remainingMs?: number) =>
  parseResult(
    await showHandler(httpEvent('GET', 'bcc', imageId, query), lambdaContext(remainingMs)),
  );

const remove = async (imageId: string, query: Record<string, string> = {}) =>
  parseResult(await deleteHandler(httpEvent('DELETE', 'bcc', imageId, query), lambdaContext()));

const deletesReceived = () =>
  fixture.emulator.requests.filter((request) => request.method === 'DELETE');

interface ErrorBody {
  code: string;
  message: string;
  requestId: string;
  upstreamRequestId?: string;
}

const expectError = (response: ParsedResponse, status: number, code: string): ErrorBody => {
  expect(response.status).toBe(status);
  const error = response.body.error as ErrorBody;
  expect(error.code).toBe(code);
  expect(error.requestId).toMatch(/^[0-9a-f-]{36}$/);
  return error;
};

const bceError = (status: number, code: string, message = code) => ({
  kind: 'status' as const,
  status,
  body: { requestId: 'bce-req-0001', code, message },
});

describe('GET /images/bcc/{imageId}', () => {
  it.each([
    [SEEDED.bcc.system, 'available', 'system', 'Available'],
    [SEEDED.bcc.custom, 'available', 'custom', 'Available'],
    [SEEDED.bcc.creating, 'creating', 'custom', 'Creating'],
    [SEEDED.bcc.sharedToOthers, 'available', 'custom', 'Available'],
  ])('shows %s as %s/%s', async (id, status, kind, providerStatus) => {
    const response = await show(id);
    expect(response.status).toBe(200);
    expect(response.body.image).toMatchObject({
      provider: 'bcc',
      region: 'bj',
      id,
      status,
      kind,
      providerStatus,
    });
  });

  it('turns createTime into createdAt and keeps the record whole', async () => {
    const response = await show(SEEDED.bcc.system);
    expect(response.body.image).toMatchObject({
      createdAt: '2015-06-17T10:37:02.000Z',
      details: { osName: 'Ubuntu', type: 'System', createTime: '2015-06-17T10:37:02Z' },
    });
  });

  it('404 IMAGE_NOT_FOUND (NoSuchObject), with the provider request id', async () => {
    const error = expectError(await show('m-missing0'), 404, 'IMAGE_NOT_FOUND');
    expect(error.upstreamRequestId).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('DELETE /images/bcc/{imageId}', () => {
  it('deletes a custom image; deleting it again is a 404', async () => {
    const first = await remove(SEEDED.bcc.custom);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ outcome: 'deleted', image: { id: SEEDED.bcc.custom } });
    expectError(await remove(SEEDED.bcc.custom), 404, 'IMAGE_NOT_FOUND');
    expect(fixture.emulator.state.deleteCount('bcc', SEEDED.bcc.custom)).toBe(1);
  });

  it('refuses a system image with 403 before any delete is sent', async () => {
    expectError(await remove(SEEDED.bcc.system), 403, 'IMAGE_PROTECTED');
    expect(deletesReceived()).toHaveLength(0);
  });

  it('refuses an image shared with us by another account (Sharing) before any delete is sent', async () => {
    const base = fixture.emulator.state.bcc.get(SEEDED.bcc.custom);
    fixture.emulator.state.bcc.set({ ...base, id: 'm-sharing01', name: 'theirs', type: 'Sharing' });
    const error = expectError(await remove('m-sharing01'), 403, 'IMAGE_PROTECTED');
    // Named for what it is (only its owner can delete it), not as a kind this service does not know.
    expect(error.message).toMatch(/shared with this account by another/);
    expect(deletesReceived()).toHaveLength(0);
  });

  it('keeps an image whose status is the name of an Object method (constructor): unknown, not known', async () => {
    // Prepare: a custom image in a state BCC does not document, spelt like Object's own keys.
    const base = fixture.emulator.state.bcc.get(SEEDED.bcc.custom);
    fixture.emulator.state.bcc.set({
      ...base,
      id: 'm-oddstate01',
      name: 'odd',
      status: 'constructor',
    });

    // Act
    const error = expectError(await remove('m-oddstate01'), 403, 'IMAGE_PROTECTED');

    // Assess: an unknown state is kept.
    expect(error.message).toMatch(/state this service does not recognise/);
    expect(deletesReceived()).toHaveLength(0);
  });

  it('refuses an image still being created with 409 before any delete is sent', async () => {
    expectError(await remove(SEEDED.bcc.creating), 409, 'IMAGE_BUSY');
    expect(deletesReceived()).toHaveLength(0);
  });

  it('409 IMAGE_BUSY for an image shared to others (Image.ImageHasBeenSharedToOthers), message kept', async () => {
    const error = expectError(await remove(SEEDED.bcc.sharedToOthers), 409, 'IMAGE_BUSY');
    expect(error.message).toContain('Image has been shared to others.');
    expect(deletesReceived()).toHaveLength(1);
    expect(error.upstreamRequestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('409 IMAGE_BUSY when BCC says the image is being created (Image.CreatingImageCannotBeDeleted)', async () => {
    fixture.emulator.faults.inject({
      match: { method: 'DELETE' },
      action: bceError(
        409,
        'Image.CreatingImageCannotBeDeleted',
        'Cannot delete image when creating.',
      ),
    });
    const error = expectError(await remove(SEEDED.bcc.custom), 409, 'IMAGE_BUSY');
    expect(error.message).toContain('Cannot delete image when creating.');
    expect(error.upstreamRequestId).toBeDefined();
  });

  it('403 IMAGE_PROTECTED when BCC refuses a non-custom image (Image.UnCustomImageCannotBeDeleted)', async () => {
    fixture.emulator.faults.inject({
      match: { method: 'DELETE' },
      action: bceError(
        403,
        'Image.UnCustomImageCannotBeDeleted',
        'Only custom image can be deleted.',
      ),
    });
    const error = expectError(await remove(SEEDED.bcc.custom), 403, 'IMAGE_PROTECTED');
    expect(error.message).toContain('Only custom image can be deleted.');
  });

  it('a 404 on the delete itself (gone in between) is a 404 over HTTP', async () => {
    fixture.emulator.faults.inject({
      match: { method: 'DELETE' },
      action: bceError(404, 'NoSuchObject'),
    });
    expectError(await remove(SEEDED.bcc.custom), 404, 'IMAGE_NOT_FOUND');
  });

  it('dryRun checks and deletes nothing', async () => {
    const response = await remove(SEEDED.bcc.custom, { dryRun: 'true' });
    expect(response.body).toMatchObject({ outcome: 'dry-run' });
    expect(deletesReceived()).toHaveLength(0);
  });
});

describe('bad input: 400 naming the field, no upstream request', () => {
  it.each([
    ['imageId', 'm-'],
    ['imageId', 'm-abc_def'],
    ['imageId', 'c9ab2b2f-edda-4556-bdbb-494e868d043c'],
    ['imageId', `m-${'a'.repeat(33)}`],
  ])('%s %s', async (field, id) => {
    const error = expectError(await show(id), 400, 'INVALID_REQUEST');
    expect(error.message).toContain(field);
    expect(fixture.emulator.requests).toHaveLength(0);
  });

  it('force is ModelArts-only', async () => {
    const error = expectError(
      await remove(SEEDED.bcc.custom, { force: 'true' }),
      400,
      'INVALID_REQUEST',
    );
    expect(error.message).toContain('force');
    expect(fixture.emulator.requests).toHaveLength(0);
  });

  it('a malformed region', async () => {
    const error = expectError(
      await show(SEEDED.bcc.custom, { region: 'BJ' }),
      400,
      'INVALID_REQUEST',
    );
    expect(error.message).toContain('region');
    expect(fixture.emulator.requests).toHaveLength(0);
  });

  it('an event with no request context (invoked directly, not through API Gateway) is a 400 naming the missing fields, not a TypeError', async () => {
    // Prepare
    const { requestContext: _left, ...event } = httpEvent('DELETE', 'bcc', SEEDED.bcc.custom);

    // Act
    const response = parseResult(
      await deleteHandler(
        { ...event, pathParameters: {} } as unknown as Parameters<typeof deleteHandler>[0],
        lambdaContext(),
      ),
    );

    // Assess
    const error = expectError(response, 400, 'INVALID_REQUEST');
    expect(error.message).toBe('provider: is required; imageId: is required');
    expect(fixture.emulator.requests).toHaveLength(0);
  });
});

describe('faults upstream', () => {
  it.each([
    [400, 'SignatureDoesNotMatch'],
    [400, 'RequestExpired'],
    [403, 'InvalidAccessKeyId'],
    [403, 'AccessDenied'],
    [403, 'RequestTimeTooSkewed'],
    // BCC's documented answer to an Authorization header it cannot read: our signature, rejected.
    [400, 'InvalidHTTPAuthHeader'],
  ])('%i %s is 502 UPSTREAM_AUTH_FAILED after one re-signed retry', async (status, code) => {
    fixture.emulator.faults.inject({ times: 5, action: bceError(status, code) });
    const error = expectError(await show(SEEDED.bcc.custom), 502, 'UPSTREAM_AUTH_FAILED');
    expect(error.message).toContain(code);
    expect(fixture.emulator.requests).toHaveLength(2);
  });

  it.each([
    ['OptInRequired', 'The service has not been opened for this account.'],
    ['QualifyNotPass', 'The User has not pass qualify.'],
  ])(
    '403 %s (BCC refusing the account the call: documented, not credentials) is 502 UPSTREAM_AUTH_FAILED at once, not UPSTREAM_BAD_RESPONSE',
    async (code, message) => {
      // Prepare: BCC refuses the key the call, with its own error body and a documented code.
      fixture.emulator.faults.inject({ times: 5, action: bceError(403, code, message) });

      // Act
      const shown = await show(SEEDED.bcc.custom);
      const deleted = await remove(SEEDED.bcc.custom);

      // Assess: the key was refused (a documented reply, not an undocumented one); nothing retried
      // (the same key would be refused again), nothing deleted.
      const error = expectError(shown, 502, 'UPSTREAM_AUTH_FAILED');
      expect(error.message).toContain(code);
      expectError(deleted, 502, 'UPSTREAM_AUTH_FAILED');
      expect(fixture.emulator.requests).toHaveLength(2);
      expect(deletesReceived()).toEqual([]);
    },
  );

  it('a 403 that is not BCC’s error body (a proxy’s HTML page) is 502 UPSTREAM_BAD_RESPONSE, not UPSTREAM_AUTH_FAILED', async () => {
    // Prepare: something in front of BCC refuses every call with a page of its own.
    fixture.emulator.faults.inject({
      times: 5,
      action: { kind: 'status', status: 403, body: '<html><body>403 Forbidden</body></html>' },
    });

    // Act
    const shown = await show(SEEDED.bcc.custom);
    const deleted = await remove(SEEDED.bcc.custom);

    // Assess: an undocumented reply, not our key refused; nothing deleted.
    expectError(shown, 502, 'UPSTREAM_BAD_RESPONSE');
    expectError(deleted, 502, 'UPSTREAM_BAD_RESPONSE');
    expect(deletesReceived()).toEqual([]);
  });

  it('a cloud that puts our access key in its error code or request id: neither is repeated in the answer', async () => {
    // Prepare: an error code and a request id in the shape BCC gives them, each holding the key.
    const key = DEMO_BCC.accessKeyId;
    fixture.emulator.faults.inject({
      times: 5,
      action: {
        kind: 'status' as const,
        status: 403,
        body: { requestId: `req-${key.toUpperCase()}`, code: `Denied.${key}`, message: 'denied' },
      },
    });

    // Act
    const shown = await show(SEEDED.bcc.custom);

    // Assess: before, the code went into the message and the request id into the answer whole.
    const error = expectError(shown, 502, 'UPSTREAM_AUTH_FAILED');
    const answer = JSON.stringify(shown.body);
    expect(answer.toLowerCase()).not.toContain(key.toLowerCase());
    expect(error.message).toContain('Denied.[redacted]');
  });

  it('a real signature rejection (wrong secret key) is 502 UPSTREAM_AUTH_FAILED', async () => {
    fixture.setEnv({ BCE_SECRET_ACCESS_KEY: 'not-the-right-secret-key-000000' });
    expectError(await show(SEEDED.bcc.custom), 502, 'UPSTREAM_AUTH_FAILED');
    expect(fixture.emulator.requests.map((request) => request.status)).toEqual([400, 400]);
  });

  it('503 UPSTREAM_THROTTLED with Retry-After when 429 persists; clears otherwise', async () => {
    fixture.emulator.faults.inject({ times: 3, action: { kind: 'status', status: 429 } });
    const response = await show(SEEDED.bcc.custom);
    expectError(response, 503, 'UPSTREAM_THROTTLED');
    expect(response.headers['retry-after']).toBeDefined();
    fixture.emulator.faults.inject({ times: 1, action: { kind: 'status', status: 429 } });
    expect((await show(SEEDED.bcc.custom)).status).toBe(200);
  });

  it.each([500, 502, 503, 504])('502 UPSTREAM_UNAVAILABLE when %i persists', async (status) => {
    fixture.emulator.faults.inject({ times: 3, action: { kind: 'status', status } });
    expectError(await show(SEEDED.bcc.custom), 502, 'UPSTREAM_UNAVAILABLE');
  });

  it('502 UPSTREAM_BAD_RESPONSE for a reply that is not an image', async () => {
    fixture.emulator.faults.inject({
      action: { kind: 'malformed', body: '{"image":{"id":"m-custom01"}}' },
    });
    expectError(await show(SEEDED.bcc.custom), 502, 'UPSTREAM_BAD_RESPONSE');
  });

  it('504 UPSTREAM_TIMEOUT when BCC stalls past the time left', async () => {
    fixture.emulator.faults.inject({ times: 5, action: { kind: 'stall' } });
    expectError(await show(SEEDED.bcc.custom, {}, 1_200), 504, 'UPSTREAM_TIMEOUT');
  });

  it('500 CONFIGURATION_ERROR when no BCC credentials are configured', async () => {
    fixture.setEnv({ BCE_ACCESS_KEY_ID: undefined });
    const error = expectError(await show(SEEDED.bcc.custom), 500, 'CONFIGURATION_ERROR');
    expect(error.message).toContain('BCE_ACCESS_KEY_ID');
    expect(fixture.emulator.requests).toHaveLength(0);
  });

  it('the provider request id reaches the log line', async () => {
    await show(SEEDED.bcc.custom);
    const [line] = fixture.log.lines;
    expect(line).toMatchObject({ provider: 'bcc', status: 200 });
    expect(line?.upstreamRequestId).toMatch(/^[0-9a-f-]{36}$/);
  });
});
