// usage(provider, imageId, region?) → what uses the image: ModelArts notebooks, BCC instances,
// found by scanning the cloud's lists (no cloud filters them by image). A plan's scan of a region
// serves all its images. A delete relies only on a scan that started after it began looking at
// its image (`freshSince`): deletes looking at the same time share one, but an image that came
// into use while a batch or a run went on is seen by the next delete's scan, not missed by an
// older one. A scan that runs out of time says so (`complete: false`, with a cursor to go on): it
// never answers "not in use" for what it did not read. Nor does one whose list moved under it (a
// notebook behind it deleted, one ahead moved to the head of the list): it reads the list again
// from the start, a few times at most, and is then incomplete as one out of time is.

import { InvalidRequest } from '../errors/errors.js';
import {
  checkCursorBinding,
  cursorBinding,
  encodeCursor,
  type ReadCursor,
  readCursor,
} from './cursor.js';
import { type ScanEnd, scanPages } from './list-images.js';
import { regionOf } from './provider-in-region.js';
import {
  type CallContext,
  fieldCalled,
  type ImageProvider,
  type ProviderLookup,
  type ScanPosition,
} from './provider-port.js';
import type { ImageRef } from './show-image.js';
import type { UsageReference, UsageResult } from './usage.js';

/** Everything one usage scan of a region found, by usage key. */
export interface UsageIndex {
  /**
   * False when the scan stopped for time or as its list kept moving under it: what it did not read
   * may use any image.
   */
  complete: boolean;
  /** Where the scan stopped (when not complete). */
  next?: ScanPosition | undefined;
  /** Not complete because the list kept moving under the scan (not for time). */
  moving?: boolean | undefined;
  /** The references naming any of these keys, each once. */
  usesOf(keys: readonly string[]): UsageReference[];
}

/**
 * A region's usage index, shared within the invocation: any scan of it, or with `freshSince` (a
 * `performance.now()` time) only one that started at or after that time.
 */
export type UsageScanner = (
  provider: ImageProvider,
  region: string,
  context: CallContext,
  freshSince?: number,
) => Promise<UsageIndex>;

/**
 * Scans the region's usage lists from `from` (the start by default) to the end, or until time
 * runs short or the list keeps moving under it (read again from the start, LIST_RESCANS times at
 * most: scanPages).
 */
export const scanUsage = async (
  provider: ImageProvider,
  region: string,
  context: CallContext,
  from?: ScanPosition,
): Promise<UsageIndex> => {
  let byKey = new Map<string, Map<string, UsageReference>>();
  const end = await scanPages(
    provider,
    context,
    from,
    (position) => provider.listUsage(region, position, context),
    (page) => {
      for (const use of page.uses) {
        for (const key of use.imageKeys) {
          let references = byKey.get(key);
          if (references === undefined) {
            references = new Map();
            byKey.set(key, references);
          }
          references.set(`${use.reference.type}\u0000${use.reference.id}`, use.reference);
        }
      }
    },
    () => {
      byKey = new Map();
    },
  );
  return indexOf(byKey, end);
};

const indexOf = (
  byKey: ReadonlyMap<string, ReadonlyMap<string, UsageReference>>,
  { complete, next, moving }: ScanEnd,
): UsageIndex => ({
  complete,
  next: complete ? undefined : next,
  moving,
  usesOf: (keys) => {
    const found = new Map<string, UsageReference>();
    for (const key of keys) {
      for (const [id, reference] of byKey.get(key) ?? []) found.set(id, reference);
    }
    return [...found.values()];
  },
});

interface SharedScan {
  index: Promise<UsageIndex>;
  startedAt: number;
}

/**
 * A scanner that shares each region's latest scan (finished or in flight) with every caller it is
 * fresh enough for, and scans again for one it is not; a failed or incomplete scan is not kept,
 * so the next caller scans again.
 */
export const createUsageScanner = (): UsageScanner => {
  const scans = new Map<string, SharedScan>();
  return (provider, region, context, freshSince) => {
    const key = `${provider.key}\u0000${region}`;
    const latest = scans.get(key);
    if (latest !== undefined && (freshSince === undefined || latest.startedAt >= freshSince)) {
      return latest.index;
    }
    const scan: SharedScan = {
      index: scanUsage(provider, region, context),
      startedAt: performance.now(),
    };
    scans.set(key, scan);
    const forget = () => {
      if (scans.get(key) === scan) scans.delete(key);
    };
    scan.index.then((index) => {
      // An incomplete scan is no answer for the next image: let it scan again.
      if (!index.complete) forget();
    }, forget);
    return scan.index;
  };
};

/** "notebook nb-1 (train, RUNNING), instance i-2 (web, Running)", at most five named. */
export const describeReferences = (references: readonly UsageReference[]): string => {
  const named = references
    .slice(0, 5)
    .map(
      (reference) =>
        `${reference.type} ${reference.id} (${reference.name || 'unnamed'}, ${reference.status})`,
    );
  const more = references.length > 5 ? ` and ${references.length - 5} more` : '';
  return `${named.join(', ')}${more}`;
};

export interface UsageRequest extends ImageRef {
  cursor?: string | undefined;
}

export type { UsageResult } from './usage.js';

export interface UsageDeps {
  providers: ProviderLookup;
  context: CallContext;
  usage: UsageScanner;
}

export const imageUsage = async (request: UsageRequest, deps: UsageDeps): Promise<UsageResult> => {
  const provider = deps.providers(request.provider);
  const identity = {
    operation: 'usage',
    provider: provider.key,
    imageId: provider.canonicalId(request.imageId),
  };
  const listing = cursorBinding(identity);
  // A cursor that is not one of ours is a 400 before the region is resolved from the
  // configuration, and before anything is sent.
  const cursor =
    request.cursor === undefined
      ? undefined
      : resumeFrom(request.cursor, listing, provider, fieldCalled(deps.context, 'cursor'));
  const region = await regionOf(deps, provider, request.region);
  const binding = cursorBinding({ ...identity, region });
  if (cursor !== undefined) checkCursorBinding(cursor.read, binding);
  const resumeAt = cursor?.position;
  // The image first: a missing one is a 404, and its record names its usage keys (an SWR path).
  const image = await provider.show(request.imageId, region, deps.context);
  const index =
    resumeAt === undefined
      ? await deps.usage(provider, region, deps.context)
      : await scanUsage(provider, region, deps.context, resumeAt);
  const references = index.usesOf(provider.usageKeysOf(image));
  return {
    inUse: references.length > 0,
    references,
    complete: index.complete,
    ...(index.complete
      ? {}
      : { nextCursor: encodeCursor({ position: index.next, skip: 0 }, binding, listing) }),
  };
};

/** The usage cursor read (its region not yet checked), and where its scan resumes. */
const resumeFrom = (
  cursor: string,
  listing: string,
  provider: ImageProvider,
  called: string,
): { read: ReadCursor; position: ScanPosition } => {
  const read = readCursor(
    cursor,
    {
      listing,
      otherListing: "another image's usage scan, or a listing",
      otherUse: "another image's usage scan or region, or a listing",
      called,
    },
    (position) => provider.isScanPosition('usage', position),
  );
  if (read.state.position === undefined) {
    throw new InvalidRequest(`${called}: is not a usage cursor`, { field: 'cursor' });
  }
  return { read, position: read.state.position };
};
