import { describe, expect, it } from 'vitest';
import { SEEDED } from '../../emulator/demo.js';
import { formatBceTimestamp } from '../../lib/signing/bce-auth-v1.js';
import { useFixture } from '../support/fixture.js';
import { bccRequest, json, send, signedBcc, signedBccWith, tamperSignature } from './client.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const fixture = useFixture({
  clock: '2026-03-01T12:00:00Z',
  demoEnv: false,
});
const { clock } = fixture;

const call = (method: 'GET' | 'DELETE', id: string) =>
  send(signedBcc(bccRequest(fixture.emulator.url, method, id), clock.now()));

const errorBody = (
  response: { headers: Record<string, unknown> },
  code: string,
  message: string,
) => ({
  requestId: response.headers['x-bce-request-id'],
  code,
  message,
});

describe('BCC Query Details of the Image', () => {
  it('returns the seeded system image: the documented example record', async () => {
    const response = await call('GET', SEEDED.bcc.system);
    expect(response.status).toBe(200);
    expect(response.headers['x-bce-request-id']).toMatch(UUID);
    expect(json(response)).toEqual({
      image: {
        id: 'm-nky7qeom',
        name: 'ubuntu-14.04.1-server-amd64-201506171832',
        type: 'System',
        osType: 'linux',
        osVersion: '14.04.1 LTS',
        osArch: 'x86_64 (64bit)',
        osName: 'Ubuntu',
        osBuild: '2015061700',
        osLang: 'ENG',
        diskSize: 0,
        createTime: '2015-06-17T10:37:02Z',
        minDiskGb: 10,
        status: 'Available',
        specialVersion: '',
        ephemeralSize: 0,
        encrypted: false,
        package: false,
        desc: '',
      },
    });
  });

  it('returns the custom, creating and shared images', async () => {
    expect(json(await call('GET', SEEDED.bcc.custom))).toMatchObject({
      image: { type: 'Custom', status: 'Available' },
    });
    expect(json(await call('GET', SEEDED.bcc.creating))).toMatchObject({
      image: { type: 'Custom', status: 'Creating' },
    });
    expect(json(await call('GET', SEEDED.bcc.sharedToOthers))).toMatchObject({
      image: { type: 'Custom', status: 'Available' },
    });
    expect(fixture.emulator.state.bcc.sharedWith(SEEDED.bcc.sharedToOthers)).not.toEqual([]);
  });

  it('answers 404 NoSuchObject for a missing image', async () => {
    const response = await call('GET', 'm-missing');
    expect(response.status).toBe(404);
    expect(json(response)).toEqual(
      errorBody(
        response,
        'NoSuchObject',
        'The specified object is not found or resource do not exist.',
      ),
    );
  });

  it('turns a creating image Available after N further GETs', async () => {
    fixture.emulator.state.readyAfterGets('bcc', SEEDED.bcc.creating, 1);
    const first = json(await call('GET', SEEDED.bcc.creating)) as { image: { status: string } };
    const second = json(await call('GET', SEEDED.bcc.creating)) as { image: { status: string } };
    expect([first.image.status, second.image.status]).toEqual(['Creating', 'Available']);
    expect((await call('DELETE', SEEDED.bcc.creating)).status).toBe(200);
  });
});

describe('BCC Delete a Custom Image', () => {
  it('deletes a custom image: 200 with no body, then it is gone', async () => {
    const response = await call('DELETE', SEEDED.bcc.custom);
    expect(response.status).toBe(200);
    expect(response.body).toBe('');
    expect(response.headers['x-bce-request-id']).toMatch(UUID);
    expect(fixture.emulator.state.deleteCount('bcc', SEEDED.bcc.custom)).toBe(1);
    const after = await call('GET', SEEDED.bcc.custom);
    expect(after.status).toBe(404);
    const again = await call('DELETE', SEEDED.bcc.custom);
    expect(again.status).toBe(404);
    expect(json(again)).toMatchObject({ code: 'NoSuchObject' });
    expect(fixture.emulator.state.deleteCount('bcc', SEEDED.bcc.custom)).toBe(1);
  });

  it('refuses a system image: 403 Image.UnCustomImageCannotBeDeleted', async () => {
    const response = await call('DELETE', SEEDED.bcc.system);
    expect(response.status).toBe(403);
    expect(json(response)).toEqual(
      errorBody(
        response,
        'Image.UnCustomImageCannotBeDeleted',
        'Only custom image can be deleted.',
      ),
    );
  });

  it('refuses integration and sharing (shared-to-me) images the same way', async () => {
    const base = fixture.emulator.state.bcc.get(SEEDED.bcc.custom);
    if (base === undefined) throw new Error('seed missing');
    fixture.emulator.state.bcc.set({ ...base, id: 'm-integ01', type: 'Integration' });
    fixture.emulator.state.bcc.set({ ...base, id: 'm-sharing01', type: 'Sharing' });
    fixture.emulator.state.bcc.set({ ...base, id: 'm-gpucustom01', type: 'GpuBccCustom' });
    expect((await call('DELETE', 'm-integ01')).status).toBe(403);
    expect((await call('DELETE', 'm-sharing01')).status).toBe(403);
    expect((await call('DELETE', 'm-gpucustom01')).status).toBe(200);
  });

  it('refuses a creating image: 409 Image.CreatingImageCannotBeDeleted', async () => {
    const response = await call('DELETE', SEEDED.bcc.creating);
    expect(response.status).toBe(409);
    expect(json(response)).toEqual(
      errorBody(
        response,
        'Image.CreatingImageCannotBeDeleted',
        'Cannot delete image when creating.',
      ),
    );
  });

  it('refuses an image shared to others: 409 Image.ImageHasBeenSharedToOthers', async () => {
    const response = await call('DELETE', SEEDED.bcc.sharedToOthers);
    expect(response.status).toBe(409);
    expect(json(response)).toEqual(
      errorBody(response, 'Image.ImageHasBeenSharedToOthers', 'Image has been shared to others.'),
    );
    fixture.emulator.state.bcc.share(SEEDED.bcc.sharedToOthers, []);
    expect((await call('DELETE', SEEDED.bcc.sharedToOthers)).status).toBe(200);
  });

  it('answers 400 InvalidURI for another path under /v2/', async () => {
    const request = { ...bccRequest(fixture.emulator.url, 'GET', 'x'), path: '/v2/volume' };
    const response = await send(signedBcc(request, clock.now()));
    expect(response.status).toBe(400);
    expect(json(response)).toMatchObject({ code: 'InvalidURI' });
  });
});

describe('BCC signature verification', () => {
  const request = () => bccRequest(fixture.emulator.url, 'GET', SEEDED.bcc.system);
  const mismatch = 'SignatureDoesNotMatch';

  it('rejects a tampered signature: 400 SignatureDoesNotMatch', async () => {
    const response = await send(tamperSignature(signedBcc(request(), clock.now())));
    expect(response.status).toBe(400);
    expect(json(response)).toMatchObject({ code: mismatch });
    expect((json(response) as { requestId: string }).requestId).toBe(
      response.headers['x-bce-request-id'],
    );
  });

  it('rejects the wrong SK: 400 SignatureDoesNotMatch', async () => {
    const response = await send(
      signedBcc(request(), clock.now(), { secretAccessKey: 'wrongwrongwrongwrong' }),
    );
    expect(response.status).toBe(400);
    expect(json(response)).toMatchObject({ code: mismatch });
  });

  it('rejects an unknown AK: 403 InvalidAccessKeyId', async () => {
    const response = await send(signedBcc(request(), clock.now(), { accessKeyId: 'nosuchak' }));
    expect(response.status).toBe(403);
    expect(json(response)).toMatchObject({ code: 'InvalidAccessKeyId' });
  });

  it('rejects a request past timestamp + expiration: 400 RequestExpired', async () => {
    const signed = signedBcc(request(), clock.now(), {}, { expirationSeconds: 60 });
    clock.advance(60_000);
    expect((await send(signed)).status).toBe(200);
    clock.advance(1000);
    const response = await send(signed);
    expect(response.status).toBe(400);
    expect(json(response)).toMatchObject({
      code: 'RequestExpired',
      message: 'Request has expired. Timestamp date is 2026-03-01T12:00:00Z.',
    });
  });

  it('rejects a timestamp more than 30 minutes in the future: 400 RequestExpired', async () => {
    const signed = signedBcc(request(), new Date(clock.now().getTime() + 31 * 60_000));
    const response = await send(signed);
    expect(response.status).toBe(400);
    expect(json(response)).toMatchObject({ code: 'RequestExpired' });
    const near = signedBcc(request(), new Date(clock.now().getTime() + 29 * 60_000));
    expect((await send(near)).status).toBe(200);
  });

  it('requires host and x-bce-date to be signed when headers are listed', async () => {
    const timestamp = formatBceTimestamp(clock.now());
    const noHost = await send(signedBccWith(request(), timestamp, ['x-bce-date']));
    expect(noHost.status).toBe(400);
    expect(json(noHost)).toMatchObject({ code: 'InvalidHTTPAuthHeader' });
    const noDate = await send(signedBccWith(request(), timestamp, ['host']));
    expect(noDate.status).toBe(400);
    const both = await send(signedBccWith(request(), timestamp, ['host', 'x-bce-date']));
    expect(both.status).toBe(200);
  });

  it('accepts an empty signedHeaders list (the default header set)', async () => {
    const timestamp = formatBceTimestamp(clock.now());
    const signed = signedBccWith(request(), timestamp, []);
    expect(signed.headers.Authorization).toMatch(/\/1800\/\/[0-9a-f]{64}$/);
    expect((await send(signed)).status).toBe(200);
    // A default-set header changed after signing breaks it.
    const changed = { ...signed, headers: { ...signed.headers, 'Content-Type': 'text/plain' } };
    expect(json(await send(changed))).toMatchObject({ code: mismatch });
  });

  it('rejects a missing Authorization with 403 AccessDenied, a malformed one with 400', async () => {
    const none = await send(request());
    expect(none.status).toBe(403);
    expect(json(none)).toMatchObject({ code: 'AccessDenied' });
    const malformed = await send({
      ...request(),
      headers: { ...request().headers, Authorization: 'bce-auth-v1/x' },
    });
    expect(malformed.status).toBe(400);
    expect(json(malformed)).toMatchObject({ code: 'InvalidHTTPAuthHeader' });
  });

  it('has no lockout: 10 bad signatures do not block a good one', async () => {
    for (let i = 0; i < 10; i++) await send(tamperSignature(signedBcc(request(), clock.now())));
    expect((await call('GET', SEEDED.bcc.system)).status).toBe(200);
  });
});
