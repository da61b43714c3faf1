// The inventory through the real handlers against a seeded emulator: paging through thousands of
// images yields each exactly once, for any page size and filter, under both readings of ModelArts
// offsets and under BCC markers, also when a first page's offset probe runs out of time; cursors
// are bound and tamper-evident; usage finds what runs an image; a delete refuses an image in use,
// and fails closed when usage cannot be read.

import type { Context } from 'aws-lambda';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SEEDED } from '../../emulator/demo.js';
import { handler as deleteHandler } from '../../functions/http/delete-image.js';
import { handler as usageHandler } from '../../functions/http/image-usage.js';
import { handler as listHandler } from '../../functions/http/list-images.js';
import { handler as taskUsage } from '../../functions/task/image-usage.js';
import { handler as taskList } from '../../functions/task/list-images.js';
import { cursorBinding, encodeCursor } from '../../lib/images/cursor.js';
import type { Image } from '../../lib/images/image.js';
import { httpEvent, lambdaContext, parseResult, routeEvent } from '../../scripts/lambda-events.js';
import { useFixture } from '../support/fixture.js';

const SEED_IMAGES = 5_000;

const fixture = useFixture({
  emulator: {
    seed: {
      modelarts: { images: SEED_IMAGES, notebooks: 300 },
      bcc: { images: SEED_IMAGES, instances: 300 },
      random: 7,
    },
  },
  env: { UPSTREAM_RETRY_BASE_MS: '5' },
});

/** GET /images/{provider} with a query, as API Gateway hands it over. */
const listEvent = (provider: string, query: Record<string, string>) =>
  routeEvent({ method: 'GET', route: '/images/{provider}', pathParameters: { provider }, query });

const list = async (provider: string, query: Record<string, string>, remainingMs?: number) =>
  parseResult(await listHandler(listEvent(provider, query), lambdaContext(remainingMs)));

const usageEvent = (provider: string, imageId: string, query: Record<string, string> = {}) =>
  routeEvent({
    method: 'GET',
    route: '/images/{provider}/{imageId}/usage',
    pathParameters: { provider, imageId },
    query,
  });

type Page = { images: Image[]; nextCursor?: string };

/** Every page of a listing (from `from`, or the start), following nextCursor to the end. */
const pageThrough = async (
  provider: string,
  query: Record<string, string>,
  from?: string,
): Promise<{ images: Image[]; pages: number }> => {
  const images: Image[] = [];
  let cursor: string | undefined = from;
  let pages = 0;
  do {
    const response = await list(provider, cursor === undefined ? query : { ...query, cursor });
    expect(response.status, JSON.stringify(response.body).slice(0, 300)).toBe(200);
    const page = response.body as unknown as Page;
    expect(page.images.length).toBeLessThanOrEqual(Number(query.limit ?? 100));
    images.push(...page.images);
    cursor = page.nextCursor;
    pages += 1;
  } while (cursor !== undefined);
  return { images, pages };
};

interface Filter {
  kind?: string;
  status?: string[];
  name?: string;
  createdBefore?: string;
}

const queryOf = (filter: Filter, limit: number): Record<string, string> => ({
  limit: String(limit),
  ...(filter.kind === undefined ? {} : { kind: filter.kind }),
  ...(filter.status === undefined ? {} : { status: filter.status.join(',') }),
  ...(filter.name === undefined ? {} : { name: filter.name }),
  ...(filter.createdBefore === undefined ? {} : { createdBefore: filter.createdBefore }),
});

/** The filter's meaning, written independently of the service (a glob as a regular expression). */
const expectedFrom = (all: readonly Image[], filter: Filter): string[] => {
  const glob =
    filter.name === undefined
      ? undefined
      : new RegExp(
          `^${filter.name
            .replace(/[.+^${}()|[\]\\]/g, '\\$&')
            .replace(/\*/g, '[\\s\\S]*')
            .replace(/\?/g, '[\\s\\S]')}$`,
        );
  const before = filter.createdBefore === undefined ? undefined : Date.parse(filter.createdBefore);
  return all
    .filter(
      (image) =>
        (filter.kind === undefined || image.kind === filter.kind) &&
        (filter.status === undefined || filter.status.includes(image.status)) &&
        (glob === undefined || glob.test(image.name)) &&
        (before === undefined ||
          (image.createdAt !== undefined && Date.parse(image.createdAt) < before)),
    )
    .map((image) => image.id)
    .sort();
};

/** Filters from none at all to narrow ones; most keep hundreds or thousands of images. */
const filterArb: fc.Arbitrary<Filter> = fc.record(
  {
    kind: fc.constantFrom('custom', 'custom', 'system', 'shared'),
    status: fc.subarray(['available', 'creating', 'failed', 'error', 'unknown'], { minLength: 2 }),
    name: fc.constantFrom('*', '*a*', '*e*', 'train-*', '*-golden', 'web-?*'),
    createdBefore: fc.constantFrom('2030-01-01', '2026-06-01', '2025-06-01T00:00:00Z'),
  },
  { requiredKeys: [] },
);

describe('listing pages through every image exactly once', () => {
  const scenarios = [
    { provider: 'bcc', offsets: 'records' as const, label: 'BCC (markers)' },
    {
      provider: 'modelarts',
      offsets: 'records' as const,
      label: 'ModelArts (offsets count records)',
    },
    { provider: 'modelarts', offsets: 'pages' as const, label: 'ModelArts (offsets count pages)' },
  ];

  it.each(scenarios)(
    '$label: the whole inventory, with no filter, is what the cloud holds',
    async ({ provider, offsets }) => {
      fixture.emulator.settings.modelartsOffset = offsets;
      const { images } = await pageThrough(provider, { limit: '1000' });
      const held =
        provider === 'bcc'
          ? fixture.emulator.state.bcc.list()
          : fixture.emulator.state.modelarts.list();
      expect(images.map((image) => image.id).sort()).toEqual(
        held.map((record) => record.id).sort(),
      );
      expect(new Set(images.map((image) => image.id)).size).toBe(images.length);
    },
  );

  it.each([1, 7, 100, 1000])(
    'in pages of %i, for generated filters, under markers and both offset readings',
    async (limit) => {
      const all: Record<string, Image[]> = {};
      for (const scenario of scenarios) {
        fixture.emulator.settings.modelartsOffset = scenario.offsets;
        all[scenario.label] = (await pageThrough(scenario.provider, { limit: '1000' })).images;
      }
      const [bcc, recordsReading, pagesReading] = scenarios as [
        (typeof scenarios)[0],
        (typeof scenarios)[0],
        (typeof scenarios)[0],
      ];
      // Always tried: no filter (page boundaries everywhere) and a filter that drops most of
      // every upstream page, under each paging style.
      const examples: Array<[(typeof scenarios)[0], Filter]> =
        limit === 1
          ? [
              [bcc, { kind: 'custom', name: '*-golden' }],
              [recordsReading, { kind: 'custom', status: ['failed', 'error'] }],
              [pagesReading, { name: 'train-*', status: ['available', 'failed'] }],
            ]
          : [
              [bcc, {}],
              [recordsReading, {}],
              [pagesReading, {}],
              [bcc, { name: '*-golden' }],
              [pagesReading, { kind: 'custom', status: ['failed', 'error'] }],
            ];
      let checked = 0;
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(...scenarios), filterArb, async (scenario, filter) => {
          fixture.emulator.settings.modelartsOffset = scenario.offsets;
          const expected = expectedFrom(all[scenario.label] ?? [], filter);
          // Pages of one image over thousands of matches take thousands of calls: keep those
          // runs to filters that narrow the inventory.
          fc.pre(limit > 1 || expected.length <= 600);
          const { images, pages } = await pageThrough(scenario.provider, queryOf(filter, limit));
          const ids = images.map((image) => image.id);
          expect(new Set(ids).size, 'an image handed out twice').toBe(ids.length);
          expect([...ids].sort()).toEqual(expected);
          expect(pages).toBeLessThanOrEqual(Math.max(1, Math.ceil(expected.length / limit)) + 1);
          checked += expected.length;
        }),
        { numRuns: limit === 1 ? 4 : 10, seed: 42 + limit, examples },
      );
      // The runs did page through many images, not only empty results.
      expect(checked).toBeGreaterThan(limit === 1 ? 100 : 5_000);
    },
    300_000,
  );

  it('uses the fewest upstream requests its page sizes allow for a whole inventory', async () => {
    fixture.emulator.settings.modelartsOffset = 'records';
    await pageThrough('bcc', { limit: '1000' });
    const bccLists = fixture.emulator.requests.filter(
      (request) => request.operation === 'list-images',
    );
    // 5,004 images (the seeded ones and the demo ones) in upstream pages of 1,000.
    expect(bccLists).toHaveLength(Math.ceil(fixture.emulator.state.bcc.list().length / 1000));
  });
});

/**
 * Every request of `operation` after the first `answered` never answers (until the test ends).
 * ModelArts' first page is two requests: the pager asks for offset 1 to learn what an offset
 * counts, so `answered: 1` of a ModelArts list stalls that probe.
 */
const stallAfter = (operation: 'list-images' | 'list-all-notebooks', answered: number): void => {
  fixture.emulator.faults.inject({
    match: { operation },
    times: answered,
    action: { kind: 'latency', ms: 0 },
  });
  fixture.emulator.faults.inject({ match: { operation }, times: 100, action: { kind: 'stall' } });
};

/** Every list request after the first page (ModelArts': both its requests) never answers. */
const stallAfterFirst = (operation: 'list-images' | 'list-all-notebooks'): void =>
  stallAfter(operation, operation === 'list-all-notebooks' ? 2 : 1);

/** The first ModelArts list page as seeded; the second request (the offset probe) gets `reply`. */
const probeAnswers = (reply: Record<string, unknown>): void => {
  const listImages = { provider: 'modelarts', operation: 'list-images' } as const;
  fixture.emulator.faults.inject({
    match: listImages,
    times: 1,
    action: { kind: 'latency', ms: 0 },
  });
  fixture.emulator.faults.inject({
    match: listImages,
    times: 1,
    action: { kind: 'malformed', body: JSON.stringify(reply) },
  });
};

describe('a list query parameter given twice', () => {
  /** The event API Gateway makes of `?<raw>`: a repeated parameter's values joined by commas. */
  const listRaw = async (raw: string) => {
    const joined: Record<string, string> = {};
    for (const [name, value] of new URLSearchParams(raw)) {
      joined[name] = name in joined ? `${joined[name]},${value}` : value;
    }
    const event = { ...listEvent('bcc', joined), rawQueryString: raw };
    return parseResult(await listHandler(event, lambdaContext()));
  };

  it('limit twice is a 400 saying so, not "must be a whole number"', async () => {
    // Act
    const response = await listRaw('limit=5&limit=6');

    // Assess
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({
      error: {
        code: 'INVALID_REQUEST',
        message: 'limit: is given more than once; it takes one value',
      },
    });
    expect(fixture.emulator.requests).toHaveLength(0);
  });

  it('status twice is more statuses, as documented', async () => {
    // Act
    const response = await listRaw('status=failed&status=error&limit=1000');

    // Assess
    expect(response.status).toBe(200);
    const { images } = response.body as { images: Image[] };
    expect(images.length).toBeGreaterThan(0);
    expect(new Set(images.map((image) => image.status))).toEqual(new Set(['failed', 'error']));
  });
});

describe('BCC images deleted or created between two calls of a listing', () => {
  const idsOf = (images: readonly Image[]) => images.map((image) => image.id);

  it.each([
    ['an image handed out already is deleted', 'delete'],
    ['an image is created ahead of the cursor', 'create'],
  ] as const)(
    '%s: every other image is still handed out exactly once',
    async (_what, change) => {
      // Prepare: a first page of 100 (read from an upstream page of 200, so its cursor resumes
      // inside that page), then the change, ahead of where the cursor stands.
      const query = { limit: '100' };
      const before = fixture.emulator.state.bcc.list().map((record) => record.id);
      const first = (await list('bcc', query)).body as unknown as Page;
      const handedOut = idsOf(first.images);
      if (change === 'delete') {
        fixture.emulator.state.bcc.delete(handedOut[5] as string);
      } else {
        const template = fixture.emulator.state.bcc.get(handedOut[0] as string);
        fixture.emulator.state.bcc.set({
          ...(template as NonNullable<typeof template>),
          id: 'm-0',
        });
      }

      // Act
      const rest = await pageThrough('bcc', query, first.nextCursor);

      // Assess: each image there from start to end, once (a created one may come or not).
      const ids = [...handedOut, ...idsOf(rest.images)].filter((id) => id !== 'm-0');
      expect(ids.length - new Set(ids).size, 'images handed out twice').toBe(0);
      expect(
        before.filter((id) => !ids.includes(id)),
        'images never handed out',
      ).toEqual([]);
    },
    60_000,
  );
});

describe('an image whose ID is longer than a cursor carries as where it stands', () => {
  it('is handed out, and the cursor after it still resumes (by count)', async () => {
    // Prepare: the first BCC image in id order has an ID of 300 characters.
    const template = fixture.emulator.state.bcc.get(SEEDED.bcc.custom);
    const longId = `m-${'0'.repeat(298)}`;
    fixture.emulator.state.bcc.set({ ...(template as NonNullable<typeof template>), id: longId });

    // Act
    const first = (await list('bcc', { limit: '1' })).body as unknown as Page;
    const second = await list('bcc', { limit: '1', cursor: String(first.nextCursor) });

    // Assess
    expect(first.images.map((image) => image.id)).toEqual([longId]);
    expect(second.status, JSON.stringify(second.body).slice(0, 300)).toBe(200);
    expect((second.body as unknown as Page).images.map((image) => image.id)).not.toContain(longId);
  });
});

describe('a ModelArts list that serves smaller pages than asked (its first page short, not the last)', () => {
  it.each(['pages', 'records'] as const)(
    'offsets counting %s: every image once',
    async (offsets) => {
      // Prepare: the service serves at most 100 records a page; listings ask for up to 200.
      fixture.emulator.settings.modelartsOffset = offsets;
      fixture.emulator.settings.modelartsMaxLimit = 100;

      // Act
      const { images } = await pageThrough('modelarts', { limit: '1000' });

      // Assess
      const ids = images.map((image) => image.id);
      expect(ids.length - new Set(ids).size, 'images handed out twice').toBe(0);
      expect([...ids].sort()).toEqual(
        fixture.emulator.state.modelarts
          .list()
          .map((record) => record.id)
          .sort(),
      );
    },
    60_000,
  );

  it.each(['pages', 'records'] as const)(
    'offsets counting %s: a usage scan cut short hands out a cursor that goes on to the end',
    async (offsets) => {
      // Prepare: the notebook list serves pages of 20 when asked for its own 50; the scan reads
      // its first page (and the offset probe), then the cloud stops answering.
      fixture.emulator.settings.modelartsOffset = offsets;
      fixture.emulator.settings.modelartsMaxLimit = 20;
      stallAfterFirst('list-all-notebooks');
      const cut = parseResult(
        await usageHandler(usageEvent('modelarts', SEEDED.modelarts.custom), lambdaContext(3_000)),
      );
      fixture.emulator.faults.clear();

      // Act
      const cursor = String(cut.body.nextCursor);
      const resumed = parseResult(
        await usageHandler(
          usageEvent('modelarts', SEEDED.modelarts.custom, { cursor }),
          lambdaContext(),
        ),
      );
      const forAnother = parseResult(
        await usageHandler(
          usageEvent('modelarts', SEEDED.modelarts.builtIn, { cursor }),
          lambdaContext(),
        ),
      );

      // Assess: the cursor resumes its own image's scan, and says what it was made for elsewhere.
      expect(cut.body).toMatchObject({ complete: false });
      expect(resumed.status, JSON.stringify(resumed.body)).toBe(200);
      expect(resumed.body).toMatchObject({ complete: true });
      expect(forAnother.status).toBe(400);
      expect((forAnother.body.error as { message: string }).message).toMatch(
        /^cursor: was made for another image's usage scan, or a listing; start again without a cursor/,
      );
    },
  );
});

describe('BCC next markers that lead back to a page already read', () => {
  /** Every BCC `operation` page names the next marker in turn: none, then i-a, i-b, i-a, i-b... */
  const markersInALoop = (operation: 'list-images' | 'list-instances') => {
    const member = operation === 'list-images' ? 'images' : 'instances';
    for (let page = 0; page < 400; page += 1) {
      fixture.emulator.faults.inject({
        match: { provider: 'bcc', operation },
        action: {
          kind: 'malformed',
          body: JSON.stringify({
            [member]: [],
            isTruncated: true,
            nextMarker: page % 2 === 0 ? 'i-a' : 'i-b',
          }),
        },
      });
    }
  };
  const pagesRead = (operation: string) =>
    fixture.emulator.requests.filter((request) => request.operation === operation).length;

  it('a delete fails closed at once (502): the loop is no list, and nothing is deleted', async () => {
    // Prepare
    markersInALoop('list-instances');

    // Act
    const response = parseResult(
      await deleteHandler(httpEvent('DELETE', 'bcc', SEEDED.bcc.custom, {}), lambdaContext()),
    );

    // Assess
    expect([response.status, (response.body.error as { code?: string } | undefined)?.code]).toEqual(
      [502, 'UPSTREAM_BAD_RESPONSE'],
    );
    expect(pagesRead('list-instances'), 'the first page, i-a, i-b; i-a again is the loop').toBe(3);
    expect(fixture.emulator.state.bcc.has(SEEDED.bcc.custom)).toBe(true);
  });

  it('a listing is a 502, not pages read until its time runs out', async () => {
    // Prepare
    markersInALoop('list-images');

    // Act
    const response = await list('bcc', { limit: '10' });

    // Assess
    expect([response.status, (response.body.error as { code?: string } | undefined)?.code]).toEqual(
      [502, 'UPSTREAM_BAD_RESPONSE'],
    );
    expect(pagesRead('list-images')).toBe(3);
  });
});

describe('a list that shrinks while it is read', () => {
  it('believes the page-two probe whose own total says nothing is left: an answer, not a 502', async () => {
    // Prepare: the first ModelArts page as seeded; the second request (the probe of what an offset
    // counts) finds the images gone meanwhile, its own total saying so.
    probeAnswers({ data: [], total: 0 });

    // Act
    const response = await list('modelarts', { limit: '5' });

    // Assess
    expect(response.status, JSON.stringify(response.body).slice(0, 300)).toBe(200);
    expect((response.body as unknown as Page).images).toHaveLength(5);
  });
});

describe('a probe that gives no total of its own', () => {
  it('is judged by the first page\u2019s: an empty page while that total says more is a 502, not a short list', async () => {
    // Prepare
    probeAnswers({ data: [] });

    // Act
    const response = await list('modelarts', { limit: '5' });

    // Assess
    expect(response.status).toBe(502);
    expect((response.body.error as { code?: string }).code).toBe('UPSTREAM_BAD_RESPONSE');
  });
});

describe('a first ModelArts page whose offset probe the deadline cuts off', () => {
  const listRequests = () =>
    fixture.emulator.requests.filter((request) => request.operation === 'list-images');
  const idsOf = (images: readonly Image[]) => images.map((image) => image.id);
  /** Pages of 200: the first upstream page is all handed out, so its cursor needs the probe. */
  const query = { limit: '200' };

  it.each(['records', 'pages'] as const)(
    'offsets counting %s: the first page is answered, and the next calls hand out the rest, each image once',
    async (offsets) => {
      // Prepare: the whole listing with time to spare, as the reference; then the probe of the
      // first call never answers, with 3 s left.
      fixture.emulator.settings.modelartsOffset = offsets;
      const whole = await pageThrough('modelarts', query);
      fixture.emulator.requests.length = 0;
      stallAfter('list-images', 1);

      // Act
      const cut = await list('modelarts', query, 3_000);
      fixture.emulator.faults.clear();
      const first = cut.body as unknown as Page;
      const rest = await pageThrough('modelarts', query, first.nextCursor);

      // Assess
      expect(cut.status, JSON.stringify(cut.body).slice(0, 300)).toBe(200);
      expect(listRequests()[1]?.status, 'the probe was cut off').toBeUndefined();
      expect(idsOf(first.images)).toEqual(idsOf(whole.images.slice(0, 200)));
      expect(typeof first.nextCursor).toBe('string');
      expect([...idsOf(first.images), ...idsOf(rest.images)]).toEqual(idsOf(whole.images));
      expect(whole.images.length).toBe(fixture.emulator.state.modelarts.list().length);
    },
    60_000,
  );

  it('a cursor resuming beyond the first page of a page-offset list hands out nothing twice when that page is answered alone', async () => {
    // Prepare: offsets counting pages and listing pages of 150: the first upstream page (200) and
    // its probe (page two) are read as one page of 400, which two calls leave 300 records into.
    fixture.emulator.settings.modelartsOffset = 'pages';
    const query = { limit: '150' };
    const whole = await pageThrough('modelarts', query);
    const one = (await list('modelarts', query)).body as unknown as Page;
    const two = (await list('modelarts', { ...query, cursor: String(one.nextCursor) }))
      .body as unknown as Page;
    stallAfter('list-images', 1);

    // Act: the third call's first page is answered without its probe; the rest with time.
    const cut = await list('modelarts', { ...query, cursor: String(two.nextCursor) }, 3_000);
    fixture.emulator.faults.clear();
    const third = cut.body as unknown as Page;
    const rest = await pageThrough('modelarts', query, third.nextCursor);

    // Assess
    expect(cut.status, JSON.stringify(cut.body).slice(0, 300)).toBe(200);
    expect(idsOf([...one.images, ...two.images, ...third.images, ...rest.images])).toEqual(
      idsOf(whole.images),
    );
  }, 60_000);

  it('a probe that contradicts the first page on the next call is a 502, not a short list', async () => {
    // Prepare: a first page answered without its probe.
    stallAfter('list-images', 1);
    const cut = await list('modelarts', query, 3_000);
    fixture.emulator.faults.clear();
    expect(cut.status, JSON.stringify(cut.body).slice(0, 300)).toBe(200);
    probeAnswers({ data: [] });

    // Act
    const next = await list('modelarts', { ...query, cursor: String(cut.body.nextCursor) });

    // Assess
    expect([next.status, (next.body.error as { code?: string }).code]).toEqual([
      502,
      'UPSTREAM_BAD_RESPONSE',
    ]);
  });

  it('usage is no listing: a delete or usage scan whose probe is cut off fails closed, nothing deleted', async () => {
    // Prepare: for each call, the first notebooks page answers and its probe never does.
    const probeCutOff = () => {
      fixture.emulator.faults.clear();
      stallAfter('list-all-notebooks', 1);
    };

    // Act
    probeCutOff();
    const removed = parseResult(
      await deleteHandler(
        httpEvent('DELETE', 'modelarts', SEEDED.modelarts.custom, {}),
        lambdaContext(3_000),
      ),
    );
    probeCutOff();
    const usage = parseResult(
      await usageHandler(usageEvent('modelarts', SEEDED.modelarts.custom), lambdaContext(3_000)),
    );

    // Assess
    for (const answer of [removed, usage]) {
      expect([answer.status, (answer.body.error as { code?: string }).code]).toEqual([
        504,
        'UPSTREAM_TIMEOUT',
      ]);
    }
    expect(fixture.emulator.requests.filter((request) => request.method === 'DELETE')).toEqual([]);
    expect(fixture.emulator.state.modelarts.has(SEEDED.modelarts.custom)).toBe(true);
  });

  it('a cursor made before the probe could wait resumes where it was made', async () => {
    // Prepare: a cursor for this listing of the seeded inventory, as the code before the probe
    // could wait made it (offsets counting records, resuming three images into offset 20).
    const filtered = { limit: '3', name: '*-golden', status: 'failed,error' };
    const before =
      'eyJ2IjoxLCJiIjoiNzgzZWRhYmExYTMyNWIzZSIsInAiOnsib2Zmc2V0IjoyMCwicmVhZGluZyI6InJlY29yZHMiLCJzaXplIjoxMH0sInMiOjN9.f2a0d3aa2b09783e';
    const first = await list('modelarts', filtered);

    // Act
    const fromBefore = await list('modelarts', { ...filtered, cursor: before });
    const fromNow = await list('modelarts', {
      ...filtered,
      cursor: String(first.body.nextCursor),
    });

    // Assess
    expect(fromBefore.status, JSON.stringify(fromBefore.body).slice(0, 300)).toBe(200);
    expect(fromBefore.body).toEqual(fromNow.body);
    expect((fromBefore.body as unknown as Page).images).toHaveLength(3);
  });
});

describe('cursors', () => {
  it('are bound to provider, region and filter: another filter is a 400 naming the cursor', async () => {
    const first = await list('bcc', { limit: '5', kind: 'custom' });
    const cursor = String(first.body.nextCursor);
    const other = await list('bcc', { limit: '5', kind: 'system', cursor });
    expect(other.status).toBe(400);
    expect(other.body.error).toMatchObject({ code: 'INVALID_REQUEST' });
    expect(String((other.body.error as { message: string }).message)).toMatch(
      /^cursor: was made for another listing \(another provider, filter or limit\), or a usage scan;/,
    );
    const otherProvider = await list('modelarts', { limit: '5', kind: 'custom', cursor });
    expect(otherProvider.status).toBe(400);
    // A list cursor is no usage cursor: the refusal says what it is for, not "another image".
    const usage = parseResult(
      await usageHandler(usageEvent('bcc', SEEDED.bcc.custom, { cursor }), lambdaContext()),
    );
    expect(usage.status).toBe(400);
    expect((usage.body.error as { message: string }).message).toMatch(
      /^cursor: was made for another image's usage scan, or a listing;/,
    );
  });

  it('are refused as bad input before the configuration is read: with no credentials, one not ours or for another filter is a 400 naming the cursor', async () => {
    // Prepare: a cursor for custom images, a usage scan's cursor, then no BCC credentials.
    const first = await list('bcc', { limit: '5', kind: 'custom' });
    const cursor = String(first.body.nextCursor);
    fixture.setEnv({ BCE_ACCESS_KEY_ID: undefined });
    fixture.emulator.requests.length = 0;

    // Act
    const notOurs = await list('bcc', { limit: '5', cursor: 'zzz' });
    const otherFilter = await list('bcc', { limit: '5', kind: 'system', cursor });
    const usage = parseResult(
      await usageHandler(usageEvent('bcc', SEEDED.bcc.custom, { cursor: 'zzz' }), lambdaContext()),
    );
    const itsOwn = await list('bcc', { limit: '5', kind: 'custom', cursor });

    // Assess: the cursor first; a good one goes on to meet the configuration (500).
    for (const answer of [notOurs, otherFilter, usage]) {
      expect(answer.status, JSON.stringify(answer.body)).toBe(400);
      expect(answer.body.error).toMatchObject({ code: 'INVALID_REQUEST' });
    }
    const messageOf = (answer: typeof notOurs) =>
      (answer.body.error as { message: string }).message;
    expect(messageOf(notOurs)).toMatch(/^cursor: is not a cursor this service made/);
    expect(messageOf(usage)).toMatch(/^cursor: is not a cursor this service made/);
    expect(messageOf(otherFilter)).toMatch(
      /^cursor: was made for another listing \(another provider, filter or limit\), or a usage scan;/,
    );
    expect(itsOwn.status).toBe(500);
    expect(itsOwn.body.error).toMatchObject({ code: 'CONFIGURATION_ERROR' });
    expect(fixture.emulator.requests).toEqual([]);
  });

  it('are bound to the region, checked once it is resolved: another region is a 400 naming the cursor, and nothing is sent upstream', async () => {
    // Prepare
    const first = await list('bcc', { limit: '5' });
    const cursor = String(first.body.nextCursor);
    fixture.emulator.requests.length = 0;

    // Act
    const elsewhere = await list('bcc', { limit: '5', region: 'gz', cursor });

    // Assess
    expect(elsewhere.status, JSON.stringify(elsewhere.body)).toBe(400);
    expect((elsewhere.body.error as { message: string }).message).toMatch(
      /^cursor: was made for another region;/,
    );
    expect(fixture.emulator.requests).toEqual([]);
  });

  it('that are altered or not ours are a 400, and nothing is sent upstream', async () => {
    const first = await list('bcc', { limit: '5' });
    const cursor = String(first.body.nextCursor);
    fixture.emulator.requests.length = 0;
    const [payload, check] = cursor.split('.') as [string, string];
    const edited = Buffer.from(
      JSON.stringify({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), s: 3 }),
    ).toString('base64url');
    for (const bad of [`${edited}.${check}`, 'not-a-cursor', `${payload}.0000000000000000`]) {
      const response = await list('bcc', { limit: '5', cursor: bad });
      expect(response.status).toBe(400);
      expect((response.body.error as { message: string }).message).toMatch(/^cursor: /);
    }
    expect(fixture.emulator.requests).toEqual([]);
  });

  it('edited with a matching checksum (a page size of 0 or 2^53, a usage page size other than its list page size, a negative offset, other keys) are a 400, and nothing is sent upstream', async () => {
    // Prepare: the binding of a real ModelArts cursor, then positions this service never makes,
    // under a checksum recomputed as anyone can.
    const first = await list('modelarts', { limit: '1' });
    const [payload] = String(first.body.nextCursor).split('.') as [string];
    const { b: binding } = JSON.parse(Buffer.from(payload, 'base64url').toString()) as {
      b: string;
    };
    const positions: Record<string, string | number>[] = [
      { offset: 0, size: 0, reading: 'pages' },
      { offset: 0, size: 2 ** 53 - 1, reading: 'pages' },
      { offset: -1, size: 1, reading: 'records' },
      { offset: 1, size: 1, reading: 'sideways' },
      { offset: 1, size: 1, reading: 'records', extra: 'x' },
      { offset: 1, size: 1, reading: 'unprobed' },
      { offset: 3, size: 2, reading: 'unprobed' },
      { marker: 'm-abc' },
    ];
    const forged = positions.map((position) => encodeCursor({ position, skip: 0 }, binding));
    fixture.emulator.requests.length = 0;

    // Act
    const answers = [];
    for (const cursor of forged) answers.push(await list('modelarts', { limit: '1', cursor }));
    const usageBinding = cursorBinding({
      operation: 'usage',
      provider: 'bcc',
      region: 'bj',
      imageId: SEEDED.bcc.custom,
    });
    const modelartsUsageBinding = cursorBinding({
      operation: 'usage',
      provider: 'modelarts',
      region: 'cn-north-4',
      imageId: SEEDED.modelarts.custom,
    });
    const usage = [];
    for (const [provider, imageId, cursor] of [
      ['bcc', SEEDED.bcc.custom, 'garbage'],
      [
        'bcc',
        SEEDED.bcc.custom,
        encodeCursor({ position: { offset: 0, size: 0, reading: 'pages' }, skip: 0 }, usageBinding),
      ],
      // A usage scan never lets its probe wait (it fails closed instead).
      [
        'modelarts',
        SEEDED.modelarts.custom,
        encodeCursor(
          { position: { offset: 50, size: 50, reading: 'unprobed' }, skip: 0 },
          modelartsUsageBinding,
        ),
      ],
      // A usage scan asks for a page size its list takes (the notebook lists: 10, 20 or 50).
      [
        'modelarts',
        SEEDED.modelarts.custom,
        encodeCursor(
          { position: { offset: 25, size: 25, reading: 'records' }, skip: 0 },
          modelartsUsageBinding,
        ),
      ],
    ] as const) {
      usage.push(
        parseResult(await usageHandler(usageEvent(provider, imageId, { cursor }), lambdaContext())),
      );
    }

    // Assess
    for (const answer of [...answers, ...usage]) {
      expect(answer.status, JSON.stringify(answer.body)).toBe(400);
      expect((answer.body.error as { message: string }).message).toMatch(/^cursor: /);
    }
    expect(fixture.emulator.requests).toEqual([]);
  });

  it('bad filters are 400s naming the parameter, before any upstream call', async () => {
    for (const [query, field] of [
      [{ limit: '0' }, 'limit'],
      [{ limit: '1001' }, 'limit'],
      [{ limit: 'ten' }, 'limit'],
      // Numbers JavaScript would read, but not whole numbers as written: refused, not guessed.
      [{ limit: '1e3' }, 'limit'],
      [{ limit: '0x10' }, 'limit'],
      [{ limit: '5 ' }, 'limit'],
      [{ kind: 'golden' }, 'kind'],
      [{ status: 'available,gone' }, 'status'],
      [{ createdBefore: 'yesterday' }, 'createdBefore'],
      [{ name: '*'.repeat(257) }, 'name'],
      [{ colour: 'blue' }, 'colour'],
    ] as const) {
      const response = await list('bcc', query);
      expect(response.status, field).toBe(400);
      expect((response.body.error as { message: string }).message).toContain(field);
    }
    expect(fixture.emulator.requests).toEqual([]);
  });

  it('a number or list out of bounds says its bounds in words, not zod’s', async () => {
    const answers = [];
    const queries: Record<string, string>[] = [
      { limit: '0' },
      { limit: '1001' },
      { status: Array(8).fill('available').join(',') },
    ];
    for (const query of queries) {
      answers.push(await list('bcc', query));
    }

    expect(answers.map((answer) => (answer.body.error as { message: string }).message)).toEqual([
      'limit: must be at least 1',
      'limit: must be at most 1000',
      'status: must list at most 7 statuses',
    ]);
    expect(fixture.emulator.requests).toEqual([]);
  });
  it('a task input with an empty status list is refused, not listed as matching nothing', async () => {
    // Prepare / Act
    const refusal = await taskList({ provider: 'bcc', status: [] }, lambdaContext()).then(
      () => undefined,
      (error: unknown) => error,
    );

    // Assess
    expect((refusal as Error).name).toBe('InvalidRequest');
    expect((refusal as Error).message).toBe('status: must list at least one status');
    expect(fixture.emulator.requests).toEqual([]);
  });

  it('a task input of the wrong type says only what it must be, not the bounds of what it is not', async () => {
    const refusals = [];
    for (const input of [
      { provider: 'bcc', status: 'available,failed' },
      { provider: 'bcc', cursor: [] },
      { provider: 'bcc', limit: '10' },
    ]) {
      refusals.push(
        await taskList(input, lambdaContext()).then(
          () => undefined,
          (error) => error,
        ),
      );
    }

    expect(refusals.map((error) => (error as Error).message)).toEqual([
      'status: must be a list',
      'cursor: must be a string',
      'limit: must be a number',
    ]);
    expect(fixture.emulator.requests).toEqual([]);
  });
});

describe('createdBefore and createdAfter: ISO 8601 as people type it', () => {
  const HOUR = 3_600_000;
  // An hour among the seeded images' create times (they span the last three years).
  const at = Math.floor((Date.now() - 365 * 24 * HOUR) / HOUR) * HOUR;
  /** The wall-clock reading of `at` at this offset from UTC, as toISOString writes it. */
  const wall = (offsetMinutes: number) =>
    new Date(at + offsetMinutes * 60_000).toISOString().slice(0, 19);
  const basic = (reading: string) => reading.replace(/[-:]/g, '');
  const ids = (answer: { body: Record<string, unknown> }) =>
    (answer.body.images as Image[]).map((image) => image.id);

  it('each extended and basic form lists what the instant written out in full lists, over HTTP and as a task', async () => {
    // Prepare
    const typed = [
      `${wall(0).slice(0, 16)}Z`,
      `${wall(0).slice(0, 13)}Z`,
      `${wall(0)}.000000Z`,
      `${wall(330).slice(0, 16)}+05:30`,
      `${basic(wall(330)).slice(0, 13)}+0530`,
      `${wall(300).slice(0, 13)}+05`,
      `${wall(-300).slice(0, 16)}-05:00`,
      `${basic(wall(0))},0Z`,
    ];

    // Act
    const expected = await list('bcc', { createdAfter: new Date(at).toISOString(), limit: '20' });
    const answers = [];
    for (const time of typed) answers.push(await list('bcc', { createdAfter: time, limit: '20' }));
    const task = (await taskList(
      { provider: 'bcc', createdAfter: typed[4], limit: 20 },
      lambdaContext(),
    )) as Page;

    // Assess
    expect(expected.status).toBe(200);
    expect(ids(expected)).toHaveLength(20);
    for (const [index, answer] of answers.entries()) {
      expect(answer.status, `${typed[index]}: ${JSON.stringify(answer.body)}`).toBe(200);
      expect(ids(answer), typed[index]).toEqual(ids(expected));
    }
    expect(task.images.map((image) => image.id)).toEqual(ids(expected));
  });

  it('a cursor made with a time typed without seconds goes on with the same text', async () => {
    const query = { createdBefore: `${wall(0).slice(0, 16)}Z`, limit: '5' };

    const first = await list('bcc', query);
    const next = await list('bcc', { ...query, cursor: String(first.body.nextCursor) });

    expect([first.status, next.status]).toEqual([200, 200]);
    expect(ids(next)).toHaveLength(5);
    expect(ids(next).filter((id) => ids(first).includes(id))).toEqual([]);
  });

  it('what names no instant is a 400 saying why, before any upstream call', async () => {
    const answers = [];
    for (const [time, why] of [
      ['2024-13-01', /month 13/],
      ['2024-02-30T12:00Z', /day 30/],
      ['2024-01-01T24:61Z', /hour 24/],
      ['12:00Z', /ISO 8601/],
      ['garbage', /ISO 8601/],
      ['2024-01-01T12:00', /Z or an offset/],
      // The + of an offset a URL query turned into a space (it must be sent as %2B).
      ['2024-01-01T17:30 05:30', /%2B/],
    ] as const) {
      answers.push([await list('bcc', { createdBefore: time }), why] as const);
    }

    for (const [answer, why] of answers) {
      expect(answer.status).toBe(400);
      const { message } = answer.body.error as { message: string };
      expect(message).toMatch(/^createdBefore: /);
      expect(message).toMatch(why);
    }
    expect(fixture.emulator.requests).toEqual([]);
  });
});

describe('createdAfter and createdBefore together', () => {
  it('a range with no instant in it (createdAfter at or after createdBefore) is a 400 naming both, before any upstream call', async () => {
    // Prepare: the dates swapped, one instant written two ways, and a createdAfter whose date
    // reads later but whose offset puts it half an hour after createdBefore.
    const empty = [
      { createdAfter: '2026-06-01', createdBefore: '2026-01-01' },
      { createdAfter: '2026-01-01T00:00Z', createdBefore: '2026-01-01' },
      { createdAfter: '2026-01-01T02:00+03:00', createdBefore: '2025-12-31T22:30Z' },
      // A millisecond apart: creation times are whole milliseconds, none lies strictly between.
      { createdAfter: '2026-01-01T00:00:00.000Z', createdBefore: '2026-01-01T00:00:00.001Z' },
    ];

    // Act
    const answers = [];
    for (const query of empty) answers.push(await list('bcc', query));
    const sentForTheRefused = fixture.emulator.requests.length;
    const open = await list('bcc', {
      createdAfter: '2025-12-31T23:59:59.998Z',
      createdBefore: '2026-01-01',
    });

    // Assess
    for (const [index, answer] of answers.entries()) {
      expect(answer.status, JSON.stringify(empty[index])).toBe(400);
      expect((answer.body.error as { message: string }).message).toBe(
        'createdAfter: must be earlier than createdBefore by more than a millisecond (both bounds are exclusive: no image is created between them)',
      );
    }
    expect(sentForTheRefused, 'nothing sent for a refused range').toBe(0);
    expect(open.status, 'two milliseconds apart leave one between them').toBe(200);
  });
});

describe('a listing running out of time', () => {
  it('stops with what it has and a cursor to go on, never a timeout with nothing', async () => {
    fixture.emulator.faults.inject({
      match: { operation: 'list-images' },
      times: 100,
      action: { kind: 'latency', ms: 400 },
    });
    // Room for a few slow pages, not for the hundreds a filter this narrow needs.
    const response = await list('bcc', { limit: '50', name: '*-never-matches-*' }, 3_000);
    expect(response.status).toBe(200);
    expect(response.body.images).toEqual([]);
    expect(typeof response.body.nextCursor).toBe('string');
  });
});

describe('a scan whose next page the deadline cuts off', () => {
  it('list: answers what it read with a cursor that resumes at the page cut off, not a 504', async () => {
    // Prepare
    stallAfterFirst('list-images');
    const query = { limit: '50', name: '*-never-matches-*' };

    // Act
    const cut = await list('bcc', query, 3_000);
    fixture.emulator.faults.clear();
    const resumed = await list('bcc', { ...query, cursor: String(cut.body.nextCursor) });

    // Assess
    expect(cut.status, JSON.stringify(cut.body)).toBe(200);
    expect(cut.body.images).toEqual([]);
    expect(resumed.status).toBe(200);
    const pages = fixture.emulator.requests.filter(
      (request) => request.operation === 'list-images',
    );
    expect(pages[1]?.status, 'the second page was cut off').toBeUndefined();
    expect(pages[2]?.query, 'the cursor asks for it again').toEqual(pages[1]?.query);
  });

  it('a later page that timed out with time still left (its attempts used up) is the 504 it is, not a partial answer', async () => {
    // Prepare: one short attempt a request, and 20 s of the invocation left.
    stallAfterFirst('list-images');
    const handler = await fixture.fresh(
      { UPSTREAM_ATTEMPT_TIMEOUT_MS: '300', UPSTREAM_MAX_ATTEMPTS: '1' },
      async () => (await import('../../functions/http/list-images.js')).handler,
    );

    // Act
    const response = parseResult(
      await handler(
        listEvent('bcc', { limit: '50', name: '*-never-matches-*' }),
        lambdaContext(20_000),
      ),
    );

    // Assess
    expect([response.status, (response.body.error as { code: string }).code]).toEqual([
      504,
      'UPSTREAM_TIMEOUT',
    ]);
  });

  it('usage: answers complete: false with a cursor, not a 504', async () => {
    stallAfterFirst('list-all-notebooks');

    const response = parseResult(
      await usageHandler(usageEvent('modelarts', SEEDED.modelarts.custom), lambdaContext(3_000)),
    );

    expect(response.status, JSON.stringify(response.body)).toBe(200);
    expect(response.body).toMatchObject({ inUse: false, complete: false });
    expect(typeof response.body.nextCursor).toBe('string');
  });
});

describe('usage', () => {
  it('names the notebooks and instances that run an image (a scan serves the whole invocation)', async () => {
    fixture.emulator.state.referenceImage('bcc', SEEDED.bcc.custom, {
      id: 'i-web01',
      name: 'web',
      status: 'Running',
    });
    fixture.emulator.state.referenceImage('bcc', SEEDED.bcc.custom, {
      id: 'i-web02',
      name: 'web',
      status: 'Stopped',
    });
    const response = parseResult(
      await usageHandler(usageEvent('bcc', SEEDED.bcc.custom), lambdaContext()),
    );
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ inUse: true, complete: true });
    expect(response.body.references).toEqual(
      expect.arrayContaining([
        { type: 'instance', id: 'i-web01', name: 'web', status: 'Running' },
        { type: 'instance', id: 'i-web02', name: 'web', status: 'Stopped' },
      ]),
    );
  });

  it('an unused image is not in use; a missing one is a 404', async () => {
    const unused = parseResult(
      await usageHandler(usageEvent('modelarts', SEEDED.modelarts.custom), lambdaContext()),
    );
    expect(unused.body).toEqual({ inUse: false, references: [], complete: true });
    const missing = parseResult(await usageHandler(usageEvent('bcc', 'm-nosuch'), lambdaContext()));
    expect(missing.status).toBe(404);
  });

  it('tasks page a listing and check usage like the HTTP routes', async () => {
    const context = lambdaContext() as Context;
    const page = (await taskList({ provider: 'bcc', limit: 3, kind: 'custom' }, context)) as Page;
    expect(page.images).toHaveLength(3);
    const next = (await taskList(
      { provider: 'bcc', limit: 3, kind: 'custom', cursor: page.nextCursor },
      lambdaContext(),
    )) as Page;
    expect(next.images.map((image) => image.id)).not.toContain(page.images[0]?.id);
    const usage = await taskUsage({ provider: 'bcc', imageId: SEEDED.bcc.custom }, lambdaContext());
    expect(usage).toMatchObject({ inUse: false, complete: true });
    await expect(taskList({ provider: 'bcc', limit: 0 }, lambdaContext())).rejects.toMatchObject({
      name: 'InvalidRequest',
    });
  });
});

describe('delete safety: an image in use is never deleted', () => {
  const remove = async (provider: string, imageId: string, query: Record<string, string> = {}) =>
    parseResult(
      await deleteHandler(httpEvent('DELETE', provider, imageId, query), lambdaContext()),
    );
  const deletes = () => fixture.emulator.requests.filter((request) => request.method === 'DELETE');

  it.each([
    ['bcc', SEEDED.bcc.custom, 'instance'],
    ['modelarts', SEEDED.modelarts.custom, 'notebook'],
  ] as const)(
    '%s: refused with IMAGE_BUSY naming the %s, no DELETE sent',
    async (provider, imageId, type) => {
      fixture.emulator.state.referenceImage(provider, imageId, {
        id: 'user-1',
        name: 'still-running',
        status: 'RUNNING',
      });
      const response = await remove(provider, imageId);
      expect(response.status).toBe(409);
      expect(response.body.error).toMatchObject({ code: 'IMAGE_BUSY' });
      expect((response.body.error as { message: string }).message).toContain(
        `in use by ${type} user-1 (still-running, RUNNING)`,
      );
      expect(deletes()).toEqual([]);
    },
  );

  it('a dry run reports usage (unused), deleting nothing', async () => {
    const response = await remove('bcc', SEEDED.bcc.custom, { dryRun: 'true' });
    expect(response.body).toMatchObject({
      outcome: 'dry-run',
      usage: { inUse: false, references: [] },
    });
    expect(deletes()).toEqual([]);
  });

  it.each([
    ['the usage list fails', { kind: 'status', status: 503 }, 502, 'UPSTREAM_UNAVAILABLE'],
    [
      'the usage list is not what the cloud documents',
      { kind: 'malformed', body: '{"instances": 7}' },
      502,
      'UPSTREAM_BAD_RESPONSE',
    ],
    [
      'the usage list is rejected',
      { kind: 'status', status: 400, body: { code: 'AccessDenied', message: 'no' } },
      502,
      'UPSTREAM_AUTH_FAILED',
    ],
  ] as const)(
    'fails closed when %s: the error, and nothing deleted',
    async (_what, action, status, code) => {
      fixture.emulator.faults.inject({ match: { operation: 'list-instances' }, times: 10, action });
      const response = await remove('bcc', SEEDED.bcc.custom);
      expect([response.status, (response.body.error as { code: string }).code]).toEqual([
        status,
        code,
      ]);
      expect(deletes()).toEqual([]);
      expect(fixture.emulator.state.bcc.has(SEEDED.bcc.custom)).toBe(true);
    },
  );

  it.each([
    ['a ModelArts notebook without its image', 'modelarts', { id: 'nb-1', status: 'RUNNING' }],
    ['a ModelArts notebook whose image is null', 'modelarts', { id: 'nb-1', image: null }],
    [
      'a ModelArts notebook naming its image another way',
      'modelarts',
      { id: 'nb-1', image: { image_id: SEEDED.modelarts.custom } },
    ],
    [
      'a ModelArts notebook whose image ID and SWR path are empty',
      'modelarts',
      { id: 'nb-1', image: { id: '', swr_path: '' } },
    ],
    ['a BCC instance without its imageId', 'bcc', { id: 'i-1', status: 'Running' }],
    ['a BCC instance whose imageId is null', 'bcc', { id: 'i-1', imageId: null }],
    ['a BCC instance whose imageId is empty', 'bcc', { id: 'i-1', imageId: '' }],
  ] as const)(
    'fails closed on %s (it may run the image): the error, and nothing deleted',
    async (_what, provider, record) => {
      // Prepare: the usage list's one page holds that record.
      const body =
        provider === 'bcc'
          ? { instances: [record], isTruncated: false }
          : { data: [record], total: 1 };
      fixture.emulator.faults.inject({
        match: { operation: provider === 'bcc' ? 'list-instances' : 'list-all-notebooks' },
        times: 10,
        action: { kind: 'malformed', body: JSON.stringify(body) },
      });
      const imageId = SEEDED[provider].custom;

      // Act
      const response = await remove(provider, imageId);

      // Assess
      expect([
        response.status,
        (response.body.error as { code?: string } | undefined)?.code,
      ]).toEqual([502, 'UPSTREAM_BAD_RESPONSE']);
      expect(deletes()).toEqual([]);
      expect(fixture.emulator.state[provider].has(imageId)).toBe(true);
    },
  );
});
