import { afterAll, describe, expect, it } from 'vitest';
import { DEMO_MODELARTS, SEEDED } from '../../emulator/demo.js';
import { startEmulator } from '../../emulator/server.js';
import type { Child } from '../support/child.js';
import { useFixture } from '../support/fixture.js';
import {
  bccRequest,
  control,
  json,
  modelArtsRequest,
  send,
  signedBcc,
  signedModelArts,
} from './client.js';
import { emulatorMainUrl, spawnEmulatorMain } from './main-process.js';

describe('control API (in process)', () => {
  const fixture = useFixture({ demoEnv: false });

  const bcc = (method: 'GET' | 'DELETE', id: string) =>
    send(signedBcc(bccRequest(fixture.emulator.url, method, id), new Date()));

  it('answers its own address (the one the banner prints) with the routes it serves', async () => {
    const index = await control(fixture.emulator.url, 'GET', '');
    const routes = (index.body as { routes: string[] }).routes;
    const plainGets = routes.filter((route) => route.startsWith('GET ') && !route.includes('{'));

    expect(index.status).toBe(200);
    expect(routes).toContain('POST /_emulator/faults');
    expect(plainGets.length).toBeGreaterThan(4);
    for (const route of plainGets) {
      const path = route.slice('GET /_emulator/'.length);
      expect((await control(fixture.emulator.url, 'GET', path)).status, route).toBe(200);
    }
  });

  it('health answers without a signature and is not recorded', async () => {
    expect(await control(fixture.emulator.url, 'GET', 'health')).toEqual({
      status: 200,
      body: { ok: true },
    });
    expect(fixture.emulator.requests).toEqual([]);
  });

  it('POST /faults injects a validated fault; DELETE /faults clears them', async () => {
    const created = await control(fixture.emulator.url, 'POST', 'faults', {
      match: { provider: 'bcc' },
      times: 2,
      action: { kind: 'status', status: 503 },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ id: expect.any(Number), remaining: 2, hits: 0 });
    expect((await bcc('GET', SEEDED.bcc.system)).status).toBe(503);
    expect((await control(fixture.emulator.url, 'GET', 'faults')).body).toMatchObject([
      { remaining: 1, hits: 1 },
    ]);
    expect((await control(fixture.emulator.url, 'DELETE', 'faults')).status).toBe(204);
    expect((await bcc('GET', SEEDED.bcc.system)).status).toBe(200);
  });

  it('POST /faults answers 400 for a bad fault or bad JSON', async () => {
    const bad = await control(fixture.emulator.url, 'POST', 'faults', {
      action: { kind: 'explode' },
    });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ error: 'invalid fault', issues: expect.any(Array) });
    const extra = await control(fixture.emulator.url, 'POST', 'faults', {
      action: { kind: 'reset' },
      surprise: true,
    });
    expect(extra.status).toBe(400);
    expect((await control(fixture.emulator.url, 'POST', 'faults', '{nope')).status).toBe(400);
    expect(fixture.emulator.faults.list()).toEqual([]);
  });

  it('GET /requests lists provider requests; DELETE /requests empties the list', async () => {
    await bcc('GET', SEEDED.bcc.system);
    await bcc('DELETE', SEEDED.bcc.system);
    const listed = await control(fixture.emulator.url, 'GET', 'requests');
    expect(listed.body).toMatchObject([
      { provider: 'bcc', method: 'GET', path: `/v2/image/${SEEDED.bcc.system}`, status: 200 },
      { provider: 'bcc', method: 'DELETE', imageId: SEEDED.bcc.system, status: 403 },
    ]);
    expect((await control(fixture.emulator.url, 'DELETE', 'requests')).status).toBe(204);
    expect(fixture.emulator.requests).toEqual([]);
  });

  it('GET/PUT/DELETE /images/{provider}/{id} read, upsert and remove records', async () => {
    const seeded = await control(fixture.emulator.url, 'GET', `images/bcc/${SEEDED.bcc.system}`);
    expect(seeded.body).toMatchObject({ id: SEEDED.bcc.system, type: 'System' });
    expect((await control(fixture.emulator.url, 'GET', 'images/bcc/m-nothere')).status).toBe(404);

    const put = await control(fixture.emulator.url, 'PUT', 'images/bcc/m-new01', {
      name: 'new',
      type: 'Custom',
      status: 'Available',
    });
    expect(put).toEqual({
      status: 200,
      body: { id: 'm-new01', name: 'new', type: 'Custom', status: 'Available' },
    });
    expect(json(await bcc('GET', 'm-new01'))).toEqual({ image: put.body });
    expect(
      (
        await control(fixture.emulator.url, 'PUT', 'images/bcc/m-new01', {
          id: 'm-other',
          type: 'x',
        })
      ).status,
    ).toBe(400);
    expect(
      (await control(fixture.emulator.url, 'PUT', 'images/bcc/m-new01', { type: 7 })).status,
    ).toBe(400);
    expect((await control(fixture.emulator.url, 'PUT', 'images/nope/m-new01', {})).status).toBe(
      404,
    );

    expect((await control(fixture.emulator.url, 'DELETE', 'images/bcc/m-new01')).status).toBe(204);
    expect((await bcc('GET', 'm-new01')).status).toBe(404);
    expect(fixture.emulator.state.deleteCount('bcc', 'm-new01')).toBe(0);

    const list = await control(fixture.emulator.url, 'GET', 'images/modelarts');
    expect((list.body as Array<{ id: string }>).map((r) => r.id)).toEqual(
      Object.values(SEEDED.modelarts),
    );
  });

  it('delete-count, ready-after and shares', async () => {
    await bcc('DELETE', SEEDED.bcc.custom);
    expect(
      (await control(fixture.emulator.url, 'GET', `images/bcc/${SEEDED.bcc.custom}/delete-count`))
        .body,
    ).toEqual({ deleteCount: 1 });

    expect(
      (
        await control(
          fixture.emulator.url,
          'POST',
          `images/bcc/${SEEDED.bcc.creating}/ready-after`,
          {
            gets: 1,
          },
        )
      ).status,
    ).toBe(204);
    await bcc('GET', SEEDED.bcc.creating);
    expect(fixture.emulator.state.bcc.get(SEEDED.bcc.creating)?.status).toBe('Available');
    expect(
      (
        await control(
          fixture.emulator.url,
          'POST',
          `images/bcc/${SEEDED.bcc.creating}/ready-after`,
          {
            gets: -1,
          },
        )
      ).status,
    ).toBe(400);

    expect((await bcc('DELETE', SEEDED.bcc.sharedToOthers)).status).toBe(409);
    expect(
      (
        await control(
          fixture.emulator.url,
          'PUT',
          `images/bcc/${SEEDED.bcc.sharedToOthers}/shares`,
          {
            sharedWith: [],
          },
        )
      ).status,
    ).toBe(204);
    expect((await bcc('DELETE', SEEDED.bcc.sharedToOthers)).status).toBe(200);
  });

  it('POST /reset re-seeds images and clears faults and requests', async () => {
    await bcc('DELETE', SEEDED.bcc.custom);
    fixture.emulator.faults.inject({ action: { kind: 'status', status: 500 } });
    expect((await control(fixture.emulator.url, 'POST', 'reset')).status).toBe(204);
    expect(fixture.emulator.requests).toEqual([]);
    expect(fixture.emulator.faults.list()).toEqual([]);
    expect(fixture.emulator.state.deleteCount('bcc', SEEDED.bcc.custom)).toBe(0);
    expect((await bcc('GET', SEEDED.bcc.custom)).status).toBe(200);
  });

  it('unknown control routes are 404; non-provider paths are 404 and recorded', async () => {
    expect((await control(fixture.emulator.url, 'GET', 'nothing')).status).toBe(404);
    const response = await fetch(`${fixture.emulator.url}/v9/other`);
    expect(response.status).toBe(404);
    await response.text();
    expect(fixture.emulator.requests).toMatchObject([
      { provider: undefined, path: '/v9/other', status: 404 },
    ]);
  });

  it('refuses to listen on a non-loopback address', async () => {
    await expect(startEmulator({ host: '0.0.0.0' })).rejects.toThrow(/loopback/);
  });
});

describe('emulator/main.ts in a child process', () => {
  let child: Child | undefined;
  afterAll(async () => {
    await child?.stop();
  });

  it('prints its URL and the demo IDs, and is driven through the control API', async () => {
    child = spawnEmulatorMain();
    const url = await emulatorMainUrl(child);
    expect(child.output()).toContain(SEEDED.modelarts.custom);
    expect(child.output()).toContain(SEEDED.bcc.sharedToOthers);

    await control(url, 'POST', 'faults', {
      match: { provider: 'modelarts', method: 'GET' },
      action: { kind: 'status', status: 429, headers: { 'Retry-After': '1' } },
    });
    const show = () =>
      send(signedModelArts(modelArtsRequest(url, 'GET', SEEDED.modelarts.builtIn), new Date()));
    expect((await show()).status).toBe(429);
    expect((await show()).status).toBe(200);
    const requests = (await control(url, 'GET', 'requests')).body as Array<{ status: number }>;
    expect(requests.map((r) => r.status)).toEqual([429, 200]);
    expect(requests).toMatchObject([
      { path: `/v1/${DEMO_MODELARTS.projectId}/images/${SEEDED.modelarts.builtIn}` },
      {},
    ]);
    expect(await child.stop()).toBe(0);
    child = undefined;
  });
});
