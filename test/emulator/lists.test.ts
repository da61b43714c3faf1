// The list APIs as clients page through them: ModelArts ListImage / ListNotebooks (offset read as
// records or as pages), BCC image and instance lists (marker pages), their filters, envelopes and
// order; usage (notebooks and instances naming an image); faults on list routes.

import { describe, expect, it } from 'vitest';
import { SEEDED } from '../../emulator/demo.js';
import { startEmulator } from '../../emulator/server.js';
import type {
  BccImageRecord,
  BccInstanceRecord,
  ModelArtsImageRecord,
  NotebookRecord,
} from '../../emulator/types.js';
import { useFixture } from '../support/fixture.js';
import { colleagueNotebook } from '../support/sample-notebook.js';
import {
  bccListRequest,
  bccRequest,
  control,
  json,
  modelArtsListRequest,
  modelArtsRequest,
  send,
  signedBcc,
  signedModelArts,
} from './client.js';

type Query = ReadonlyArray<readonly [string, string]>;

interface OffsetEnvelope<T> {
  current: number;
  data: T[];
  pages: number;
  size: number;
  total: number;
}

interface MarkerEnvelope {
  marker: string;
  isTruncated: boolean;
  nextMarker?: string;
  maxKeys: number;
}

const SEED = {
  modelarts: { images: 300, notebooks: 40 },
  bcc: { images: 250, instances: 30 },
  random: 7,
};
const fixture = useFixture({
  emulator: { seed: SEED },
  clock: '2026-03-01T12:00:00Z',
  demoEnv: false,
});
const { clock } = fixture;

const listModelArts = async <T = ModelArtsImageRecord>(
  collection: 'images' | 'notebooks' | 'notebooks/all',
  query: Query = [],
) => {
  const response = await send(
    signedModelArts(modelArtsListRequest(fixture.emulator.url, collection, query), clock.now()),
  );
  return { status: response.status, body: json(response) as OffsetEnvelope<T> };
};

const listBcc = async <K extends 'images' | 'instances'>(
  collection: 'image' | 'instance',
  query: Query = [],
) => {
  const response = await send(
    signedBcc(bccListRequest(fixture.emulator.url, collection, query), clock.now()),
  );
  return {
    status: response.status,
    body: json(response) as MarkerEnvelope &
      Record<K, K extends 'images' ? BccImageRecord[] : BccInstanceRecord[]>,
  };
};

const ids = (records: ReadonlyArray<{ id: string }>): string[] => records.map((r) => r.id);

/** The documented default order: create_at descending; equal times by id, descending too. */
const newestFirst = (records: ModelArtsImageRecord[]): string[] =>
  [...records]
    .sort(
      (a, b) =>
        Number(b.create_at) - Number(a.create_at) || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0),
    )
    .map((r) => r.id);

/** Pages through with limit/offset, `offsetOf(page)` giving each request's offset. */
const pageThrough = async (
  limit: number,
  offsetOf: (page: number) => number,
  query: Query = [],
): Promise<{ ids: string[]; pages: Array<OffsetEnvelope<ModelArtsImageRecord>> }> => {
  const seen: string[] = [];
  const pages: Array<OffsetEnvelope<ModelArtsImageRecord>> = [];
  for (let page = 0; page < 1000; page++) {
    const { status, body } = await listModelArts('images', [
      ...query,
      ['limit', String(limit)],
      ['offset', String(offsetOf(page))],
    ]);
    expect(status).toBe(200);
    pages.push(body);
    seen.push(...ids(body.data));
    if (body.data.length < limit) break;
  }
  return { ids: seen, pages };
};

describe('ModelArts ListImage', () => {
  it('answers the documented envelope with the defaults (limit 200, offset 0, create_at DESC)', async () => {
    const all = fixture.emulator.state.modelarts.list();
    expect(all).toHaveLength(303);
    const { status, body } = await listModelArts('images');
    expect(status).toBe(200);
    expect(Object.keys(body).sort()).toEqual(['current', 'data', 'pages', 'size', 'total']);
    expect(body).toMatchObject({ current: 0, pages: 2, size: 200, total: 303 });
    expect(ids(body.data)).toEqual(newestFirst(all).slice(0, 200));
    // Each entry is the record ShowImage answers.
    const first = body.data[0] as ModelArtsImageRecord;
    expect(first).toEqual(fixture.emulator.state.modelarts.get(first.id));
  });

  it('with offset counting records: every image exactly once, current = offset / limit', async () => {
    const expected = newestFirst(fixture.emulator.state.modelarts.list());
    const { ids: seen, pages } = await pageThrough(7, (page) => page * 7);
    expect(seen).toEqual(expected);
    expect(pages.map((p) => p.current)).toEqual(pages.map((_, page) => page));
    expect(pages.every((p) => p.size === 7 && p.total === 303 && p.pages === 44)).toBe(true);
  });

  it('with offset counting pages (set through the control API): every image exactly once', async () => {
    expect(
      await control(fixture.emulator.url, 'PUT', 'modelarts-offset', { mode: 'pages' }),
    ).toEqual({
      status: 200,
      body: { mode: 'pages' },
    });
    expect((await control(fixture.emulator.url, 'GET', 'modelarts-offset')).body).toEqual({
      mode: 'pages',
    });
    const expected = newestFirst(fixture.emulator.state.modelarts.list());
    const { ids: seen, pages } = await pageThrough(7, (page) => page);
    expect(seen).toEqual(expected);
    expect(pages.map((p) => p.current)).toEqual(pages.map((_, page) => page));

    // A pager that sends record offsets skips most images when the service counts pages.
    const { body } = await listModelArts('images', [
      ['limit', '7'],
      ['offset', '7'],
    ]);
    expect(ids(body.data)).toEqual(expected.slice(49, 56));
  });

  it('with a largest page (modelartsMaxLimit): a larger limit is served as that many, pages counting that size, until reset()', async () => {
    fixture.emulator.settings.modelartsMaxLimit = 100;
    fixture.emulator.settings.modelartsOffset = 'pages';
    const expected = newestFirst(fixture.emulator.state.modelarts.list());
    const { body } = await listModelArts('images', [
      ['limit', '200'],
      ['offset', '1'],
    ]);
    expect(body).toMatchObject({ current: 1, size: 100, pages: 4, total: 303 });
    expect(ids(body.data)).toEqual(expected.slice(100, 200));
    fixture.emulator.reset();
    expect(fixture.emulator.settings.modelartsMaxLimit).toBeUndefined();
  });

  it('reset() goes back to the offset mode the emulator started with', async () => {
    fixture.emulator.settings.modelartsOffset = 'pages';
    fixture.emulator.reset();
    expect(fixture.emulator.settings.modelartsOffset).toBe('records');
    const own = await startEmulator({ modelartsOffset: 'pages' });
    try {
      expect((await control(own.url, 'GET', 'settings')).body).toMatchObject({
        modelartsOffset: 'pages',
      });
    } finally {
      await own.close();
    }
  });

  it('filters by type, namespace, service_type and name (substring by default, or exact)', async () => {
    const all = fixture.emulator.state.modelarts.list();
    const builtIn = await listModelArts('images', [
      ['type', 'BUILD_IN'],
      ['limit', '1000'],
    ]);
    expect(builtIn.body.total).toBe(all.filter((image) => image.type === 'BUILD_IN').length);
    expect(builtIn.body.total).toBeGreaterThan(10);
    expect(builtIn.body.data.every((image) => image.type === 'BUILD_IN')).toBe(true);

    const train = await listModelArts('images', [
      ['name', 'train-'],
      ['limit', '1000'],
    ]);
    const trainNames = all.filter((image) => String(image.name).includes('train-'));
    expect(ids(train.body.data)).toEqual(newestFirst(trainNames));

    const exact = await listModelArts('images', [
      ['name', 'train-resnet50'],
      ['name_fuzzy_match', 'false'],
      ['limit', '1000'],
    ]);
    expect(exact.body.total).toBeGreaterThan(0);
    expect(exact.body.data.every((image) => image.name === 'train-resnet50')).toBe(true);
    expect(exact.body.total).toBeLessThan(train.body.total);

    const namespaced = await listModelArts('images', [
      ['namespace', 'team-alpha'],
      ['service_type', 'TRAIN'],
      ['limit', '1000'],
    ]);
    expect(namespaced.body.total).toBe(
      all.filter((image) => image.namespace === 'team-alpha' && image.service_type === 'TRAIN')
        .length,
    );
  });

  it('sorts by sort_key / sort_dir (update_at ascending, under either spelling)', async () => {
    const ascending = await listModelArts('images', [
      ['sort_key', 'update_at'],
      ['sort_dir', 'ASC'],
      ['limit', '1000'],
    ]);
    const times = ascending.body.data.map((image) => Number(image.update_at));
    expect(times).toEqual([...times].sort((a, b) => a - b));
    const again = await listModelArts('images', [
      ['sort_key', 'updateTime'],
      ['sort_dir', 'asc'],
      ['limit', '1000'],
    ]);
    expect(ids(again.body.data)).toEqual(ids(ascending.body.data));
  });

  it('answers 400 ModelArts.6400 for a bad parameter', async () => {
    for (const query of [
      [['limit', '0']],
      [['limit', 'ten']],
      [['offset', '-1']],
      [['sort_dir', 'UP']],
      [['sort_key', 'color']],
      [['type', 'SHARED']],
      [['name_fuzzy_match', 'maybe']],
    ] as const) {
      const { status, body } = await listModelArts('images', query);
      expect(status).toBe(400);
      expect(body).toMatchObject({
        error_code: 'ModelArts.6400',
        error_msg: `Invalid request payload ${query[0][0]}, please check.`,
      });
    }
  });

  it('does not sort again for each page: one view per filter until the images change', async () => {
    const store = fixture.emulator.state.modelarts;
    const before = store.viewsBuilt;
    for (let offset = 0; offset < 60; offset++) {
      await listModelArts('images', [
        ['limit', '1'],
        ['offset', String(offset)],
      ]);
    }
    expect(store.viewsBuilt - before).toBe(1);
    await send(
      signedModelArts(
        modelArtsRequest(fixture.emulator.url, 'DELETE', SEEDED.modelarts.custom),
        clock.now(),
      ),
    );
    await listModelArts('images', [['limit', '1']]);
    expect(store.viewsBuilt - before).toBe(2);
  });
});

describe('ModelArts ListNotebooks', () => {
  it('answers the envelope (limit 10 by default) with notebooks naming their image', async () => {
    const { status, body } = await listModelArts<NotebookRecord>('notebooks');
    expect(status).toBe(200);
    expect(body).toMatchObject({ current: 0, size: 10, total: 40, pages: 4 });
    expect(body.data).toHaveLength(10);
    for (const notebook of body.data) {
      expect(notebook).toMatchObject({
        id: expect.any(String),
        name: expect.any(String),
        status: expect.any(String),
        flavor: expect.any(String),
        create_at: expect.any(Number),
        image: { id: expect.any(String), name: expect.any(String), swr_path: expect.any(String) },
      });
      expect(fixture.emulator.state.modelarts.has(notebook.image.id)).toBe(true);
    }
  });

  it('pages through every notebook under both offset modes, and filters by status and name', async () => {
    const all = fixture.emulator.state.notebooks.list();
    for (const mode of ['records', 'pages'] as const) {
      fixture.emulator.settings.modelartsOffset = mode;
      const seen: string[] = [];
      for (let page = 0; page < 5; page++) {
        const offset = mode === 'records' ? page * 10 : page;
        const { body } = await listModelArts<NotebookRecord>('notebooks', [
          ['limit', '10'],
          ['offset', String(offset)],
        ]);
        seen.push(...ids(body.data));
      }
      expect(seen.sort()).toEqual(ids(all).sort());
    }
    const running = await listModelArts<NotebookRecord>('notebooks', [
      ['status', 'RUNNING'],
      ['limit', '50'],
    ]);
    expect(running.body.total).toBe(all.filter((n) => n.status === 'RUNNING').length);
    expect(running.body.data.every((n) => n.status === 'RUNNING')).toBe(true);
    const named = await listModelArts<NotebookRecord>('notebooks', [
      ['name', 'vision'],
      ['limit', '50'],
    ]);
    expect(named.body.data.every((n) => String(n.name).includes('vision'))).toBe(true);
  });

  it('takes the documented page sizes only (10, 20 or 50): any other limit is 400 ModelArts.6400', async () => {
    for (const collection of ['notebooks', 'notebooks/all'] as const) {
      for (const limit of ['10', '20', '50']) {
        const { status, body } = await listModelArts<NotebookRecord>(collection, [
          ['limit', limit],
        ]);
        expect([status, body.size]).toEqual([200, Number(limit)]);
      }
      for (const limit of ['1', '6', '100', '200']) {
        const { status, body } = await listModelArts<NotebookRecord>(collection, [
          ['limit', limit],
        ]);
        expect([status, (body as unknown as { error_code: string }).error_code]).toEqual([
          400,
          'ModelArts.6400',
        ]);
      }
    }
  });
});

describe('ModelArts ListAllNotebooks', () => {
  it('answers billed instances only (feature NOTEBOOK, the documented default), a CodeLab instance only when asked for feature=DEFAULT', async () => {
    // Prepare: a free CodeLab instance (feature DEFAULT) besides the seeded billed ones.
    const codeLab: NotebookRecord = {
      ...colleagueNotebook(SEEDED.modelarts.custom),
      id: 'a7e2c1d0-0000-4000-8000-00000000c0de',
      feature: 'DEFAULT',
    };
    fixture.emulator.state.notebooks.set(codeLab);
    const everyLimit: Query = [['limit', '50']];

    // Act
    const byDefault = await listModelArts<NotebookRecord>('notebooks/all', everyLimit);
    const billed = await listModelArts<NotebookRecord>('notebooks/all', [
      ...everyLimit,
      ['feature', 'NOTEBOOK'],
    ]);
    const free = await listModelArts<NotebookRecord>('notebooks/all', [
      ...everyLimit,
      ['feature', 'DEFAULT'],
    ]);
    const bad = await listModelArts<NotebookRecord>('notebooks/all', [['feature', 'CODELAB']]);

    // Assess
    expect(byDefault.body.total).toBe(SEED.modelarts.notebooks);
    expect(ids(byDefault.body.data)).not.toContain(codeLab.id);
    expect(billed.body.total).toBe(SEED.modelarts.notebooks);
    expect(free.body).toMatchObject({ total: 1, data: [{ id: codeLab.id, feature: 'DEFAULT' }] });
    expect([bad.status, (bad.body as unknown as { error_code: string }).error_code]).toEqual([
      400,
      'ModelArts.6400',
    ]);
  });

  it("answers every IAM user's notebooks of the project, where ListNotebooks answers the caller's own", async () => {
    // Prepare: one notebook of another IAM user, besides the seeded ones (the caller's).
    const colleagues: NotebookRecord = {
      ...colleagueNotebook(SEEDED.modelarts.custom),
      status: 'RUNNING',
    };
    fixture.emulator.state.notebooks.set(colleagues);
    const everyLimit: Query = [['limit', '50']];

    // Act
    const own = await listModelArts<NotebookRecord>('notebooks', everyLimit);
    const all = await listModelArts<NotebookRecord>('notebooks/all', everyLimit);

    // Assess
    expect(own.body.total).toBe(SEED.modelarts.notebooks);
    expect(ids(own.body.data)).not.toContain(colleagues.id);
    expect(all.status).toBe(200);
    expect(all.body).toMatchObject({ current: 0, size: 50, total: SEED.modelarts.notebooks + 1 });
    expect(ids(all.body.data)).toContain(colleagues.id);
  });
});

describe('BCC image list', () => {
  it('answers every image in id order by default (maxKeys 1000), nextMarker left out', async () => {
    const { status, body } = await listBcc<'images'>('image');
    expect(status).toBe(200);
    expect(body).toMatchObject({ marker: '', isTruncated: false, maxKeys: 1000 });
    expect('nextMarker' in body).toBe(false);
    expect(ids(body.images)).toEqual(ids(fixture.emulator.state.bcc.list()).sort());
    expect(body.images.find((image) => image.id === SEEDED.bcc.system)).toEqual(
      fixture.emulator.state.bcc.get(SEEDED.bcc.system),
    );
  });

  it('pages by marker: each page starts at the marker, nextMarker is the next page’s first id', async () => {
    const expected = ids(fixture.emulator.state.bcc.list()).sort();
    const seen: string[] = [];
    let marker: string | undefined;
    for (let page = 0; page < 100; page++) {
      const { body } = await listBcc<'images'>('image', [
        ['maxKeys', '9'],
        ...(marker === undefined ? [] : [['marker', marker] as const]),
      ]);
      expect(body.marker).toBe(marker ?? '');
      expect(body.maxKeys).toBe(9);
      if (marker !== undefined) expect(body.images[0]?.id).toBe(marker);
      seen.push(...ids(body.images));
      if (!body.isTruncated) {
        expect(body.nextMarker).toBeUndefined();
        break;
      }
      expect(body.nextMarker).toBe(expected[seen.length]);
      marker = body.nextMarker;
    }
    expect(seen).toEqual(expected);
  });

  it('positions a page at a marker whose image was deleted meanwhile', async () => {
    const expected = ids(fixture.emulator.state.bcc.list()).sort();
    const marker = expected[20] as string;
    fixture.emulator.state.bcc.delete(marker);
    const { body } = await listBcc<'images'>('image', [
      ['maxKeys', '3'],
      ['marker', marker],
    ]);
    expect(ids(body.images)).toEqual(expected.slice(21, 24));
  });

  it('serves more than 1000 maxKeys as 1000', async () => {
    fixture.emulator.seed({ bcc: { images: 1100 } });
    const { body } = await listBcc<'images'>('image', [['maxKeys', '5000']]);
    expect(body.maxKeys).toBe(1000);
    expect(body.images).toHaveLength(1000);
    expect(body.isTruncated).toBe(true);
  });

  it('filters by imageType (All, System, Custom, GpuBccCustom, ...) and imageName substring', async () => {
    const all = fixture.emulator.state.bcc.list();
    for (const type of ['System', 'Custom', 'Sharing', 'GpuBccCustom']) {
      const { body } = await listBcc<'images'>('image', [['imageType', type]]);
      expect(ids(body.images)).toEqual(ids(all.filter((image) => image.type === type)).sort());
      expect(body.images.length).toBeGreaterThan(0);
    }
    expect((await listBcc<'images'>('image', [['imageType', 'All']])).body.images).toHaveLength(
      all.length,
    );
    const web = await listBcc<'images'>('image', [['imageName', 'web-']]);
    expect(web.body.images.length).toBeGreaterThan(0);
    expect(web.body.images.every((image) => String(image.name).includes('web-'))).toBe(true);
  });

  it('answers 400 InvalidParameter for a bad maxKeys or imageType', async () => {
    for (const query of [
      [['maxKeys', '0']],
      [['maxKeys', 'x']],
      [['imageType', 'Mine']],
    ] as const) {
      const { status, body } = await listBcc<'images'>('image', query);
      expect(status).toBe(400);
      expect(body).toMatchObject({ code: 'InvalidParameter' });
    }
  });
});

describe('BCC instance list', () => {
  it('pages instances by marker, each naming its image', async () => {
    const expected = ids(fixture.emulator.state.instances.list()).sort();
    const first = await listBcc<'instances'>('instance', [['maxKeys', '20']]);
    expect(first.body).toMatchObject({ marker: '', isTruncated: true, maxKeys: 20 });
    const second = await listBcc<'instances'>('instance', [
      ['maxKeys', '20'],
      ['marker', first.body.nextMarker ?? ''],
    ]);
    expect(second.body.isTruncated).toBe(false);
    expect([...ids(first.body.instances), ...ids(second.body.instances)]).toEqual(expected);
    for (const instance of first.body.instances) {
      expect(instance).toMatchObject({
        status: expect.any(String),
        imageId: expect.any(String),
        imageName: expect.any(String),
        imageType: expect.any(String),
        createTime: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/),
        zoneName: expect.any(String),
      });
      expect(fixture.emulator.state.bcc.has(instance.imageId)).toBe(true);
    }
  });
});

describe('images in use', () => {
  const deleteModelArts = (id: string) =>
    send(signedModelArts(modelArtsRequest(fixture.emulator.url, 'DELETE', id), clock.now()));

  it('ModelArts refuses to delete an image a notebook uses (400 ModelArts.6357), until it is gone', async () => {
    const created = await control(
      fixture.emulator.url,
      'POST',
      `images/modelarts/${SEEDED.modelarts.custom}/references`,
      { name: 'team-notebook' },
    );
    expect(created.status).toBe(201);
    const notebook = created.body as NotebookRecord;
    expect(notebook).toMatchObject({
      name: 'team-notebook',
      status: 'RUNNING',
      image: { id: SEEDED.modelarts.custom, name: 'mock-service-python', type: 'DEDICATED' },
    });
    expect(
      (
        await control(
          fixture.emulator.url,
          'GET',
          `images/modelarts/${SEEDED.modelarts.custom}/references`,
        )
      ).body,
    ).toEqual([notebook]);
    const listed = await listModelArts<NotebookRecord>('notebooks', [['name', 'team-notebook']]);
    expect(listed.body.data).toEqual([notebook]);

    const refused = await deleteModelArts(SEEDED.modelarts.custom);
    expect(refused.status).toBe(400);
    expect(json(refused)).toMatchObject({ error_code: 'ModelArts.6357' });
    expect(fixture.emulator.state.modelarts.has(SEEDED.modelarts.custom)).toBe(true);

    expect((await control(fixture.emulator.url, 'DELETE', `notebooks/${notebook.id}`)).status).toBe(
      204,
    );
    expect((await deleteModelArts(SEEDED.modelarts.custom)).status).toBe(200);
  });

  it('BCC deletes an image instances were built from (no documented refusal)', async () => {
    const instance = fixture.emulator.state.referenceImage('bcc', SEEDED.bcc.custom, {
      id: 'i-users001',
    });
    expect(instance).toMatchObject({ imageId: SEEDED.bcc.custom, imageType: 'Custom' });
    const response = await send(
      signedBcc(bccRequest(fixture.emulator.url, 'DELETE', SEEDED.bcc.custom), clock.now()),
    );
    expect(response.status).toBe(200);
    expect(fixture.emulator.state.instances.get('i-users001')?.imageId).toBe(SEEDED.bcc.custom);
  });

  it('notebooks and instances are kept through the control API (PUT, GET, DELETE)', async () => {
    const put = await control(fixture.emulator.url, 'PUT', 'instances/i-manual01', {
      name: 'manual',
      status: 'Stopped',
      imageId: SEEDED.bcc.system,
    });
    expect(put).toEqual({
      status: 200,
      body: { id: 'i-manual01', name: 'manual', status: 'Stopped', imageId: SEEDED.bcc.system },
    });
    expect((await control(fixture.emulator.url, 'GET', 'instances/i-manual01')).body).toEqual(
      put.body,
    );
    expect(
      (await control(fixture.emulator.url, 'PUT', 'instances/i-bad', { name: 'no image' })).status,
    ).toBe(400);
    expect(
      (await control(fixture.emulator.url, 'PUT', 'notebooks/nb-1', { image: {} })).status,
    ).toBe(400);
    expect(
      (
        await control(fixture.emulator.url, 'PUT', 'notebooks/nb-1', {
          image: { id: SEEDED.modelarts.builtIn },
        })
      ).status,
    ).toBe(200);
    expect(fixture.emulator.state.isReferenced('modelarts', SEEDED.modelarts.builtIn)).toBe(true);
    expect((await control(fixture.emulator.url, 'DELETE', 'instances/i-manual01')).status).toBe(
      204,
    );
    expect((await control(fixture.emulator.url, 'DELETE', 'instances/i-manual01')).status).toBe(
      404,
    );
    expect(
      (await control(fixture.emulator.url, 'POST', 'images/bcc/m-missing/references', {})).status,
    ).toBe(404);
  });
});

describe('faults on list routes', () => {
  it('match by operation: only the list is hit, show still answers', async () => {
    fixture.emulator.faults.inject({
      match: { provider: 'modelarts', operation: 'list-images' },
      times: 2,
      action: { kind: 'status', status: 503 },
    });
    expect((await listModelArts('images')).status).toBe(503);
    const shown = await send(
      signedModelArts(
        modelArtsRequest(fixture.emulator.url, 'GET', SEEDED.modelarts.builtIn),
        clock.now(),
      ),
    );
    expect(shown.status).toBe(200);
    expect((await listModelArts('images')).status).toBe(503);
    expect((await listModelArts('images')).status).toBe(200);
    expect(fixture.emulator.requests.map((r) => [r.operation, r.status, r.fault])).toEqual([
      ['list-images', 503, 'status'],
      ['show', 200, undefined],
      ['list-images', 503, 'status'],
      ['list-images', 200, undefined],
    ]);
  });

  it('through the control API, on BCC instance and notebook lists, including transport faults', async () => {
    const injected = await control(fixture.emulator.url, 'POST', 'faults', {
      match: { operation: 'list-instances' },
      action: { kind: 'truncated' },
    });
    expect(injected.status).toBe(201);
    await expect(
      send(signedBcc(bccListRequest(fixture.emulator.url, 'instance'), clock.now())),
    ).rejects.toThrow();
    expect((await listBcc<'images'>('image')).status).toBe(200);
    expect(
      (
        await control(fixture.emulator.url, 'POST', 'faults', {
          match: { operation: 'list-everything' },
          action: { kind: 'reset' },
        })
      ).status,
    ).toBe(400);

    fixture.emulator.faults.inject({
      match: { method: 'GET', operation: 'list-notebooks' },
      action: { kind: 'malformed', body: '{"data": [' },
    });
    const broken = await send(
      signedModelArts(modelArtsListRequest(fixture.emulator.url, 'notebooks'), clock.now()),
    );
    expect(broken).toMatchObject({ status: 200, body: '{"data": [' });
  });
});

describe('a change between two pages of a list', () => {
  it('lets the first `skip` matching requests pass, then changes what the next one reads', async () => {
    // Prepare: the newest notebook first (the default order); the third page request will find the
    // second notebook deleted and the last one moved to the head of the list.
    const before = (await listModelArts<NotebookRecord>('notebooks/all', [['limit', '50']])).body
      .data;
    const [, deleted, ...rest] = before.map((notebook) => notebook.id);
    const moved = rest.at(-1) as string;
    fixture.emulator.faults.inject({
      match: { operation: 'list-all-notebooks' },
      skip: 2,
      action: {
        kind: 'change',
        delete: [String(deleted)],
        update: [{ id: moved, create_at: Date.parse('2030-01-01T00:00:00Z') }],
      },
    });
    const page = () => listModelArts<NotebookRecord>('notebooks/all', [['limit', '50']]);

    // Act
    const first = await page();
    const second = await page();
    const third = await page();
    const fourth = await page();

    // Assess
    expect(first.body.data.map((notebook) => notebook.id)).toEqual(before.map((n) => n.id));
    expect(second.body.data).toEqual(first.body.data);
    const after = [
      moved,
      ...before.map((n) => n.id).filter((id) => id !== deleted && id !== moved),
    ];
    expect(third.body.data.map((notebook) => notebook.id)).toEqual(after);
    expect(third.body.total).toBe(SEED.modelarts.notebooks - 1);
    expect(fourth.body.data).toEqual(third.body.data);
    expect(fixture.emulator.requests.slice(1).map((request) => request.fault)).toEqual([
      undefined,
      undefined,
      'change',
      undefined,
    ]);
    expect(fixture.emulator.faults.list()).toEqual([]);
  });

  it('creates records whose id is not there yet (an image made meanwhile comes at the head), and leaves one that is', async () => {
    // Prepare: a new image newer than any, and one with an ID already listed (not overwritten).
    const [head] = (await listModelArts('images', [['limit', '1']])).body.data;
    const created = 'c0c0c0c0-0000-4000-8000-000000000001';
    fixture.emulator.faults.inject({
      match: { operation: 'list-images' },
      skip: 1,
      action: {
        kind: 'change',
        create: [
          { id: created, name: 'new', status: 'ACTIVE', type: 'DEDICATED', create_at: 4e12 },
          { id: String(head?.id), name: 'overwritten' },
        ],
      },
    });
    const page = () => listModelArts('images', [['limit', '2']]);

    // Act
    const first = await page();
    const second = await page();

    // Assess
    expect(first.body.data.map((image) => image.id)[0]).toBe(head?.id);
    expect(second.body.data.map((image) => image.id)).toEqual([created, head?.id]);
    expect(second.body.total).toBe(first.body.total + 1);
    expect(fixture.emulator.state.modelarts.get(String(head?.id))?.name).toBe(head?.name);
  });

  it('changes the records the request reads: instances for the instance list; unknown ids are ignored', async () => {
    // Prepare
    const [first] = (await listBcc<'instances'>('instance', [['maxKeys', '1']])).body.instances;
    const id = String(first?.id);
    await control(fixture.emulator.url, 'POST', 'faults', {
      match: { operation: 'list-instances' },
      action: { kind: 'change', delete: [id, 'i-nosuch'], update: [{ id: 'i-nosuch', name: 'x' }] },
    });

    // Act
    const listed = await listBcc<'instances'>('instance');

    // Assess
    expect(listed.status).toBe(200);
    expect(listed.body.instances.map((instance) => instance.id)).not.toContain(id);
    expect(fixture.emulator.state.instances.has(id)).toBe(false);
    expect(fixture.emulator.state.instances.has('i-nosuch')).toBe(false);
    expect(fixture.emulator.state.notebooks.size).toBe(SEED.modelarts.notebooks);
  });
});
