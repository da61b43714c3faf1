// The two ways the clouds page their lists, written once: offset/limit (ModelArts) and
// marker/maxKeys (BCC). A pager asks for one upstream page and says where the next one starts.
//
// ModelArts documents `offset` only as "the start offset of the paged records" while its replies
// count pages (`current`, `pages`); no public example shows a second page. So the offset pager
// finds out which reading the service uses before it relies on either: after a full first page it
// asks for offset 1. If that page starts with the first page's second record, or shares most of
// the first page's records (the head of the list changed in between), offsets count records;
// otherwise they count pages (and that answer is page two, not wasted). With a page size
// of 1 both readings agree. The position it hands on carries the reading, so every later page (in
// this invocation or through a cursor) is asked for the right way. The end is `total` when the
// reply gives one, else a short page. A first page shorter than asked that is not the last (a
// service serving a limit above its largest as its largest) sets the page size of the scan: pages
// of the size asked would not line up with the service's when offsets count pages.
//
// A usage scan, and a plan's scan of every image (`checkMoves`), must not skip a record when the
// list moves between two of its page reads: a record behind it deleted moves every later one back
// by one place, one created at the head or moved there (a notebook that starts, where the list is
// by update time) moves those ahead forward, or leaves its reach. Its positions name the last
// record read and the list's total, and its next page under offsets counting records is asked
// from that record on (one record more per page, no request more): when that record does not come
// first, or the total changed, the list moved, and the page answers `moved` with a position at the
// start, to read it all again. Under offsets counting pages no page can start one record earlier:
// the last record read coming again (the list moved forward) or the total changing (a record
// deleted) is the sign; without a total, a record deleted behind the scan cannot be seen there. A
// position without the last record read (a usage cursor made before scans were checked) is read
// from the start. A listing does not check (see docs/contract.md: it is read page by page).
//
// A listing (never a usage scan: it fails closed) may let the probe wait when time is short
// (`timeShort`, asked before the probe and again if it times out): the first page is answered
// with an `unprobed` position, and the next read from there asks for the first page and the probe
// again, judges them as it would have at once (the list may have changed in between), and hands
// out only what follows the records already handed out.

import { createHash } from 'node:crypto';
import { UpstreamBadResponse, UpstreamTimeout } from '../../errors/errors.js';
import type { ImagePageOptions, ScanPosition } from '../../images/provider-port.js';

export type Query = Array<[string, string]>;

export interface OffsetPaging {
  style: 'offset';
  pageSize: number;
  /**
   * The only page sizes the list takes, when its reference names them (pageSize among them): what
   * a usage cursor's position may carry. A scan asks for pageSize, and goes on in the size the
   * service serves when that is smaller (a short first page, above).
   */
  sizes?: readonly number[] | undefined;
  offsetParam: string;
  limitParam: string;
}

export interface MarkerPaging {
  style: 'marker';
  pageSize: number;
  markerParam: string;
  sizeParam: string;
}

export type Paging = OffsetPaging | MarkerPaging;

/** What one upstream list reply says, as the cloud's envelope reads it. */
export interface ListReply<T> {
  items: T[];
  /** Records in the whole list (offset style). */
  total?: number | undefined;
  /** Where the next page starts (marker style); absent on the last page. */
  nextMarker?: string | undefined;
  /** The reply says more pages follow (marker style), whether or not it says where. */
  truncated?: boolean | undefined;
}

export type FetchPage<T> = (query: Query) => Promise<ListReply<T>>;

export interface PagedItems<T> {
  items: T[];
  next?: ScanPosition | undefined;
  /** The list moved since the page before (`checkMoves`): no items, and `next` is its start. */
  moved?: true | undefined;
}

/**
 * How a scan reads its pages: its page size, whether the probe may wait (a listing), whether it
 * checks that the list did not move (`checkMoves`: a usage scan, and a plan's scan of every image).
 */
export type PageOptions = ImagePageOptions;

type OffsetReading = 'records' | 'pages';
/** What an offset counts is still to be found (the probe waited): a read from the start. */
const UNPROBED = 'unprobed';

const idOf = (item: unknown): unknown =>
  typeof item === 'object' && item !== null ? (item as { id?: unknown }).id : undefined;

/** The longest record ID a position carries as it is; a longer one is carried as its digest. */
const MAX_MARK = 256;

/** What a checked scan's position names a record by: its ID (none when it has no ID). */
const markOf = (item: unknown): string | undefined => {
  const id = idOf(item);
  if (typeof id !== 'string' || id === '') return undefined;
  return id.length <= MAX_MARK ? id : `sha256:${createHash('sha256').update(id).digest('hex')}`;
};

/**
 * Whether the answer to offset 1 is the list from its second record (offsets count records) rather
 * than page two: it starts with the first page's second record, or, as a record created or deleted
 * at the head of the list between the two requests shifts it, shares most of the first page's
 * records. Page two shares none of them (or as many as were created at the head meanwhile); judged
 * by its first record alone, one notebook created at that moment made a usage scan read pages of
 * a records list as pages, and miss most of it.
 */
const countsRecords = (first: readonly unknown[], probe: readonly unknown[]): boolean => {
  const second = idOf(first[1]);
  if (second !== undefined && idOf(probe[0]) === second) return true;
  const ids = new Set<unknown>(first.map(idOf).filter((id) => id !== undefined));
  const shared = probe.filter((item) => ids.has(idOf(item))).length;
  return shared * 2 > first.length;
};

/** The page size of a scan: what the caller asks for, within the cloud's largest page. */
const pageSizeOf = (paging: Paging, asked: number | undefined): number =>
  Math.max(1, Math.min(paging.pageSize, Math.floor(asked ?? paging.pageSize)));

const offsetPage = async <T>(
  paging: OffsetPaging,
  fetch: FetchPage<T>,
  position: ScanPosition | undefined,
  label: string,
  options: PageOptions,
): Promise<PagedItems<T>> => {
  // A scan keeps its page size (a page offset only means something for one size).
  let limit =
    typeof position?.size === 'number' ? position.size : pageSizeOf(paging, options.pageSize);
  const start = typeof position?.offset === 'number' ? position.offset : 0;
  const reading = position?.reading as OffsetReading | typeof UNPROBED | undefined;
  const checked = options.checkMoves === true;
  const ask = (offset: number) =>
    fetch([
      [paging.limitParam, String(limit)],
      [paging.offsetParam, String(offset)],
    ]);
  // An empty page while the total says records remain: the list would end short (a usage scan
  // short of an instance would let an image in use be deleted), so the reply is not believed.
  const contradicts = (seen: number, got: number, total: number | undefined) => {
    if (got === 0 && total !== undefined && seen < total) {
      throw new UpstreamBadResponse(
        `${label} answered an empty page at record ${seen} of a list it says holds ${total}`,
      );
    }
  };
  const isLast = (reply: ListReply<T>, seen: number) =>
    reply.items.length === 0 ||
    (reply.total !== undefined ? seen >= reply.total : reply.items.length < limit);
  /** Where the next page starts; a checked scan's also names the last record read and the total. */
  const nextAt = (
    offset: number,
    read: OffsetReading,
    last: unknown,
    total: number | undefined,
  ): ScanPosition => {
    if (!checked) return { offset, reading: read, size: limit };
    const after = markOf(last);
    if (after === undefined) {
      throw new UpstreamBadResponse(
        `${label} answered a list record without an ID: whether the list moved under the scan cannot be told`,
      );
    }
    return { offset, reading: read, size: limit, after, ...(total === undefined ? {} : { total }) };
  };
  /** The list moved under a checked scan: it is read again from its start. */
  const moved = (read: OffsetReading): PagedItems<T> => ({
    items: [],
    moved: true,
    next: { offset: 0, reading: read, size: limit },
  });

  if (reading === 'records' || reading === 'pages') {
    const after = checked && typeof position?.after === 'string' ? position.after : undefined;
    const total = typeof position?.total === 'number' ? position.total : undefined;
    // A checked scan's position that names no record read (a usage cursor made before scans were
    // checked) cannot tell a moved list: it is read from the start.
    const from = checked && after === undefined ? 0 : start;
    // Offsets counting records: from the last record read on, which must come first.
    const overlap = after !== undefined && reading === 'records' && limit > 1 ? 1 : 0;
    const first = from - overlap;
    const reply = await ask(reading === 'pages' ? Math.floor(first / limit) : first);
    contradicts(first, reply.items.length, reply.total);
    if (after !== undefined) {
      const shifted =
        overlap === 1
          ? markOf(reply.items[0]) !== after
          : reply.items.some((item) => markOf(item) === after);
      const recounted = total !== undefined && reply.total !== undefined && reply.total !== total;
      if (shifted || recounted) return moved(reading);
    }
    const items = reply.items.slice(overlap);
    const seen = first + reply.items.length;
    return isLast(reply, seen)
      ? { items }
      : { items, next: nextAt(seen, reading, reply.items.at(-1), reply.total) };
  }

  // The first page; after an unprobed one, its first `start` records were handed out already.
  const reply = await ask(0);
  const items = reply.items;
  contradicts(0, items.length, reply.total);
  if (isLast(reply, items.length)) return { items: items.slice(start) };
  // Shorter than asked, and not the last: the service's pages are this size (a limit above its
  // largest is served as its largest). Every later page is asked for in this size, or offsets
  // counting pages would not line up with its pages (its page two of 100 is not records 200 on).
  limit = Math.min(limit, items.length);
  // The first full page, and more to come: find out what an offset counts.
  if (limit === 1) return { items, next: nextAt(1, 'records', items[0], reply.total) };
  const unprobed = { items, next: { offset: items.length, reading: UNPROBED, size: limit } };
  // Once only (an unprobed read that runs out of time has nothing new to answer with), and for a
  // page no larger than asked (its length is where the next read starts).
  const timeShort = reading === undefined && items.length <= limit ? options.timeShort : undefined;
  if (timeShort?.() === true) return unprobed;
  let probe: ListReply<T>;
  try {
    probe = await ask(1);
  } catch (error) {
    if (error instanceof UpstreamTimeout && timeShort?.() === true) return unprobed;
    throw error;
  }
  if (countsRecords(items, probe.items)) {
    if (reading === undefined) {
      return { items, next: nextAt(items.length, 'records', items.at(-1), reply.total) };
    }
    // The probe is the list from record 1: what follows the records handed out is in it.
    const seen = 1 + probe.items.length;
    return {
      items: probe.items.slice(start - 1),
      next: isLast(probe, seen)
        ? undefined
        : nextAt(seen, 'records', probe.items.at(-1), probe.total),
    };
  }
  // Offsets count pages: the probe was page two.
  const seen = items.length + probe.items.length;
  // The probe's own total when it gives one (the list may have shrunk since), else the first's.
  contradicts(items.length, probe.items.length, probe.total ?? reply.total);
  const pageTwoIsLast =
    probe.items.length === 0 ||
    (reply.total !== undefined ? seen >= reply.total : probe.items.length < limit);
  if (probe.items.length > limit) {
    throw new UpstreamBadResponse(`${label} answered a page larger than the ${limit} asked for`);
  }
  if (checked) {
    // Page two comes after page one as a later page after its page before.
    const last = markOf(items.at(-1));
    const shifted = last !== undefined && probe.items.some((item) => markOf(item) === last);
    const recounted =
      reply.total !== undefined && probe.total !== undefined && probe.total !== reply.total;
    if (shifted || recounted) return moved('pages');
  }
  return {
    items: reading === undefined ? [...items, ...probe.items] : probe.items,
    next: pageTwoIsLast
      ? undefined
      : nextAt(seen, 'pages', probe.items.at(-1), probe.total ?? reply.total),
  };
};

const markerPage = async <T>(
  paging: MarkerPaging,
  fetch: FetchPage<T>,
  position: ScanPosition | undefined,
  label: string,
  asked: number | undefined,
): Promise<PagedItems<T>> => {
  const marker = typeof position?.marker === 'string' ? position.marker : undefined;
  const reply = await fetch([
    ...(marker === undefined ? [] : [[paging.markerParam, marker] as [string, string]]),
    [paging.sizeParam, String(pageSizeOf(paging, asked))],
  ]);
  const next = reply.nextMarker;
  if (next === undefined || next === '') {
    if (reply.truncated === true) {
      // More follow, but from where is not said: ending here would be a short list.
      throw new UpstreamBadResponse(
        `${label} answered a list page that says more follow without a next marker`,
      );
    }
    return { items: reply.items };
  }
  if (next === marker) {
    // Following it would ask for the same page for ever.
    throw new UpstreamBadResponse(`${label} answered a list page whose next marker is its own`);
  }
  return { items: reply.items, next: { marker: next } };
};

const isCount = (value: unknown, least: number, most: number): boolean =>
  Number.isInteger(value) && (value as number) >= least && (value as number) <= most;

/** The largest offset a position may carry (far beyond any account's images). */
const MAX_OFFSET = 100_000_000;

/** What a list's scans may vary, and so what a position of that list may carry. */
export interface PositionRules {
  /** The offset probe may wait for the next call (a listing, never a usage scan). */
  probeMayWait: boolean;
  /** The scan checks that the list did not move between pages (a usage scan): see `checkMoves`. */
  checkMoves: boolean;
  /**
   * The scan asks for the list's own page size (a usage scan), or for the smaller one the service
   * serves instead, which must be one the list takes (`sizes`): a position with any other size is
   * no position of this pager (and one the cloud may refuse, as ModelArts' notebook lists refuse
   * sizes but 10, 20 and 50).
   */
  ownPageSize: boolean;
}

/**
 * Whether `position` is one this pager hands on for a list with these rules. A position comes back
 * inside a cursor, and a cursor's checksum only catches damage: the domain asks this (through the
 * port) of every position a cursor brings, so one this pager could not have made is a 400 before
 * any upstream call.
 */
export const isPagerPosition = (
  paging: Paging,
  position: ScanPosition,
  rules: PositionRules,
): boolean => {
  const keys = Object.keys(position).sort().join(',');
  if (paging.style === 'marker') {
    const { marker } = position;
    // The cloud's own marker, whatever it looks like (it is sent URI-encoded).
    return (
      keys === 'marker' && typeof marker === 'string' && marker.length > 0 && marker.length <= 1024
    );
  }
  // A checked scan's position names the last record read (and the list's total when it gives one).
  const names =
    rules.checkMoves &&
    (keys === 'after,offset,reading,size' || keys === 'after,offset,reading,size,total');
  if (keys !== 'offset,reading,size' && !names) return false;
  if (names) {
    const { after, total } = position;
    if (typeof after !== 'string' || after.length === 0 || after.length > MAX_MARK) {
      return false;
    }
    if (total !== undefined && !isCount(total, 0, MAX_OFFSET)) return false;
    if (!isCount(position.offset, 1, MAX_OFFSET)) return false;
  }
  if (rules.ownPageSize && !(paging.sizes ?? [paging.pageSize]).includes(position.size as number)) {
    return false;
  }
  if (position.reading === UNPROBED) {
    // After a first page no larger than asked, of a page size that probes.
    return (
      rules.probeMayWait &&
      isCount(position.size, 2, paging.pageSize) &&
      isCount(position.offset, 1, position.size as number)
    );
  }
  return (
    isCount(position.offset, 0, MAX_OFFSET) &&
    isCount(position.size, 1, paging.pageSize) &&
    (position.reading === 'records' || position.reading === 'pages')
  );
};

/** One upstream page of a list, from `position`, in the cloud's paging style. */
export const readPage = <T>(
  paging: Paging,
  fetch: FetchPage<T>,
  position: ScanPosition | undefined,
  label: string,
  options: PageOptions = {},
): Promise<PagedItems<T>> =>
  paging.style === 'offset'
    ? offsetPage(paging, fetch, position, label, options)
    : markerPage(paging, fetch, position, label, options.pageSize);
