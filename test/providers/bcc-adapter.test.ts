// The BCC adapter over real HTTP: real undici, real bce-auth-v1 signatures, against the provider
// emulator on loopback. Every outcome the adapter can produce is produced here, from the emulator's
// own behaviour where it has one and from injected faults otherwise.

import { describe, expect, it } from 'vitest';
import { DEMO_BCC, SEEDED } from '../../emulator/demo.js';
import type { BccImageRecord } from '../../emulator/types.js';
import {
  type CredentialStore,
  createCredentialStore,
} from '../../lib/credentials/credential-store.js';
import {
  ConfigurationError,
  ImageBusy,
  type ImageError,
  ImageNotFound,
  ImageProtected,
  InvalidRequest,
  UpstreamAuthFailed,
  UpstreamBadResponse,
  UpstreamThrottled,
  UpstreamTimeout,
  UpstreamUnavailable,
} from '../../lib/errors/errors.js';
import { deadlineIn } from '../../lib/http/deadline.js';
import { type RawResponse, type Transport, undiciTransport } from '../../lib/http/transport.js';
import type { CallContext, ImageProvider } from '../../lib/images/provider-port.js';
import { bccCloud } from '../../lib/providers/bcc/cloud.js';
import type { OutboundRequest } from '../../lib/wire/outbound-request.js';
import { useFixture } from '../support/fixture.js';
import { rejectionOf } from '../support/outcomes.js';
import { FAST_RETRY_POLICY } from '../support/retry-policy.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const policy = FAST_RETRY_POLICY;

const fixture = useFixture({ demoEnv: false });

interface Setup {
  provider: ImageProvider;
  invalidated: string[];
}

/** A provider on the demo credentials (or others), with `invalidate` calls counted. */
const setup = (
  options: {
    env?: Record<string, string>;
    endpointOverride?: string | null;
    now?: () => Date;
  } = {},
): Setup => {
  const store = createCredentialStore({
    env: {
      BCE_ACCESS_KEY_ID: DEMO_BCC.accessKeyId,
      BCE_SECRET_ACCESS_KEY: DEMO_BCC.secretAccessKey,
      BCE_REGION: 'bj',
      ...options.env,
    },
  });
  const invalidated: string[] = [];
  const credentials: CredentialStore = {
    get: (section, within) => store.get(section, within),
    usesSecret: () => store.usesSecret(),
    invalidate: (key) => {
      invalidated.push(key);
      store.invalidate(key);
    },
  };
  const endpointOverride =
    options.endpointOverride === null
      ? undefined
      : (options.endpointOverride ?? fixture.emulator.url);
  const provider = bccCloud.createProvider({
    credentials,
    endpointOverride,
    ...(options.now === undefined ? {} : { now: options.now }),
  });
  return { provider, invalidated };
};

const contextWith = (transport: Transport = undiciTransport, ms = 5000): CallContext => ({
  deadline: deadlineIn(ms),
  policy,
  transport,
  calls: [],
});

const rejection = (promise: Promise<unknown>) => rejectionOf<ImageError>(promise);

const show = (id: string, context = contextWith(), provider = setup().provider) =>
  provider.show(id, 'bj', context);

/** Show, then delete what was shown (the order operations.ts uses); only the delete is recorded. */
const remove = async (id: string, context = contextWith(), provider = setup().provider) => {
  const image = await show(id, contextWith(), provider);
  fixture.emulator.requests.length = 0;
  return provider.remove(image, { force: false }, context);
};

const bceBody = (code: string, message: string, requestId = 'body-request-id') => ({
  requestId,
  code,
  message,
});

describe('show', () => {
  it('shows the seeded system image (the documented example) normalised, its record kept whole', async () => {
    const context = contextWith();
    const image = await show(SEEDED.bcc.system, context);
    expect(image).toEqual({
      provider: 'bcc',
      region: 'bj',
      id: 'm-nky7qeom',
      name: 'ubuntu-14.04.1-server-amd64-201506171832',
      status: 'available',
      providerStatus: 'Available',
      kind: 'system',
      createdAt: '2015-06-17T10:37:02.000Z',
      details: fixture.emulator.state.bcc.get(SEEDED.bcc.system),
    });
    const [request] = fixture.emulator.requests;
    expect(fixture.emulator.requests).toHaveLength(1);
    expect(request).toMatchObject({ provider: 'bcc', method: 'GET', path: '/v2/image/m-nky7qeom' });
    expect(request?.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(request?.headers.authorization).toMatch(
      new RegExp(
        `^bce-auth-v1/${DEMO_BCC.accessKeyId}/\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ/1800/`,
      ),
    );
    expect(request?.headers['x-bce-date']).toBeDefined();
    expect(context.calls).toEqual([
      {
        operation: 'show',
        status: 200,
        requestId: expect.stringMatching(UUID),
        attempts: 1,
        durationMs: expect.any(Number),
      },
    ]);
  });

  it.each([
    [
      SEEDED.bcc.custom,
      'my-custom-ubuntu',
      'available',
      'Available',
      'custom',
      '2024-03-01T08:00:00.000Z',
    ],
    [
      SEEDED.bcc.creating,
      'my-custom-ubuntu-wip',
      'creating',
      'Creating',
      'custom',
      '2024-03-02T08:00:00.000Z',
    ],
    [
      SEEDED.bcc.sharedToOthers,
      'my-shared-ubuntu',
      'available',
      'Available',
      'custom',
      '2024-03-03T08:00:00.000Z',
    ],
  ])('shows seeded image %s', async (id, name, status, providerStatus, kind, createdAt) => {
    const image = await show(id);
    expect(image).toMatchObject({
      provider: 'bcc',
      region: 'bj',
      id,
      name,
      status,
      providerStatus,
      kind,
      createdAt,
    });
    expect(image.details).toEqual(fixture.emulator.state.bcc.get(id));
  });

  it('a missing image is ImageNotFound, carrying the provider request id', async () => {
    const context = contextWith();
    const error = await rejection(show('m-nosuchimage', context));
    expect(error).toBeInstanceOf(ImageNotFound);
    expect(error.message).toContain('m-nosuchimage');
    expect(error.upstream).toEqual({
      provider: 'bcc',
      status: 404,
      code: 'NoSuchObject',
      requestId: expect.stringMatching(UUID),
      attempts: 1,
    });
    expect(context.calls[0]).toMatchObject({
      status: 404,
      requestId: error.upstream?.requestId,
      attempts: 1,
    });
  });

  it('accepts unknown type and status values, extra fields and nulls, and keeps them', async () => {
    const record = {
      ...(fixture.emulator.state.bcc.get(SEEDED.bcc.custom) as BccImageRecord),
      id: 'm-future01',
      type: 'QuantumBccCustom',
      status: 'Migrating',
      snapshots: [{ id: 's-1', sizeInGB: 40 }],
      desc: null,
      brandNewField: { nested: [1, 2, 3] },
    };
    fixture.emulator.state.bcc.set(record);
    const image = await show('m-future01');
    expect(image).toMatchObject({ status: 'unknown', providerStatus: 'Migrating', kind: 'other' });
    expect(image.details).toEqual(record);
  });

  it('the request id comes from the x-bce-request-id header first', async () => {
    fixture.emulator.faults.inject({
      match: { provider: 'bcc' },
      action: {
        kind: 'status',
        status: 404,
        headers: { 'x-bce-request-id': 'header-request-id' },
        body: bceBody(
          'NoSuchObject',
          'The specified object is not found or resource do not exist.',
        ),
      },
    });
    const error = await rejection(show(SEEDED.bcc.custom));
    expect(error).toBeInstanceOf(ImageNotFound);
    expect(error.upstream?.requestId).toBe('header-request-id');
  });

  it('the request id falls back to the body requestId when the header is absent', async () => {
    // A stub transport: the emulator, as BCC does, always sends x-bce-request-id.
    const transport: Transport = async () => ({
      status: 404,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(bceBody('NoSuchObject', 'gone', 'only-in-body')),
    });
    const context = contextWith(transport);
    const error = await rejection(show(SEEDED.bcc.custom, context));
    expect(error).toBeInstanceOf(ImageNotFound);
    expect(error.upstream?.requestId).toBe('only-in-body');
    expect(context.calls[0]?.requestId).toBe('only-in-body');
  });

  it.each([
    ['not JSON', 'this is not json', /not JSON/],
    ['no image member', JSON.stringify({ images: [] }), /bad or missing: image/],
    [
      'an image without name, type or status',
      JSON.stringify({ image: { id: SEEDED.bcc.custom } }),
      /image\.name/,
    ],
    [
      'a wrongly typed field',
      JSON.stringify({
        image: {
          id: SEEDED.bcc.custom,
          name: 'x',
          type: 'Custom',
          status: 'Available',
          diskSize: '40',
        },
      }),
      /image\.diskSize/,
    ],
    ['an array', '[]', /not an image/],
  ])('a 200 reply that is %s is UpstreamBadResponse', async (_what, body, message) => {
    fixture.emulator.faults.inject({
      match: { provider: 'bcc' },
      action: { kind: 'malformed', body },
    });
    const error = await rejection(show(SEEDED.bcc.custom));
    expect(error).toBeInstanceOf(UpstreamBadResponse);
    expect(error.message).toMatch(message);
    expect(error.message).not.toContain(body);
    expect(error.upstream).toMatchObject({
      provider: 'bcc',
      status: 200,
      requestId: expect.stringMatching(UUID),
    });
  });

  it('a reply about another image than the one asked for is UpstreamBadResponse', async () => {
    const other = fixture.emulator.state.bcc.get(SEEDED.bcc.system);
    fixture.emulator.faults.inject({
      match: { provider: 'bcc' },
      action: { kind: 'malformed', body: JSON.stringify({ image: other }) },
    });
    const error = await rejection(show(SEEDED.bcc.custom));
    expect(error).toBeInstanceOf(UpstreamBadResponse);
    expect(error.message).toMatch(/different image/);
  });

  it('a truncated reply is retried and then UpstreamUnavailable', async () => {
    fixture.emulator.faults.inject({
      match: { provider: 'bcc' },
      times: 10,
      action: { kind: 'truncated' },
    });
    const error = await rejection(show(SEEDED.bcc.custom));
    expect(error).toBeInstanceOf(UpstreamUnavailable);
    expect(fixture.emulator.requests).toHaveLength(3);
  });
});

describe('delete', () => {
  it('deletes a custom image (200, no body → undefined); it is then gone', async () => {
    const context = contextWith();
    await expect(remove(SEEDED.bcc.custom, context)).resolves.toBeUndefined();
    expect(fixture.emulator.state.deleteCount('bcc', SEEDED.bcc.custom)).toBe(1);
    expect(fixture.emulator.requests).toHaveLength(1);
    expect(fixture.emulator.requests[0]).toMatchObject({
      method: 'DELETE',
      path: '/v2/image/m-custom01',
      body: '',
      status: 200,
    });
    expect(fixture.emulator.requests[0]?.query).toEqual([]);
    expect(context.calls).toEqual([
      {
        operation: 'delete',
        status: 200,
        requestId: expect.stringMatching(UUID),
        attempts: 1,
        durationMs: expect.any(Number),
      },
    ]);
    const error = await rejection(show(SEEDED.bcc.custom));
    expect(error).toBeInstanceOf(ImageNotFound);
  });

  it('deleting again is ImageNotFound', async () => {
    const { provider } = setup();
    const image = await show(SEEDED.bcc.custom, contextWith(), provider);
    await provider.remove(image, { force: false }, contextWith());
    const error = await rejection(provider.remove(image, { force: false }, contextWith()));
    expect(error).toBeInstanceOf(ImageNotFound);
    expect(error.upstream).toMatchObject({
      status: 404,
      code: 'NoSuchObject',
      requestId: expect.stringMatching(UUID),
    });
    expect(fixture.emulator.state.deleteCount('bcc', SEEDED.bcc.custom)).toBe(1);
  });

  it('a system image: 403 Image.UnCustomImageCannotBeDeleted → ImageProtected', async () => {
    const error = await rejection(remove(SEEDED.bcc.system));
    expect(error).toBeInstanceOf(ImageProtected);
    expect(error.message).toContain('Only custom image can be deleted.');
    expect(error.upstream).toMatchObject({
      provider: 'bcc',
      status: 403,
      code: 'Image.UnCustomImageCannotBeDeleted',
      requestId: expect.stringMatching(UUID),
      attempts: 1,
    });
    expect(fixture.emulator.state.bcc.has(SEEDED.bcc.system)).toBe(true);
  });

  it('an image being created: 409 Image.CreatingImageCannotBeDeleted → ImageBusy, message kept', async () => {
    const error = await rejection(remove(SEEDED.bcc.creating));
    expect(error).toBeInstanceOf(ImageBusy);
    expect(error.message).toBe(
      'BCC cannot delete image m-creating01 now: Cannot delete image when creating.',
    );
    expect(error.upstream).toMatchObject({
      status: 409,
      code: 'Image.CreatingImageCannotBeDeleted',
    });
  });

  it('an image shared to others: 409 Image.ImageHasBeenSharedToOthers → ImageBusy, message kept', async () => {
    const error = await rejection(remove(SEEDED.bcc.sharedToOthers));
    expect(error).toBeInstanceOf(ImageBusy);
    expect(error.message).toContain('Image has been shared to others.');
    expect(error.upstream).toMatchObject({ status: 409, code: 'Image.ImageHasBeenSharedToOthers' });
    expect(fixture.emulator.state.bcc.has(SEEDED.bcc.sharedToOthers)).toBe(true);
  });

  it('a provider message kept in ours is bounded and single-line', async () => {
    fixture.emulator.faults.inject({
      match: { provider: 'bcc', method: 'DELETE' },
      action: {
        kind: 'status',
        status: 409,
        body: bceBody('Image.CreatingImageCannotBeDeleted', `line one\n\n${'x'.repeat(500)}`),
      },
    });
    const error = await rejection(remove(SEEDED.bcc.custom));
    expect(error).toBeInstanceOf(ImageBusy);
    expect(error.message).not.toContain('\n');
    expect(error.message).toContain('line one x');
    expect(error.message.length).toBeLessThan(300);
  });

  it('a final record sent with the 200 is used when it is one, ignored when it is not', async () => {
    const record = fixture.emulator.state.bcc.get(SEEDED.bcc.custom);
    fixture.emulator.faults.inject({
      match: { provider: 'bcc', method: 'DELETE' },
      action: {
        kind: 'malformed',
        body: JSON.stringify({ image: { ...record, status: 'NotAvailable' } }),
      },
    });
    const final = await remove(SEEDED.bcc.custom);
    expect(final).toMatchObject({
      id: SEEDED.bcc.custom,
      status: 'unavailable',
      providerStatus: 'NotAvailable',
    });

    fixture.emulator.faults.inject({
      match: { provider: 'bcc', method: 'DELETE' },
      action: { kind: 'malformed', body: '<html>' },
    });
    await expect(remove(SEEDED.bcc.custom)).resolves.toBeUndefined();
  });

  it('an undocumented status is UpstreamBadResponse naming status and code', async () => {
    fixture.emulator.faults.inject({
      match: { provider: 'bcc', method: 'DELETE' },
      action: { kind: 'status', status: 412, body: bceBody('PreconditionFailed', 'nope') },
    });
    const error = await rejection(remove(SEEDED.bcc.custom));
    expect(error).toBeInstanceOf(UpstreamBadResponse);
    expect(error.message).toBe(
      'BCC answered delete with HTTP 412 PreconditionFailed, which it does not document',
    );
    expect(error.upstream).toMatchObject({ status: 412, code: 'PreconditionFailed', attempts: 1 });
    expect(fixture.emulator.requests).toHaveLength(1);
  });

  it('a non-JSON error body still gives an UpstreamBadResponse with the status', async () => {
    fixture.emulator.faults.inject({
      match: { provider: 'bcc', method: 'DELETE' },
      action: { kind: 'status', status: 418, body: '<html>teapot</html>' },
    });
    const error = await rejection(remove(SEEDED.bcc.custom));
    expect(error).toBeInstanceOf(UpstreamBadResponse);
    expect(error.message).toBe('BCC answered delete with HTTP 418, which it does not document');
    expect(error.upstream?.requestId).toMatch(UUID);
  });
});

describe('credentials and signatures', () => {
  it.each([
    ['SignatureDoesNotMatch', 400],
    ['RequestExpired', 400],
    ['InvalidAccessKeyId', 403],
    ['AccessDenied', 403],
    ['RequestTimeTooSkewed', 403],
  ])(
    '%s (%i) → one re-signed retry after invalidating, then UpstreamAuthFailed',
    async (code, status) => {
      const secretish = `echo of ${DEMO_BCC.accessKeyId} and Timestamp date is 2026-01-01T00:00:00Z`;
      fixture.emulator.faults.inject({
        match: { provider: 'bcc' },
        times: 5,
        action: { kind: 'status', status, body: bceBody(code, secretish) },
      });
      let tick = Date.now();
      const now = () => {
        tick += 1000;
        return new Date(tick);
      };
      const { provider, invalidated } = setup({ now });
      const context = contextWith();
      const error = await rejection(provider.show(SEEDED.bcc.custom, 'bj', context));
      expect(error).toBeInstanceOf(UpstreamAuthFailed);
      expect(error.message).toBe(`BCC rejected our credentials or signature (${code})`);
      expect(error.message).not.toContain('echo');
      expect(error.upstream).toEqual({
        provider: 'bcc',
        status,
        code,
        requestId: expect.stringMatching(UUID),
        attempts: 2,
      });
      expect(invalidated).toEqual(['bcc']);
      expect(fixture.emulator.requests).toHaveLength(2);
      // Signed afresh: each attempt carries its own date and signature.
      const [first, second] = fixture.emulator.requests;
      expect(first?.headers['x-bce-date']).not.toBe(second?.headers['x-bce-date']);
      expect(first?.headers.authorization).not.toBe(second?.headers.authorization);
      expect(context.calls[0]).toMatchObject({
        status,
        attempts: 2,
        requestId: error.upstream?.requestId,
      });
    },
  );

  it('an auth rejection that clears on the re-signed retry succeeds', async () => {
    fixture.emulator.faults.inject({
      match: { provider: 'bcc' },
      action: { kind: 'status', status: 403, body: bceBody('RequestTimeTooSkewed', 'skewed') },
    });
    const { provider, invalidated } = setup();
    const context = contextWith();
    await expect(provider.show(SEEDED.bcc.custom, 'bj', context)).resolves.toMatchObject({
      id: SEEDED.bcc.custom,
    });
    expect(invalidated).toEqual(['bcc']);
    expect(context.calls[0]).toMatchObject({ status: 200, attempts: 2 });
  });

  it('a wrong secret key is refused by the emulator: SignatureDoesNotMatch → UpstreamAuthFailed', async () => {
    const { provider, invalidated } = setup({ env: { BCE_SECRET_ACCESS_KEY: 'not-the-secret' } });
    const error = await rejection(provider.show(SEEDED.bcc.custom, 'bj', contextWith()));
    expect(error).toBeInstanceOf(UpstreamAuthFailed);
    expect(error.upstream).toMatchObject({
      status: 400,
      code: 'SignatureDoesNotMatch',
      attempts: 2,
    });
    expect(invalidated).toEqual(['bcc']);
  });

  it('an unknown access key is refused by the emulator: InvalidAccessKeyId → UpstreamAuthFailed', async () => {
    const { provider } = setup({ env: { BCE_ACCESS_KEY_ID: 'unknownak0000000000000000000000' } });
    const error = await rejection(provider.show(SEEDED.bcc.custom, 'bj', contextWith()));
    expect(error).toBeInstanceOf(UpstreamAuthFailed);
    expect(error.upstream).toMatchObject({ status: 403, code: 'InvalidAccessKeyId', attempts: 2 });
  });

  it('a session token is sent and signed', async () => {
    const { provider } = setup({ env: { BCE_SESSION_TOKEN: 'demo-session-token' } });
    await provider.show(SEEDED.bcc.custom, 'bj', contextWith());
    const [request] = fixture.emulator.requests;
    expect(request?.headers['x-bce-security-token']).toBe('demo-session-token');
    expect(request?.headers.authorization).toContain('x-bce-security-token');
  });
});

describe('throttling and faults', () => {
  it('a 429 that clears is retried to success', async () => {
    fixture.emulator.faults.inject({
      match: { provider: 'bcc' },
      action: { kind: 'status', status: 429 },
    });
    const context = contextWith();
    await expect(show(SEEDED.bcc.custom, context)).resolves.toMatchObject({
      id: SEEDED.bcc.custom,
    });
    expect(fixture.emulator.requests.map((request) => request.status)).toEqual([429, 200]);
    expect(context.calls[0]).toMatchObject({ status: 200, attempts: 2 });
  });

  it('a 429 that persists is UpstreamThrottled after every attempt', async () => {
    fixture.emulator.faults.inject({
      match: { provider: 'bcc' },
      times: 10,
      action: { kind: 'status', status: 429 },
    });
    const error = await rejection(show(SEEDED.bcc.custom));
    expect(error).toBeInstanceOf(UpstreamThrottled);
    expect(error.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect(error.upstream).toMatchObject({
      provider: 'bcc',
      status: 429,
      attempts: 3,
      requestId: expect.stringMatching(UUID),
    });
    expect(fixture.emulator.requests).toHaveLength(3);
  });

  it("a 429 whose Retry-After is longer than any wait of the retries is UpstreamThrottled at once, with the cloud's Retry-After", async () => {
    fixture.emulator.faults.inject({
      match: { provider: 'bcc' },
      times: 10,
      action: { kind: 'status', status: 429, headers: { 'Retry-After': '7' } },
    });
    const error = await rejection(show(SEEDED.bcc.custom));
    expect(error).toBeInstanceOf(UpstreamThrottled);
    expect(error.retryAfterSeconds).toBe(7);
    expect(error.upstream).toMatchObject({ provider: 'bcc', status: 429, attempts: 1 });
    expect(fixture.emulator.requests).toHaveLength(1);
  });

  it.each([500, 502, 503, 504])('a %i that clears is retried to success', async (status) => {
    fixture.emulator.faults.inject({
      match: { provider: 'bcc' },
      action: { kind: 'status', status },
    });
    await expect(show(SEEDED.bcc.custom)).resolves.toMatchObject({ id: SEEDED.bcc.custom });
    expect(fixture.emulator.requests).toHaveLength(2);
  });

  it('a 503 that persists is UpstreamUnavailable carrying the last request id', async () => {
    fixture.emulator.faults.inject({
      match: { provider: 'bcc' },
      times: 10,
      action: { kind: 'status', status: 503 },
    });
    const error = await rejection(show(SEEDED.bcc.custom));
    expect(error).toBeInstanceOf(UpstreamUnavailable);
    expect(error.upstream).toMatchObject({
      provider: 'bcc',
      status: 503,
      code: 'ServiceUnavailable',
      attempts: 3,
      requestId: expect.stringMatching(UUID),
    });
    expect(fixture.emulator.requests).toHaveLength(3);
  });

  it('connection resets are UpstreamUnavailable after every attempt', async () => {
    fixture.emulator.faults.inject({
      match: { provider: 'bcc' },
      times: 10,
      action: { kind: 'reset' },
    });
    const error = await rejection(show(SEEDED.bcc.custom));
    expect(error).toBeInstanceOf(UpstreamUnavailable);
    expect(error.upstream).toMatchObject({ provider: 'bcc', attempts: 3 });
    expect(fixture.emulator.requests).toHaveLength(3);
  });

  it('a delete whose reply was lost is retried and then reports the image gone', async () => {
    fixture.emulator.faults.inject({
      match: { provider: 'bcc', method: 'DELETE' },
      action: { kind: 'reset', afterHandling: true },
    });
    const error = await rejection(remove(SEEDED.bcc.custom));
    expect(error).toBeInstanceOf(ImageNotFound);
    expect(fixture.emulator.state.deleteCount('bcc', SEEDED.bcc.custom)).toBe(1);
  });

  it('no answer within the time left is UpstreamTimeout', async () => {
    fixture.emulator.faults.inject({ match: { provider: 'bcc' }, action: { kind: 'stall' } });
    const error = await rejection(show(SEEDED.bcc.custom, contextWith(undiciTransport, 300)));
    expect(error).toBeInstanceOf(UpstreamTimeout);
  });
});

describe('regions', () => {
  // A recording transport stands in for the network: the regions' real origins (bcc.<region>.
  // baidubce.com) are not on loopback, and these tests only read which origin each region asks.
  const recording = (): { transport: Transport; sent: OutboundRequest[] } => {
    const sent: OutboundRequest[] = [];
    const transport: Transport = async (request): Promise<RawResponse> => {
      sent.push(request);
      const image = fixture.emulator.state.bcc.get(SEEDED.bcc.custom);
      return {
        status: 200,
        headers: { 'x-bce-request-id': 'r-1' },
        body: JSON.stringify({ image }),
      };
    };
    return { transport, sent };
  };

  it('an unknown region is InvalidRequest naming the region, and nothing is sent', async () => {
    const { provider } = setup({ endpointOverride: null });
    const { transport, sent } = recording();
    const error = await rejection(
      provider.show(SEEDED.bcc.custom, 'mars-1', contextWith(transport)),
    );
    expect(error).toBeInstanceOf(InvalidRequest);
    expect(error.field).toBe('region');
    expect(error.message).toContain("'mars-1'");
    expect(error.message).toContain('bj, gz, su, hkg, fwh, bd, sin, fsh');
    const resolved = await rejection(provider.resolveRegion('mars-1'));
    expect(resolved).toBeInstanceOf(InvalidRequest);
    // Named as the caller has it: a policy's `regions`.
    const inPolicy = await rejection(provider.resolveRegion('mars-1', undefined, 'regions'));
    expect([inPolicy.field, inPolicy.message.split(' (')[0]]).toEqual([
      'regions',
      "regions: 'mars-1' is not a known bcc region",
    ]);
    expect(sent).toEqual([]);
    expect(fixture.emulator.requests).toEqual([]);
  });

  it.each(['bj', 'gz', 'su', 'hkg', 'fwh', 'bd', 'sin', 'fsh'])(
    'region %s goes to bcc.%s.baidubce.com',
    async (region) => {
      const { provider } = setup({ endpointOverride: null });
      const { transport, sent } = recording();
      await expect(provider.resolveRegion(region)).resolves.toBe(region);
      const image = await provider.show(SEEDED.bcc.custom, region, contextWith(transport));
      expect(image.region).toBe(region);
      expect(sent[0]?.origin).toBe(`https://bcc.${region}.baidubce.com`);
      expect(sent[0]?.headers.Authorization).toMatch(/^bce-auth-v1\//);
    },
  );

  it('the default region comes from the credentials, checked against the table', async () => {
    await expect(
      setup({ endpointOverride: null, env: { BCE_REGION: 'gz' } }).provider.resolveRegion(
        undefined,
      ),
    ).resolves.toBe('gz');
    const error = await rejection(
      setup({ endpointOverride: null, env: { BCE_REGION: 'mars-1' } }).provider.resolveRegion(
        undefined,
      ),
    );
    expect(error).toBeInstanceOf(ConfigurationError);
    // The configured value goes to the log line only: a ConfigurationError names no value.
    expect(error.message).not.toContain('mars-1');
    expect((error as ConfigurationError).logDetail).toContain('mars-1');
    // With an endpoint override any well-formed region is accepted.
    await expect(
      setup({ env: { BCE_REGION: 'mars-1' } }).provider.resolveRegion(undefined),
    ).resolves.toBe('mars-1');
    await expect(setup().provider.resolveRegion('mars-1')).resolves.toBe('mars-1');
  });
});
