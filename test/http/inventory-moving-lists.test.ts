// A usage list that moves while it is read, through the real handlers against the emulator. A
// ModelArts notebook list is read by offset: a notebook behind the scan deleted between two page
// reads moves every later one back by one place, and one ahead moved to the head of the list (it
// started, where the list is by update time) leaves the scan's reach; either way the scan would
// skip a notebook, and an image it runs would be deleted. Scans that decide safety read each page
// from one record before where they stand and start again when that record is not the last one
// read; a list that keeps moving fails closed. A plan's scan of every ModelArts image is read the
// same way: an image deleted behind it (an apply running meanwhile) would go undecided, one created
// at the head would bring the image at the page boundary again; a plan decides every image there
// exactly once, or is incomplete. A BCC list (instances, images) is read by marker (IDs): a deleted
// marker positions the next page at the ID after it, so nothing is skipped.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEMO_BCC, DEMO_MODELARTS, SEEDED } from '../../emulator/demo.js';
import { handler as createPlanHandler } from '../../functions/http/create-plan.js';
import { handler as deleteHandler } from '../../functions/http/delete-image.js';
import { handler as usageHandler } from '../../functions/http/image-usage.js';
import { cursorBinding, encodeCursor } from '../../lib/images/cursor.js';
import type { Plan } from '../../lib/retirement/plan.js';
import { httpEvent, lambdaContext, parseResult, routeEvent } from '../../scripts/lambda-events.js';
import { useFixture } from '../support/fixture.js';

const store = await mkdtemp(join(tmpdir(), 'cif-moving-lists-'));

const fixture = useFixture({
  env: { RETIREMENT_STORE_DIR: store, UPSTREAM_RETRY_BASE_MS: '5' },
});

afterAll(async () => {
  await rm(store, { recursive: true, force: true });
});

const IMAGE = SEEDED.modelarts.custom;
const NOTEBOOKS = 200;
const notebookId = (n: number) => `b0b0b0b0-0000-4000-8000-${String(n).padStart(12, '0')}`;

/**
 * NOTEBOOKS notebooks, listed newest first: notebook n is the n-th of the list (from 0). Notebook
 * `using` (if any) runs the custom image, the others the built-in one.
 */
const seedNotebooks = (using?: number): void => {
  for (let n = 0; n < NOTEBOOKS; n += 1) {
    fixture.emulator.state.notebooks.set({
      id: notebookId(n),
      name: `nb-${n}`,
      status: 'RUNNING',
      create_at: 1_700_000_000_000 - n,
      image: { id: n === using ? IMAGE : SEEDED.modelarts.builtIn },
    });
  }
};

const AHEAD_OF_EVERY_NOTEBOOK = 1_800_000_000_000;

type Change = {
  delete?: string[];
  update?: Array<{ id: string } & Record<string, unknown>>;
  create?: Array<{ id: string } & Record<string, unknown>>;
};

/** Between the first and the second notebook page request (the offset probe). */
const beforeSecondPage = (change: Change) =>
  fixture.emulator.faults.inject({
    match: { operation: 'list-all-notebooks' },
    skip: 1,
    action: { kind: 'change', ...change },
  });

/** Between the second and the third notebook page request (after the first page and its probe). */
const beforeThirdPage = (change: Change) =>
  fixture.emulator.faults.inject({
    match: { operation: 'list-all-notebooks' },
    skip: 2,
    action: { kind: 'change', ...change },
  });

/**
 * The list moves between two page requests so that, read as before, the notebook running the
 * image would be skipped: a notebook the scan has passed is deleted while the one running the
 * image sits just after the page boundary (after the first page of 50; under offsets counting
 * pages, whose probe is page two, after the second when the list moves after the probe), or the
 * one running the image, still ahead of the scan, moves to the head of the list.
 */
const movements = [
  [
    'records',
    'a notebook already read is deleted',
    50,
    () => beforeThirdPage({ delete: [notebookId(10)] }),
  ],
  [
    'pages',
    'a notebook already read is deleted',
    100,
    () => beforeThirdPage({ delete: [notebookId(10)] }),
  ],
  [
    'records',
    'the notebook running the image moves from ahead of the scan to the head of the list',
    120,
    () =>
      beforeThirdPage({ update: [{ id: notebookId(120), create_at: AHEAD_OF_EVERY_NOTEBOOK }] }),
  ],
  [
    'pages',
    'the notebook running the image moves from ahead of the scan to the head of the list',
    120,
    () =>
      beforeThirdPage({ update: [{ id: notebookId(120), create_at: AHEAD_OF_EVERY_NOTEBOOK }] }),
  ],
  [
    'records',
    'a notebook already read is deleted before the offset probe',
    50,
    () => beforeSecondPage({ delete: [notebookId(10)] }),
  ],
  [
    'pages',
    'a notebook already read is deleted before the offset probe (page two)',
    50,
    () => beforeSecondPage({ delete: [notebookId(10)] }),
  ],
] as const;

/**
 * Every notebook request from the third on moves another notebook from ahead to the head of the
 * list (the oldest, from `round` * 20 on: each round moves others).
 */
const keepMoving = (round = 0) => {
  for (let change = 0; change < 20; change += 1) {
    const moves = round * 20 + change;
    fixture.emulator.faults.inject({
      match: { operation: 'list-all-notebooks' },
      skip: 2 + change,
      action: {
        kind: 'change',
        update: [
          { id: notebookId(NOTEBOOKS - 1 - moves), create_at: AHEAD_OF_EVERY_NOTEBOOK + moves },
        ],
      },
    });
  }
};

const remove = async (imageId: string) =>
  parseResult(await deleteHandler(httpEvent('DELETE', 'modelarts', imageId, {}), lambdaContext()));

const usage = async (query: Record<string, string> = {}) =>
  parseResult(
    await usageHandler(
      routeEvent({
        method: 'GET',
        route: '/images/{provider}/{imageId}/usage',
        pathParameters: { provider: 'modelarts', imageId: IMAGE },
        query,
      }),
      lambdaContext(),
    ),
  );

/** POST /retirements/plans of every custom ModelArts image of the demo region. */
const planModelArts = async (policy: {
  name: string;
  newestPerFamily: number;
  maxDeletions: number;
}) =>
  parseResult(
    await createPlanHandler(
      routeEvent({
        method: 'POST',
        route: '/retirements/plans',
        body: {
          name: policy.name,
          provider: 'modelarts',
          regions: [DEMO_MODELARTS.region],
          select: { kind: 'custom', olderThanDays: 0 },
          keep: { newestPerFamily: policy.newestPerFamily },
          limits: { maxDeletions: policy.maxDeletions, maxPercent: 100 },
        },
        callerArn: 'arn:aws:iam::123456789012:user/planner',
      }),
      lambdaContext(),
    ),
  );

const plan = () =>
  planModelArts({ name: 'moving-notebooks', newestPerFamily: 0, maxDeletions: 100 });

const deletes = () => fixture.emulator.requests.filter((request) => request.method === 'DELETE');
const notebookOffsets = () =>
  fixture.emulator.requests
    .filter((request) => request.operation === 'list-all-notebooks')
    .map((request) => Number(request.query.find(([key]) => key === 'offset')?.[1]));
const errorOf = (response: { status: number; body: Record<string, unknown> }) => [
  response.status,
  (response.body.error as { code?: string } | undefined)?.code,
];

describe('a ModelArts notebook list that moves between two pages of a usage scan', () => {
  it.each(movements)(
    'offsets counting %s, %s: the delete is refused naming the notebook (read again), nothing deleted',
    async (offsets, _what, using, move) => {
      // Prepare
      fixture.emulator.settings.modelartsOffset = offsets;
      seedNotebooks(using);
      move();

      // Act
      const response = await remove(IMAGE);

      // Assess
      expect(errorOf(response), JSON.stringify(response.body)).toEqual([409, 'IMAGE_BUSY']);
      expect((response.body.error as { message: string }).message).toContain(
        `in use by notebook ${notebookId(using)} (nb-${using}, RUNNING)`,
      );
      expect(deletes()).toEqual([]);
      expect(fixture.emulator.state.modelarts.has(IMAGE)).toBe(true);
    },
  );

  it.each(movements)(
    'offsets counting %s, %s: a plan keeps the image in use',
    async (offsets, _what, using, move) => {
      // Prepare
      fixture.emulator.settings.modelartsOffset = offsets;
      seedNotebooks(using);
      move();

      // Act
      const response = await plan();

      // Assess
      expect(response.status, JSON.stringify(response.body).slice(0, 300)).toBe(201);
      const made = response.body as unknown as Plan;
      expect(made.complete).toBe(true);
      expect(made.decisions.find((decision) => decision.image.id === IMAGE)).toMatchObject({
        decision: 'keep',
        reason: 'in-use',
      });
    },
  );

  it.each(movements)(
    'offsets counting %s, %s: the usage route names the notebook',
    async (offsets, _what, using, move) => {
      // Prepare
      fixture.emulator.settings.modelartsOffset = offsets;
      seedNotebooks(using);
      move();

      // Act
      const response = await usage();

      // Assess
      expect(response.status).toBe(200);
      expect(response.body).toEqual({
        inUse: true,
        references: [
          { type: 'notebook', id: notebookId(using), name: `nb-${using}`, status: 'RUNNING' },
        ],
        complete: true,
      });
    },
  );

  it.each(['records', 'pages'] as const)(
    'offsets counting %s, a list that keeps moving: the delete fails closed as a scan out of time does, nothing deleted',
    async (offsets) => {
      // Prepare: nothing runs the image; the list moves before every page from the third on.
      fixture.emulator.settings.modelartsOffset = offsets;
      seedNotebooks();
      keepMoving();

      // Act
      const response = await remove(IMAGE);

      // Assess
      expect(errorOf(response), JSON.stringify(response.body)).toEqual([504, 'UPSTREAM_TIMEOUT']);
      expect(deletes()).toEqual([]);
      expect(fixture.emulator.state.modelarts.has(IMAGE)).toBe(true);
    },
  );

  it('a list that keeps moving: a plan is incomplete and decides nothing; the usage route is not complete, and its cursor goes on once the list settles', async () => {
    // Prepare
    seedNotebooks(150);
    keepMoving();

    // Act
    const planned = await plan();
    fixture.emulator.faults.clear();
    keepMoving(1);
    const first = await usage();
    fixture.emulator.faults.clear();
    const rest = await usage({ cursor: String(first.body.nextCursor) });

    // Assess
    expect(planned.status).toBe(201);
    expect(planned.body).toMatchObject({ complete: false, decisions: [] });
    expect(String(planned.body.incomplete)).toContain(
      `what uses the images of ${DEMO_MODELARTS.region} kept moving while it was read`,
    );
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ complete: false });
    expect(typeof first.body.nextCursor).toBe('string');
    expect(rest.body).toEqual({
      inUse: true,
      references: [{ type: 'notebook', id: notebookId(150), name: 'nb-150', status: 'RUNNING' }],
      complete: true,
    });
  });

  it('a usage cursor made before scans read with an overlap reads the list again from its start', async () => {
    // Prepare: a cursor as the usage route handed it out before (offsets counting records, at the
    // second page); the notebook running the image is now before that point.
    seedNotebooks(10);
    const before = encodeCursor(
      { position: { offset: 50, reading: 'records', size: 50 }, skip: 0 },
      cursorBinding({
        operation: 'usage',
        provider: 'modelarts',
        region: DEMO_MODELARTS.region,
        imageId: IMAGE,
      }),
    );

    // Act
    const response = await usage({ cursor: before });

    // Assess
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    expect(response.body).toMatchObject({
      inUse: true,
      references: [{ type: 'notebook', id: notebookId(10) }],
      complete: true,
    });
  });

  it.each([
    ['records', [0, 1, 49, 98]],
    ['pages', [0, 1, 2]],
  ] as const)(
    'a list that does not move costs one record per page read again, no request more (offsets counting %s)',
    async (offsets, asked) => {
      // Prepare: 120 notebooks; the last runs the image.
      fixture.emulator.settings.modelartsOffset = offsets;
      seedNotebooks(119);
      for (let n = 120; n < NOTEBOOKS; n += 1)
        fixture.emulator.state.notebooks.delete(notebookId(n));

      // Act
      const response = await usage();

      // Assess
      expect(response.body).toMatchObject({ inUse: true, complete: true });
      expect(notebookOffsets()).toEqual(asked);
    },
  );
});

describe('a BCC instance list whose next marker is deleted between two pages of a usage scan', () => {
  it('goes on at the next instance by ID: the one running the image is found, nothing deleted', async () => {
    // Prepare: more instances than a page (1000) holds; the 1001st (the second page's marker) is
    // deleted after the first page, and the 1002nd runs the image.
    const id = (n: number) => `i-${String(n).padStart(6, '0')}`;
    for (let n = 0; n < 1_100; n += 1) {
      fixture.emulator.state.instances.set({
        id: id(n),
        name: `vm-${n}`,
        status: 'Running',
        imageId: n === 1_001 ? SEEDED.bcc.custom : SEEDED.bcc.system,
      });
    }
    fixture.emulator.faults.inject({
      match: { operation: 'list-instances' },
      skip: 1,
      action: { kind: 'change', delete: [id(1_000)] },
    });

    // Act
    const response = parseResult(
      await deleteHandler(httpEvent('DELETE', 'bcc', SEEDED.bcc.custom, {}), lambdaContext()),
    );

    // Assess
    expect(errorOf(response)).toEqual([409, 'IMAGE_BUSY']);
    expect((response.body.error as { message: string }).message).toContain(`instance ${id(1_001)}`);
    expect(
      fixture.emulator.requests
        .filter((request) => request.operation === 'list-instances')
        .map((request) => request.query.find(([key]) => key === 'marker')?.[1]),
    ).toEqual([undefined, id(1_000)]);
    expect(deletes()).toEqual([]);
  });
});

describe("a ModelArts image list that moves between two pages of a plan's inventory scan", () => {
  /** More images than two pages of 200 hold, listed newest first: image n is the n-th (from 0). */
  const IMAGES = 450;
  const imageId = (n: number) => `a0a0a0a0-0000-4000-8000-${String(n).padStart(12, '0')}`;
  const NEWEST = 1_800_000_000_000;

  const seedImages = (): void => {
    for (let n = 0; n < IMAGES; n += 1) {
      fixture.emulator.state.modelarts.set({
        id: imageId(n),
        name: 'train',
        status: 'ACTIVE',
        type: 'DEDICATED',
        create_at: NEWEST - n,
        update_at: NEWEST - n,
      });
    }
  };

  /** Between the `skip`-th and the next image page request. */
  const imagesChange = (skip: number, change: Change) =>
    fixture.emulator.faults.inject({
      match: { operation: 'list-images' },
      skip,
      action: { kind: 'change', ...change },
    });

  const planImages = () =>
    planModelArts({ name: 'moving-images', newestPerFamily: 3, maxDeletions: 1_000 });

  /** How many decisions the plan made for each image ID. */
  const decidedIds = (made: Plan): Map<string, number> => {
    const counts = new Map<string, number>();
    for (const decision of made.decisions) {
      counts.set(decision.image.id, (counts.get(decision.image.id) ?? 0) + 1);
    }
    return counts;
  };

  const imageOffsets = () =>
    fixture.emulator.requests
      .filter((request) => request.operation === 'list-images')
      .map((request) => Number(request.query.find(([key]) => key === 'offset')?.[1]));

  it.each(['records', 'pages'] as const)(
    'offsets counting %s, an image already read is deleted after the first page and its probe: the plan still decides every image there once',
    async (offsets) => {
      // Prepare: image 10 (read on the first page) is deleted, as by an apply running meanwhile,
      // before the third page request; every later image moves back by one place.
      fixture.emulator.settings.modelartsOffset = offsets;
      seedImages();
      imagesChange(2, { delete: [imageId(10)] });

      // Act
      const response = await planImages();

      // Assess: every image still listed has one decision (image 10 may have one or none).
      expect(response.status, JSON.stringify(response.body).slice(0, 300)).toBe(201);
      const made = response.body as unknown as Plan;
      expect(made.complete).toBe(true);
      const decided = decidedIds(made);
      const missed = fixture.emulator.state.modelarts
        .list()
        .map((record) => record.id)
        .filter((id) => decided.get(id) !== 1);
      expect(missed, 'images still there without exactly one decision').toEqual([]);
    },
  );

  it.each(['records', 'pages'] as const)(
    'offsets counting %s, an image is created at the head of the list after the first page and its probe: the plan reads the list again, deciding the new image and none twice',
    async (offsets) => {
      // Prepare: a newer image appears before the third page request; every later image moves
      // forward by one place, so the image at the page boundary comes again.
      fixture.emulator.settings.modelartsOffset = offsets;
      seedImages();
      const created = imageId(999);
      imagesChange(2, {
        create: [
          {
            id: created,
            name: 'train',
            status: 'ACTIVE',
            type: 'DEDICATED',
            create_at: NEWEST + 1,
            update_at: NEWEST + 1,
          },
        ],
      });

      // Act
      const response = await planImages();

      // Assess
      expect(response.status).toBe(201);
      const made = response.body as unknown as Plan;
      expect(made.complete).toBe(true);
      expect([...decidedIds(made).values()].filter((count) => count > 1)).toEqual([]);
      expect(decidedIds(made).size).toBe(fixture.emulator.state.modelarts.list().length);
    },
  );

  it.each(['records', 'pages'] as const)(
    'offsets counting %s, an image list that keeps moving: the plan is incomplete, decides nothing and says why',
    async (offsets) => {
      // Prepare: before every image page request from the third on, another image already read
      // is deleted (as by an apply running meanwhile).
      fixture.emulator.settings.modelartsOffset = offsets;
      seedImages();
      for (let change = 0; change < 20; change += 1) {
        imagesChange(2 + change, { delete: [imageId(change)] });
      }

      // Act
      const response = await planImages();

      // Assess
      expect(response.status, JSON.stringify(response.body).slice(0, 300)).toBe(201);
      expect(response.body).toMatchObject({ complete: false, decisions: [] });
      expect(String(response.body.incomplete)).toContain(
        `the inventory of ${DEMO_MODELARTS.region} kept moving while it was read`,
      );
    },
  );

  it.each([
    ['records', [0, 1, 199, 398]],
    ['pages', [0, 1, 2]],
  ] as const)(
    'an image list that does not move costs one record per page read again, no request more (offsets counting %s)',
    async (offsets, asked) => {
      // Prepare
      fixture.emulator.settings.modelartsOffset = offsets;
      seedImages();

      // Act
      const response = await planImages();

      // Assess
      const made = response.body as unknown as Plan;
      expect(made.complete).toBe(true);
      expect(decidedIds(made).size).toBe(IMAGES + 3);
      expect(imageOffsets()).toEqual(asked);
    },
  );
});

describe("a BCC image list whose next marker is deleted between two pages of a plan's inventory scan", () => {
  it('goes on at the next image by ID: the plan decides every image there once', async () => {
    // Prepare: more images than a page (1000) holds, in ID order; the 1001st (the second page's
    // marker) is deleted after the first page.
    const id = (n: number) => `m-plan${String(n).padStart(6, '0')}`;
    for (let n = 0; n < 1_100; n += 1) {
      fixture.emulator.state.bcc.set({
        id: id(n),
        name: `web-${n}`,
        type: 'Custom',
        status: 'Available',
        createTime: '2025-01-01T00:00:00Z',
      });
    }
    const before = fixture.emulator.state.bcc
      .list()
      .map((record) => record.id)
      .sort();
    const marker = before[1_000] as string;
    fixture.emulator.faults.inject({
      match: { operation: 'list-images' },
      skip: 1,
      action: { kind: 'change', delete: [marker] },
    });

    // Act
    const response = parseResult(
      await createPlanHandler(
        routeEvent({
          method: 'POST',
          route: '/retirements/plans',
          body: {
            name: 'moving-bcc-images',
            provider: 'bcc',
            regions: [DEMO_BCC.region],
            select: { kind: 'custom', olderThanDays: 0 },
            keep: { newestPerFamily: 0 },
            limits: { maxDeletions: 2_000, maxPercent: 100 },
          },
          callerArn: 'arn:aws:iam::123456789012:user/planner',
        }),
        lambdaContext(),
      ),
    );

    // Assess
    expect(response.status, JSON.stringify(response.body).slice(0, 300)).toBe(201);
    const made = response.body as unknown as Plan;
    expect(made.complete).toBe(true);
    const decided = made.decisions.map((decision) => decision.image.id);
    expect(decided.length).toBe(new Set(decided).size);
    expect([...decided].sort()).toEqual(before.filter((each) => each !== marker).sort());
    expect(
      fixture.emulator.requests
        .filter((request) => request.operation === 'list-images')
        .map((request) => request.query.find(([key]) => key === 'marker')?.[1]),
    ).toEqual([undefined, marker]);
  });
});
