// The two pagination styles: ModelArts offset/limit pages and BCC marker/maxKeys pages.

import type { ModelArtsOffsetMode } from './options.js';

export interface OffsetPage<T> {
  /** Page number, counted from 0 (the ListNotebooks example answers `current: 0` for page one). */
  current: number;
  data: T[];
  /** Number of pages of `size` records. */
  pages: number;
  /** The page size asked for (`limit`), not the records on this page (documented example). */
  size: number;
  total: number;
}

/**
 * One offset page of `items`; `mode` says whether `offset` counts records or pages. A `limit`
 * above `maxLimit` is served as `maxLimit`.
 */
export const offsetPage = <T>(
  items: readonly T[],
  asked: number,
  offset: number,
  mode: ModelArtsOffsetMode,
  maxLimit = Number.POSITIVE_INFINITY,
): OffsetPage<T> => {
  const limit = Math.min(asked, maxLimit);
  const start = mode === 'records' ? offset : offset * limit;
  return {
    current: mode === 'records' ? Math.floor(offset / limit) : offset,
    data: items.slice(start, start + limit),
    pages: Math.ceil(items.length / limit),
    size: limit,
    total: items.length,
  };
};

export interface MarkerPage<T> {
  items: T[];
  isTruncated: boolean;
  /** The id of the first item of the next page; undefined on the last page. */
  nextMarker: string | undefined;
}

/**
 * The page of `items` (sorted by id, ascending) that starts AT the marker: the first item whose id
 * is >= `marker`, so a marker that was deleted meanwhile still positions the page.
 */
export const markerPage = <T extends { id: string }>(
  items: readonly T[],
  marker: string | undefined,
  maxKeys: number,
): MarkerPage<T> => {
  let start = 0;
  if (marker !== undefined) {
    let high = items.length;
    while (start < high) {
      const middle = (start + high) >>> 1;
      if ((items[middle] as T).id < marker) start = middle + 1;
      else high = middle;
    }
  }
  const end = start + maxKeys;
  const next = items[end];
  return {
    items: items.slice(start, end),
    isTruncated: next !== undefined,
    nextMarker: next?.id,
  };
};

/** Plain code-unit order of ids, for marker pagination. */
export const byId = (a: { id: string }, b: { id: string }): number =>
  a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
