// list(provider, region?, filter) → one page of images and a cursor to the next. The filters the
// cloud supports are sent upstream (it narrows, never widens: every filter is applied again here);
// the page has at most `limit` images, and the cursor resumes exactly after the last one handed
// out, also when upstream pages and ours do not line up and when filters drop most of a page.
// A listing that is running out of time stops cleanly with what it has and a cursor to go on.

import { UpstreamBadResponse, UpstreamTimeout } from '../errors/errors.js';
import { readIsoInstant } from '../schema/iso-time.js';
import {
  type CursorState,
  checkCursorBinding,
  cursorBinding,
  encodeCursor,
  readCursor,
} from './cursor.js';
import { matchesGlob } from './glob.js';
import type { Image, ImageKind, ImageStatus } from './image.js';
import { regionOf } from './provider-in-region.js';
import {
  type CallContext,
  fieldCalled,
  type ImagePageOptions,
  type ImageProvider,
  type ProviderLookup,
  type ScanPosition,
  type UpstreamImageFilter,
} from './provider-port.js';

export const DEFAULT_LIST_LIMIT = 100;
export const MAX_LIST_LIMIT = 1000;

/**
 * Time kept for answering once a scan has read at least one page: another upstream page is not
 * started with less left (a page normally takes well under a second).
 */
export const SCAN_RESERVE_MS = 1_500;

export interface ImageFilter {
  kind?: ImageKind | undefined;
  status?: readonly ImageStatus[] | undefined;
  /** A glob: `*` any run of characters, `?` one. */
  name?: string | undefined;
  /**
   * ISO 8601 as lib/schema/iso-time.ts reads it; images created strictly before / after. An image
   * with no creation time matches neither.
   */
  createdBefore?: string | undefined;
  createdAfter?: string | undefined;
}

export interface ListRequest extends ImageFilter {
  provider: string;
  region?: string | undefined;
  limit?: number | undefined;
  cursor?: string | undefined;
}

export interface ImageList {
  images: Image[];
  nextCursor?: string;
}

export interface ListDeps {
  providers: ProviderLookup;
  context: CallContext;
}

/** A filter's time (validated by the input schema); NaN, which nothing matches, otherwise. */
const instantOf = (text: string): number => {
  const read = readIsoInstant(text);
  return read.ok ? read.ms : Number.NaN;
};

/** Whether an image passes every filter. */
export const imageMatcher = (filter: ImageFilter): ((image: Image) => boolean) => {
  const before = filter.createdBefore === undefined ? undefined : instantOf(filter.createdBefore);
  const after = filter.createdAfter === undefined ? undefined : instantOf(filter.createdAfter);
  return (image) => {
    if (filter.kind !== undefined && image.kind !== filter.kind) return false;
    if (filter.status !== undefined && !filter.status.includes(image.status)) return false;
    if (filter.name !== undefined && !matchesGlob(filter.name, image.name)) return false;
    if (before !== undefined || after !== undefined) {
      const created = image.createdAt === undefined ? Number.NaN : Date.parse(image.createdAt);
      if (Number.isNaN(created)) return false;
      if (before !== undefined && !(created < before)) return false;
      if (after !== undefined && !(created > after)) return false;
    }
    return true;
  };
};

/** The longest literal run of a glob: every matching name contains it. */
const literalRun = (glob: string): string | undefined => {
  const runs = glob.split(/[*?]/).filter((run) => run.length > 0);
  return runs.sort((a, b) => b.length - a.length)[0];
};

/** What the cloud may narrow by upstream. */
export const upstreamFilterOf = (filter: ImageFilter): UpstreamImageFilter => ({
  kind: filter.kind,
  nameContains: filter.name === undefined ? undefined : literalRun(filter.name),
});

/**
 * Upstream pages for a listing of `limit`: a few times larger, so that filters rarely need a
 * second page, but not the cloud's largest for a small page (the cursor resumes inside a page).
 */
export const upstreamPageSize = (limit: number): number => Math.max(10, limit * 2);

/** Whether a scan that has read a page already may start another. */
const timeForAnotherPage = (context: CallContext): boolean =>
  context.deadline.remainingMs() > SCAN_RESERVE_MS;

/**
 * A scan's next upstream page, or undefined when time is short: none is started in the last
 * moments, and one the deadline cuts off (a cloud answering slowly) ends the scan too. A scan
 * then answers what it read, with where to go on, instead of losing it to UpstreamTimeout. A page
 * that timed out with time still left (its attempts used up) is the failure it is, and the first
 * page has no grace either: a scan that read nothing fails as any call does.
 */
export const pageInTime = async <T>(
  pagesRead: number,
  context: CallContext,
  read: () => Promise<T>,
): Promise<T | undefined> => {
  if (pagesRead === 0) return read();
  if (!timeForAnotherPage(context)) return undefined;
  try {
    return await read();
  } catch (error) {
    if (error instanceof UpstreamTimeout && !timeForAnotherPage(context)) return undefined;
    throw error;
  }
};

/**
 * Notes each position a scan goes on to, from `start`; one it read already (a cloud's next markers
 * in a loop) is UpstreamBadResponse: following it would read the same pages until time ran out,
 * and a usage scan would never be complete.
 */
export const loopGuard = (
  provider: Pick<ImageProvider, 'label'>,
  start: ScanPosition | undefined,
): ((next: ScanPosition) => void) => {
  const read = new Set([JSON.stringify(start ?? null)]);
  return (next) => {
    const key = JSON.stringify(next);
    if (read.has(key)) {
      throw new UpstreamBadResponse(
        `${provider.label} answered a list page whose next page is one it answered already: the list would never end`,
      );
    }
    read.add(key);
  };
};

/** What a cursor of this listing is bound to, but for its region. */
const identityOf = (provider: ImageProvider, request: ListRequest, limit: number) => ({
  operation: 'list',
  provider: provider.key,
  kind: request.kind,
  status: request.status === undefined ? undefined : [...request.status].sort(),
  name: request.name,
  createdBefore: request.createdBefore,
  createdAfter: request.createdAfter,
  limit,
});

/**
 * Where a cursor resumes inside the page it stood in, read again: the page may have shifted since
 * (images deleted or created ahead of it), so after the last record it looked at, or else at the
 * one after that, found by ID; by count only when neither is in the page any more.
 */
const resumeIndex = (
  images: readonly Image[],
  state: CursorState,
  provider: ImageProvider,
): number => {
  const indexOf = (id: string | undefined) => {
    if (id === undefined) return -1;
    const key = provider.canonicalId(id);
    return images.findIndex((image) => provider.canonicalId(image.id) === key);
  };
  const after = indexOf(state.after);
  if (after >= 0) return after + 1;
  const before = indexOf(state.before);
  return before >= 0 ? before : state.skip;
};

export const listImages = async (request: ListRequest, deps: ListDeps): Promise<ImageList> => {
  const provider = deps.providers(request.provider);
  const limit = request.limit ?? DEFAULT_LIST_LIMIT;
  const identity = identityOf(provider, request, limit);
  const listing = cursorBinding(identity);
  // A bad cursor is bad input: refused before the region is resolved from the configuration.
  const cursor =
    request.cursor === undefined
      ? undefined
      : readCursor(
          request.cursor,
          {
            listing,
            otherListing: 'another listing (another provider, filter or limit), or a usage scan',
            otherUse: 'another provider, region, filter or limit',
            called: fieldCalled(deps.context, 'cursor'),
          },
          (position) => provider.isScanPosition('images', position),
        );
  const region = await regionOf(deps, provider, request.region);
  const binding = cursorBinding({ ...identity, region });
  if (cursor !== undefined) checkCursorBinding(cursor, binding);
  let state: CursorState = cursor?.state ?? { skip: 0 };
  const matches = imageMatcher(request);
  const upstream = upstreamFilterOf(request);
  const images: Image[] = [];
  // An offset scan can meet an image twice when the list shifts under it: hand each out once.
  const handedOut = new Set<string>();
  const resumeAt = (next: CursorState): ImageList => ({
    images,
    nextCursor: encodeCursor(next, binding, listing),
  });

  const options: ImagePageOptions = {
    pageSize: upstreamPageSize(limit),
    // The same rule within a page of several requests: ModelArts' offset probe waits for the next
    // call rather than lose the first page to UpstreamTimeout.
    timeShort: () => !timeForAnotherPage(deps.context),
  };

  const goingOn = loopGuard(provider, state.position);
  for (let pages = 0; ; pages += 1) {
    const position = state.position;
    const page = await pageInTime(pages, deps.context, () =>
      provider.listImages(region, upstream, position, deps.context, options),
    );
    if (page === undefined) return resumeAt(state);
    const from = pages === 0 ? resumeIndex(page.images, state, provider) : state.skip;
    for (let index = from; index < page.images.length; index += 1) {
      const image = page.images[index] as Image;
      const key = provider.canonicalId(image.id);
      if (matches(image) && !handedOut.has(key)) {
        handedOut.add(key);
        images.push(image);
      }
      if (images.length === limit) {
        if (index + 1 < page.images.length) {
          return resumeAt({
            position: state.position,
            skip: index + 1,
            after: image.id,
            before: (page.images[index + 1] as Image).id,
          });
        }
        if (page.next === undefined) return { images };
        goingOn(page.next);
        return resumeAt({ position: page.next, skip: 0 });
      }
    }
    if (page.next === undefined) return { images };
    goingOn(page.next);
    // A skip past this page's end goes on into the next: ModelArts' first page answered without
    // its probe (a listing short of time) is shorter than the same page read with it, which a
    // cursor made before may be further into.
    state = { position: page.next, skip: Math.max(0, state.skip - page.images.length) };
  }
};

/** How many times a checked scan reads its list again from the start when it moved under it. */
export const LIST_RESCANS = 2;

/** How a scan of a whole list ended. */
export interface ScanEnd {
  /** False when time ran short or the list kept moving: what was not read may hold anything. */
  complete: boolean;
  /** Where to go on (when not complete). */
  next?: ScanPosition | undefined;
  /** Not complete because the list kept moving under the scan (read 1 + LIST_RESCANS times). */
  moving: boolean;
  /** Upstream pages read (all passes). */
  pages: number;
}

/**
 * Reads a list page by page from `from` (the start by default) to its end, handing each page to
 * `take`, or until time runs short (pageInTime). A page that answers `moved` (a checked scan whose
 * list moved under it: what it read may have skipped a record or read one twice) makes it
 * `restart` what it took and read the list again from its start, at most LIST_RESCANS times and
 * within the time it has; a list that keeps moving ends the scan incomplete, as time running out
 * does. Usage scans and a plan's scan of every image share it.
 */
export const scanPages = async <P extends { next?: ScanPosition | undefined; moved?: true }>(
  provider: Pick<ImageProvider, 'label'>,
  context: CallContext,
  from: ScanPosition | undefined,
  read: (position: ScanPosition | undefined) => Promise<P>,
  take: (page: P) => void,
  restart: () => void,
): Promise<ScanEnd> => {
  let position = from;
  let goingOn = loopGuard(provider, from);
  let rescans = 0;
  for (let pages = 0; ; pages += 1) {
    const at = position;
    const page = await pageInTime(pages, context, () => read(at));
    if (page === undefined) return { complete: false, next: position, moving: false, pages };
    if (page.moved === true) {
      // What this pass read may have skipped a record: read the list again (what it took stays
      // when the scan gives up, as by one out of time).
      if (rescans === LIST_RESCANS || page.next === undefined) {
        return { complete: false, next: page.next ?? position, moving: true, pages: pages + 1 };
      }
      rescans += 1;
      restart();
      position = page.next;
      goingOn = loopGuard(provider, position);
      continue;
    }
    take(page);
    if (page.next === undefined) return { complete: true, moving: false, pages: pages + 1 };
    goingOn(page.next);
    position = page.next;
  }
};

/**
 * Every image of a region that passes the filter, page by page; stops early only for time or a
 * list that keeps moving. Each page after the first is checked against the one before (a plan
 * decides from the whole list: an image it skipped would go undecided and mislead its limits), and
 * an image met twice is kept once.
 */
export const scanImages = async (
  provider: ImageProvider,
  region: string,
  filter: ImageFilter,
  context: CallContext,
  onPage?: (seen: number) => void,
): Promise<{ images: Image[]; complete: boolean; moving: boolean; upstreamPages: number }> => {
  const matches = imageMatcher(filter);
  const upstream = upstreamFilterOf(filter);
  const byId = new Map<string, Image>();
  const end = await scanPages(
    provider,
    context,
    undefined,
    (position) => provider.listImages(region, upstream, position, context, { checkMoves: true }),
    (page) => {
      for (const image of page.images) {
        if (matches(image)) byId.set(provider.canonicalId(image.id), image);
      }
      onPage?.(byId.size);
    },
    () => byId.clear(),
  );
  return {
    images: [...byId.values()],
    complete: end.complete,
    moving: end.moving,
    upstreamPages: end.pages,
  };
};
