// The emulator's own signature verifiers against the clouds' official SDK signers: what
// @huaweicloud/huaweicloud-sdk-core's AKSKSigner and @baiducloud/sdk's Auth sign is accepted,
// including query strings and paths full of characters that need encoding, and any change after
// signing is refused. (The project's client signers are checked against the same SDKs in
// test/signing; the emulator shares no code with them.)

import sdk from '@baiducloud/sdk';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEMO_BCC, DEMO_MODELARTS, SEEDED } from '../../emulator/demo.js';
import { formatSdkDate } from '../../lib/signing/huawei-sdk-hmac.js';
import { encodePath, type OutboundRequest } from '../../lib/wire/outbound-request.js';
import { uriEncode } from '../../lib/wire/uri-encode.js';
import { officialAuthorization } from '../signing/huawei-oracle.js';
import { useFixture } from '../support/fixture.js';
import { json, send, tamperSignature } from './client.js';

const fixture = useFixture({
  clock: '2026-03-01T12:00:00Z',
  demoEnv: false,
});
const { clock } = fixture;

/** Text mixing unreserved, reserved, percent, plus, space and non-ASCII characters. */
const awkwardText = (minLength: number) =>
  fc.string({
    minLength,
    maxLength: 10,
    unit: fc.oneof(
      fc.constantFrom(...'aZ09-._~'),
      fc.constantFrom(...":/?#[]@!$&'()*+,;=%", ' ', '"', '<', '>', '^', '`', '{', '|', '}'),
      fc.constantFrom('é', '测', '😀', '\u00a0'),
    ),
  });

/** A path segment: awkward, but not one the URL parser would treat as a separator or dot segment. */
const awkwardSegment = awkwardText(1).filter(
  (segment) => !segment.includes('/') && !/^\.+$/.test(segment),
);

/**
 * Unique keys with awkward values. Huawei's SDK sorts *raw* keys while the published scheme (and the
 * emulator) sorts the encoded ones; the two orders agree when every reserved character used sorts
 * below every unreserved one, so keys draw from one of two alphabets with that property (as in
 * test/signing/huawei-sdk-hmac.test.ts). Values can be anything: with unique keys their order
 * never matters.
 */
const awkwardQuery = fc
  .constantFrom([...'aBz09-._~ !#%&()*'], [...'aBz_~ !#%&()*=?'])
  .chain((alphabet) =>
    fc.uniqueArray(
      fc.tuple(
        fc.string({ unit: fc.constantFrom(...alphabet), minLength: 1, maxLength: 5 }),
        awkwardText(0),
      ),
      { selector: ([key]) => key, maxLength: 5 },
    ),
  );

// ---- Huawei: AKSKSigner ------------------------------------------------------------------------

/** The request as the SDK signs it: its Authorization and X-Sdk-Date (and X-Project-Id) added. */
const signedByHuaweiSdk = (request: OutboundRequest, projectId?: string): OutboundRequest => {
  const credentials = {
    accessKeyId: DEMO_MODELARTS.accessKeyId,
    secretAccessKey: DEMO_MODELARTS.secretAccessKey,
    projectId,
  };
  const authorization = officialAuthorization(request, credentials, clock.now());
  return {
    ...request,
    headers: {
      ...request.headers,
      'X-Sdk-Date': formatSdkDate(clock.now()),
      ...(projectId === undefined ? {} : { 'X-Project-Id': projectId }),
      Authorization: authorization,
    },
  };
};

const modelArts = (
  method: 'GET' | 'DELETE',
  path: string,
  query: ReadonlyArray<readonly [string, string]> = [],
  body = '',
): OutboundRequest => ({
  method,
  origin: fixture.emulator.url,
  path: `/v1/${DEMO_MODELARTS.projectId}${path}`,
  query,
  headers: body === '' ? {} : { 'Content-Type': 'application/json' },
  body,
});

describe('requests signed by the Huawei SDK (AKSKSigner)', () => {
  it('are accepted: show, list with encoded query values, delete with a JSON body', async () => {
    const show = await send(
      signedByHuaweiSdk(modelArts('GET', `/images/${SEEDED.modelarts.builtIn}`)),
    );
    expect(show.status).toBe(200);

    const list = await send(
      signedByHuaweiSdk(
        modelArts('GET', '/images', [
          ['name', "pytorch1.8 (cuda)*!'~"],
          ['limit', '5'],
          ['sort_key', 'create_at,update_at'],
          ['namespace', 'a/b&c=d+e%f 测试'],
        ]),
        DEMO_MODELARTS.projectId,
      ),
    );
    expect(list.status).toBe(200);
    expect(json(list)).toMatchObject({ current: 0, size: 5, total: 0, data: [] });

    const deleted = await send(
      signedByHuaweiSdk(
        modelArts('DELETE', `/images/${SEEDED.modelarts.custom}`, [], '{"is_force":true}'),
      ),
    );
    expect(deleted.status).toBe(200);
    expect(fixture.emulator.state.modelarts.has(SEEDED.modelarts.custom)).toBe(false);
  });

  it('are accepted for any query and image id, however awkward (property)', async () => {
    await fc.assert(
      fc.asyncProperty(awkwardQuery, awkwardSegment, async (query, imageId) => {
        const listed = await send(signedByHuaweiSdk(modelArts('GET', '/images', query)));
        expect(listed.status).not.toBe(401);
        const shown = await send(signedByHuaweiSdk(modelArts('GET', `/images/${imageId}`, query)));
        expect(json(shown)).toMatchObject({ error_code: 'ModelArts.6797' });
      }),
      { numRuns: 40 },
    );
  });

  it('are refused once anything signed changes: signature, query, path, body, date', async () => {
    const request = modelArts('GET', '/images', [['name', 'a b+c']]);
    const signed = signedByHuaweiSdk(request);
    expect((await send(signed)).status).toBe(200);

    const changedQuery = { ...signed, query: [['name', 'a b c']] as const };
    const changedPath = { ...signed, path: `${signed.path}/${SEEDED.modelarts.builtIn}` };
    const changedDate = {
      ...signed,
      headers: {
        ...signed.headers,
        'X-Sdk-Date': formatSdkDate(new Date(clock.now().getTime() + 1000)),
      },
    };
    for (const tampered of [tamperSignature(signed), changedQuery, changedPath, changedDate]) {
      const response = await send(tampered);
      expect(response.status).toBe(401);
      expect(json(response)).toMatchObject({
        error_code: 'APIGW.0301',
        error_msg: 'Incorrect IAM authentication information: verify aksk signature fail',
      });
    }

    const withBody = signedByHuaweiSdk(
      modelArts('DELETE', `/images/${SEEDED.modelarts.custom}`, [], '{"is_force":true}'),
    );
    expect((await send({ ...withBody, body: '{"is_force":false}' })).status).toBe(401);
    expect(fixture.emulator.state.modelarts.has(SEEDED.modelarts.custom)).toBe(true);
  });
});

// ---- Baidu: Auth.generateAuthorization ---------------------------------------------------------

const bceTimestamp = (): string => `${clock.now().toISOString().slice(0, 19)}Z`;

/**
 * Signed by the SDK: it takes the canonical URI as given (so the encoded path) and does not encode
 * query keys (so they are given encoded, as they travel); headers as sent, host included.
 */
const signedByBceSdk = (
  request: OutboundRequest,
  headersToSign?: readonly string[],
): OutboundRequest => {
  const headers: Record<string, string> = {
    ...request.headers,
    host: new URL(request.origin).host,
    'x-bce-date': bceTimestamp(),
  };
  const authorization = new sdk.Auth(
    DEMO_BCC.accessKeyId,
    DEMO_BCC.secretAccessKey,
  ).generateAuthorization(
    request.method,
    encodePath(request.path),
    Object.fromEntries(request.query.map(([key, value]) => [uriEncode(key), value])),
    headers,
    Math.floor(clock.now().getTime() / 1000),
    1800,
    headersToSign,
  );
  return { ...request, headers: { ...headers, Authorization: authorization } };
};

const bcc = (
  method: 'GET' | 'DELETE',
  path: string,
  query: ReadonlyArray<readonly [string, string]> = [],
): OutboundRequest => ({
  method,
  origin: fixture.emulator.url,
  path,
  query,
  headers: { 'Content-Type': 'application/json; charset=utf-8' },
  body: '',
});

describe('requests signed by the Baidu SDK (Auth.generateAuthorization)', () => {
  it('are accepted: show, list with encoded query values, delete; default and explicit headers', async () => {
    expect((await send(signedByBceSdk(bcc('GET', `/v2/image/${SEEDED.bcc.system}`)))).status).toBe(
      200,
    );
    const list = await send(
      signedByBceSdk(
        bcc('GET', '/v2/image', [
          ['imageName', "ubuntu (14)*!'~ /&=+%测"],
          ['maxKeys', '2'],
        ]),
        ['host', 'x-bce-date'],
      ),
    );
    expect(list.status).toBe(200);
    expect(json(list)).toMatchObject({ maxKeys: 2, images: [] });
    const deleted = await send(signedByBceSdk(bcc('DELETE', `/v2/image/${SEEDED.bcc.custom}`)));
    expect(deleted.status).toBe(200);
    expect(fixture.emulator.state.bcc.has(SEEDED.bcc.custom)).toBe(false);
  });

  it('are accepted for any query and image id, however awkward (property)', async () => {
    await fc.assert(
      fc.asyncProperty(awkwardQuery, awkwardSegment, async (query, imageId) => {
        const listed = await send(signedByBceSdk(bcc('GET', '/v2/instance', query)));
        expect(json(listed)).not.toMatchObject({ code: 'SignatureDoesNotMatch' });
        const shown = await send(signedByBceSdk(bcc('GET', `/v2/image/${imageId}`, query)));
        expect(json(shown)).toMatchObject({ code: 'NoSuchObject' });
      }),
      { numRuns: 40 },
    );
  });

  it('are refused once anything signed changes: signature, query, path, a signed header', async () => {
    const signed = signedByBceSdk(bcc('GET', '/v2/image', [['imageName', 'a b+c']]));
    expect((await send(signed)).status).toBe(200);

    const tampered: OutboundRequest[] = [
      tamperSignature(signed),
      { ...signed, query: [['imageName', 'a b c']] },
      { ...signed, path: '/v2/instance' },
      { ...signed, headers: { ...signed.headers, 'Content-Type': 'text/plain' } },
    ];
    for (const request of tampered) {
      const response = await send(request);
      expect(response.status).toBe(400);
      expect(json(response)).toMatchObject({ code: 'SignatureDoesNotMatch' });
    }
  });
});
