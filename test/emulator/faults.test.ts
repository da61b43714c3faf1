import { describe, expect, it } from 'vitest';
import { SEEDED } from '../../emulator/demo.js';
import { startEmulator } from '../../emulator/server.js';
import { useFixture } from '../support/fixture.js';
import {
  bccRequest,
  json,
  modelArtsRequest,
  send,
  signedBcc,
  signedModelArts,
  tamperSignature,
} from './client.js';

const fixture = useFixture({
  clock: '2026-03-01T12:00:00Z',
  demoEnv: false,
});
const { clock } = fixture;

const modelArts = (method: 'GET' | 'DELETE', id: string, timeoutMs?: number) =>
  send(signedModelArts(modelArtsRequest(fixture.emulator.url, method, id), clock.now()), timeoutMs);
const bcc = (method: 'GET' | 'DELETE', id: string, timeoutMs?: number) =>
  send(signedBcc(bccRequest(fixture.emulator.url, method, id), clock.now()), timeoutMs);

describe('status faults', () => {
  it('429 with Retry-After and the APIGW.0308 throttling body by default', async () => {
    fixture.emulator.faults.inject({
      action: { kind: 'status', status: 429, headers: { 'Retry-After': '2' } },
    });
    const response = await modelArts('GET', SEEDED.modelarts.builtIn);
    expect(response.status).toBe(429);
    expect(response.headers['retry-after']).toBe('2');
    expect(json(response)).toMatchObject({
      error_code: 'APIGW.0308',
      request_id: response.headers['x-request-id'],
    });
    expect((await modelArts('GET', SEEDED.modelarts.builtIn)).status).toBe(200);
    expect(fixture.emulator.requests.map((r) => [r.status, r.fault])).toEqual([
      [429, 'status'],
      [200, undefined],
    ]);
  });

  it('sends a given body (object or string) and no Retry-After unless asked', async () => {
    fixture.emulator.faults.inject({
      action: {
        kind: 'status',
        status: 429,
        body: {
          error_code: 'ModelArts.6101',
          error_msg: 'The system is busy now. Please try again later.',
        },
      },
    });
    fixture.emulator.faults.inject({
      action: { kind: 'status', status: 502, body: '<html>Bad Gateway</html>' },
    });
    const busy = await modelArts('GET', SEEDED.modelarts.builtIn);
    expect(busy.headers['retry-after']).toBeUndefined();
    expect(json(busy)).toEqual({
      error_code: 'ModelArts.6101',
      error_msg: 'The system is busy now. Please try again later.',
    });
    const gateway = await modelArts('GET', SEEDED.modelarts.builtIn);
    expect(gateway.status).toBe(502);
    expect(gateway.body).toBe('<html>Bad Gateway</html>');
  });

  it('gives BCC-shaped default bodies for 5xx', async () => {
    fixture.emulator.faults.inject({ times: 2, action: { kind: 'status', status: 503 } });
    const first = await bcc('GET', SEEDED.bcc.system);
    expect(first.status).toBe(503);
    expect(json(first)).toEqual({
      requestId: first.headers['x-bce-request-id'],
      code: 'ServiceUnavailable',
      message: 'Service Unavailable',
    });
    expect((await bcc('GET', SEEDED.bcc.system)).status).toBe(503);
    expect((await bcc('GET', SEEDED.bcc.system)).status).toBe(200);
  });

  it('can answer 204 No Content (listed for DeleteImage) without touching state', async () => {
    fixture.emulator.faults.inject({
      match: { method: 'DELETE' },
      action: { kind: 'status', status: 204, body: '' },
    });
    const response = await modelArts('DELETE', SEEDED.modelarts.custom);
    expect(response.status).toBe(204);
    expect(response.body).toBe('');
    expect(fixture.emulator.state.deleteCount('modelarts', SEEDED.modelarts.custom)).toBe(0);
  });

  it('can send an expired-signature reply for a good request', async () => {
    fixture.emulator.faults.inject({
      action: {
        kind: 'status',
        status: 401,
        body: {
          error_msg:
            'Incorrect IAM authentication information: calc aksk signature fail:signature expired, signature time:20260301T114000Z,server time:20260301T120000Z',
          error_code: 'APIGW.0301',
          request_id: 'r',
        },
      },
    });
    const response = await modelArts('DELETE', SEEDED.modelarts.custom);
    expect(response.status).toBe(401);
    expect(fixture.emulator.state.modelarts.get(SEEDED.modelarts.custom)).toBeDefined();
  });
});

describe('matching and counting', () => {
  it('applies only to the matching provider, method and image', async () => {
    fixture.emulator.faults.inject({
      match: { provider: 'bcc', method: 'delete', imageId: SEEDED.bcc.custom },
      action: { kind: 'status', status: 500 },
    });
    expect((await modelArts('DELETE', SEEDED.modelarts.custom)).status).toBe(200);
    expect((await bcc('GET', SEEDED.bcc.custom)).status).toBe(200);
    expect((await bcc('DELETE', SEEDED.bcc.system)).status).toBe(403);
    const hit = await bcc('DELETE', SEEDED.bcc.custom);
    expect(hit.status).toBe(500);
    expect(json(hit)).toMatchObject({ code: 'InternalError' });
    expect(fixture.emulator.faults.list()).toEqual([]);
  });

  it('applies a probability fault reproducibly with a seed', async () => {
    const run = async (): Promise<number[]> => {
      fixture.emulator.reset();
      fixture.emulator.faults.inject({
        probability: 0.5,
        seed: 42,
        action: { kind: 'status', status: 503 },
      });
      const statuses: number[] = [];
      for (let i = 0; i < 12; i++) statuses.push((await bcc('GET', SEEDED.bcc.system)).status);
      return statuses;
    };
    const first = await run();
    expect(first).toContain(503);
    expect(first).toContain(200);
    expect(await run()).toEqual(first);
    expect(fixture.emulator.faults.list()[0]?.hits).toBe(first.filter((s) => s === 503).length);
  });

  it('a fault that lets requests pass counts each matching one, also one another fault took', async () => {
    fixture.emulator.faults.inject({ skip: 1, action: { kind: 'status', status: 503 } });
    fixture.emulator.faults.inject({ action: { kind: 'status', status: 500 } });
    fixture.emulator.faults.inject({
      match: { provider: 'modelarts' },
      skip: 1,
      action: { kind: 'status', status: 502 },
    });
    expect((await bcc('GET', SEEDED.bcc.system)).status).toBe(500);
    expect((await bcc('GET', SEEDED.bcc.system)).status).toBe(503);
    expect((await bcc('GET', SEEDED.bcc.system)).status).toBe(200);
    expect((await modelArts('GET', SEEDED.modelarts.builtIn)).status).toBe(200);
    expect((await modelArts('GET', SEEDED.modelarts.builtIn)).status).toBe(502);
  });

  it('does not spend after-auth faults on badly signed requests', async () => {
    fixture.emulator.faults.inject({ action: { kind: 'status', status: 503 } });
    const bad = await send(
      tamperSignature(
        signedBcc(bccRequest(fixture.emulator.url, 'GET', SEEDED.bcc.system), clock.now()),
      ),
    );
    expect(bad.status).toBe(400);
    expect(fixture.emulator.faults.list()).toHaveLength(1);
    expect((await bcc('GET', SEEDED.bcc.system)).status).toBe(503);
  });

  it('applies beforeAuth faults to unsigned requests', async () => {
    fixture.emulator.faults.inject({ beforeAuth: true, action: { kind: 'status', status: 429 } });
    const response = await send(bccRequest(fixture.emulator.url, 'GET', SEEDED.bcc.system));
    expect(response.status).toBe(429);
    expect((await send(bccRequest(fixture.emulator.url, 'GET', SEEDED.bcc.system))).status).toBe(
      403,
    );
  });

  it('clear() removes every fault', async () => {
    fixture.emulator.faults.inject({ times: 5, action: { kind: 'status', status: 500 } });
    fixture.emulator.faults.clear();
    expect((await bcc('GET', SEEDED.bcc.system)).status).toBe(200);
  });

  it('refuses an invalid fault', () => {
    expect(() =>
      fixture.emulator.faults.inject({ action: { kind: 'status', status: 42 } }),
    ).toThrow();
    expect(() =>
      fixture.emulator.faults.inject({ probability: 2, action: { kind: 'reset' } }),
    ).toThrow();
  });
});

describe('transport faults', () => {
  it('latency delays the reply, then handles it normally', async () => {
    fixture.emulator.faults.inject({ action: { kind: 'latency', ms: 80 } });
    const response = await modelArts('DELETE', SEEDED.modelarts.custom);
    expect(fixture.emulator.requests.at(-1)).toMatchObject({ fault: 'latency', status: 200 });
    expect(response.status).toBe(200);
    expect(fixture.emulator.state.deleteCount('modelarts', SEEDED.modelarts.custom)).toBe(1);
  });

  it('reset destroys the socket without handling the request', async () => {
    fixture.emulator.faults.inject({ action: { kind: 'reset' } });
    await expect(bcc('DELETE', SEEDED.bcc.custom)).rejects.toThrow();
    expect(fixture.emulator.state.bcc.get(SEEDED.bcc.custom)).toBeDefined();
    expect(fixture.emulator.requests.at(-1)).toMatchObject({ fault: 'reset', status: undefined });
  });

  it('reset with afterHandling loses only the reply: the image is deleted', async () => {
    fixture.emulator.faults.inject({ action: { kind: 'reset', afterHandling: true } });
    await expect(bcc('DELETE', SEEDED.bcc.custom)).rejects.toThrow();
    expect(fixture.emulator.state.bcc.get(SEEDED.bcc.custom)).toBeUndefined();
    expect(fixture.emulator.state.deleteCount('bcc', SEEDED.bcc.custom)).toBe(1);
    expect((await bcc('DELETE', SEEDED.bcc.custom)).status).toBe(404);
  });

  it('stall never answers', async () => {
    fixture.emulator.faults.inject({ action: { kind: 'stall' } });
    await expect(modelArts('GET', SEEDED.modelarts.builtIn, 100)).rejects.toThrow(/timeout/);
    expect((await modelArts('GET', SEEDED.modelarts.builtIn)).status).toBe(200);
  });

  it('truncated declares a Content-Length and sends half the JSON', async () => {
    fixture.emulator.faults.inject({ action: { kind: 'truncated' } });
    await expect(modelArts('GET', SEEDED.modelarts.builtIn)).rejects.toThrow();
    expect(fixture.emulator.requests.at(-1)).toMatchObject({ fault: 'truncated', status: 200 });
  });

  it('truncated on a bodiless BCC delete still cuts a JSON body short (and deletes)', async () => {
    fixture.emulator.faults.inject({ action: { kind: 'truncated' } });
    await expect(bcc('DELETE', SEEDED.bcc.custom)).rejects.toThrow();
    expect(fixture.emulator.state.deleteCount('bcc', SEEDED.bcc.custom)).toBe(1);
  });

  it('malformed answers 200 with the raw body', async () => {
    fixture.emulator.faults.inject({ action: { kind: 'malformed', body: '{"id": ' } });
    const response = await modelArts('GET', SEEDED.modelarts.builtIn);
    expect(response.status).toBe(200);
    expect(response.body).toBe('{"id": ');
  });
});

describe('close()', () => {
  it.each([
    ['with a stalled request open', { kind: 'stall' }],
    ['during a long latency fault', { kind: 'latency', ms: 60_000 }],
  ] as const)('ends promptly %s', async (_what, action) => {
    const own = await startEmulator();
    own.faults.inject({ action });
    const pending = send(
      signedBcc(bccRequest(own.url, 'GET', SEEDED.bcc.system), new Date()),
      5000,
    ).catch((error: unknown) => error);
    while (own.requests.length === 0) await new Promise((r) => setTimeout(r, 5));
    // The fault outlasts the test's own timeout: close() returns only if it does not wait for it.
    await own.close();
    expect(await pending).toBeInstanceOf(Error);
  });
});
