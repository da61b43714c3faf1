// The offset pager on a list whose replies give no `total` (ModelArts' `total` is optional in its
// schema): the end is then a page shorter than asked, never a full one. A usage scan that took a
// full page for the last would answer "not in use" for an image a notebook further on runs.
// Pure: the pager reads pages through the function it is given, here a list held in memory that
// counts offsets in records or in pages, as ModelArts may.

import { describe, expect, it } from 'vitest';
import type { ScanPosition } from '../../lib/images/provider-port.js';
import { type FetchPage, type OffsetPaging, readPage } from '../../lib/providers/kit/paging.js';

const PAGING: OffsetPaging = {
  style: 'offset',
  pageSize: 2,
  offsetParam: 'offset',
  limitParam: 'limit',
};

const RECORDS = ['a', 'b', 'c', 'd', 'e'].map((id) => ({ id }));

/** The list as a service without `total` serves it, offsets counting records or pages. */
const listWithoutTotal =
  (reading: 'records' | 'pages'): FetchPage<{ id: string }> =>
  async (query) => {
    const asked = new Map(query);
    const limit = Number(asked.get('limit'));
    const offset = Number(asked.get('offset'));
    const start = reading === 'records' ? offset : offset * limit;
    return { items: RECORDS.slice(start, start + limit) };
  };

/** Every record a scan reads, page after page, from the start to the end the pager finds. */
const scanAll = async (fetch: FetchPage<{ id: string }>, checkMoves: boolean) => {
  const seen: string[] = [];
  let position: ScanPosition | undefined;
  for (let page = 0; page < 20; page += 1) {
    const read = await readPage(PAGING, fetch, position, 'test list', { checkMoves });
    seen.push(...read.items.map((item) => item.id));
    if (read.next === undefined) return seen;
    position = read.next;
  }
  throw new Error('the scan did not end');
};

describe('an offset list whose replies give no total', () => {
  for (const reading of ['records', 'pages'] as const) {
    for (const checkMoves of [false, true]) {
      it(`is read to its end when offsets count ${reading}${checkMoves ? ' (a checked scan)' : ''}: a full page is not the last`, async () => {
        // Act
        const seen = await scanAll(listWithoutTotal(reading), checkMoves);

        // Assess: every record once, in order.
        expect(seen).toEqual(['a', 'b', 'c', 'd', 'e']);
      });
    }
  }
});
