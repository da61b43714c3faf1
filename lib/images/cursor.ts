// Opaque list cursors. A cursor carries where the upstream scan stands (the cloud's position, how
// many of that page's images were already handed out and the IDs either side of that point) and is
// bound to what it was made for (provider, region, filter, page size): used with anything else, or
// altered, it is refused with InvalidRequest naming the cursor as the caller calls it. It is read
// in two steps, because the region is resolved from the configuration (the credentials) and a bad
// cursor is bad input, refused before that is consulted: readCursor checks all but the region (its
// listing, bound apart), checkCursorBinding the region. A cursor is no secret and grants nothing
// (it only says where a read-only listing resumes); the checksum catches damaged cursors, and a
// position the cloud's pager could not have made (other keys, wrong types, out of range) is refused
// when the cursor is read (the port's isScanPosition), never sent upstream. The checksum is not
// keyed: an edited cursor that names a well-formed position resumes the same read-only listing
// there, which the caller could reach by paging anyway (a marker is sent URI-encoded, as the
// cloud's own).

import { createHash } from 'node:crypto';
import { InvalidRequest } from '../errors/errors.js';
import * as z from '../schema/zod.js';
import type { ScanPosition } from './provider-port.js';

export interface CursorState {
  position?: ScanPosition | undefined;
  /** Records from `position` on already handed out (past its page's end: into the next page). */
  skip: number;
  /**
   * Inside a page: the ID of the last record looked at, and of the one after it. Read again, the
   * page may have shifted (images deleted or created ahead): the listing goes on after the first,
   * else at the second, found by ID, and counts `skip` only when neither is there any more.
   */
  after?: string | undefined;
  before?: string | undefined;
}

/** The longest ID a cursor carries as where it stands (longer: it resumes by count alone). */
const MAX_ANCHOR = 256;

// Built on the first cursor read: functions that never list (show, delete) do not build it at start.
const buildStateSchema = () =>
  z.strictObject({
    v: z.literal(1),
    b: z.string().check(z.regex(/^[0-9a-f]{16}$/)),
    // Absent from cursors made before it was carried: their listing is checked with their region.
    l: z.optional(z.string().check(z.regex(/^[0-9a-f]{16}$/))),
    p: z.optional(
      z.record(
        z.string().check(z.maxLength(64)),
        z.union([z.string().check(z.maxLength(1024)), z.int().check(z.gte(0))]),
      ),
    ),
    s: z.int().check(z.gte(0), z.lte(100_000)),
    a: z.optional(z.string().check(z.maxLength(MAX_ANCHOR))),
    n: z.optional(z.string().check(z.maxLength(MAX_ANCHOR))),
  });
const stateSchema = z.builtOnFirstUse(buildStateSchema);

const hex16 = (text: string): string =>
  createHash('sha256').update(text).digest('hex').slice(0, 16);

/** What a cursor is bound to: a digest of the listing's identity (canonical JSON). */
export const cursorBinding = (identity: Record<string, unknown>): string =>
  hex16(
    JSON.stringify(
      Object.keys(identity)
        .sort()
        .map((key) => [key, identity[key] ?? null]),
    ),
  );

const anchor = (id: string | undefined): string | undefined =>
  id !== undefined && id.length <= MAX_ANCHOR ? id : undefined;

/**
 * The cursor of `state`, bound to `binding` (the listing's identity with its region) and to
 * `listing` (the same without the region), which lets readCursor refuse one made for another
 * provider, filter or limit before the region is resolved.
 */
export const encodeCursor = (state: CursorState, binding: string, listing?: string): string => {
  const payload = Buffer.from(
    JSON.stringify({
      v: 1,
      b: binding,
      l: listing,
      p: state.position,
      s: state.skip,
      a: anchor(state.after),
      n: anchor(state.before),
    }),
  ).toString('base64url');
  return `${payload}.${hex16(`cursor:${payload}`)}`;
};

const invalid = (called: string, why: string) =>
  new InvalidRequest(`${called}: ${why}; start again without a cursor`, { field: 'cursor' });

/** What a cursor is read for: the listing it must have been made for, and how a refusal says so. */
export interface CursorUse {
  /** The listing's identity without its region (cursorBinding of it). */
  readonly listing: string;
  /** What a cursor of another listing was made for: `another provider, filter or limit`. */
  readonly otherListing: string;
  /** The same with the region, for a cursor made before cursors carried their listing. */
  readonly otherUse: string;
  /** What the caller calls the cursor (CallContext.fieldNames). */
  readonly called: string;
}

/** A cursor read as far as it can be without its region: its state, and what it is bound to. */
export interface ReadCursor {
  readonly state: CursorState;
  /** The binding it was made with (its listing in its region). */
  readonly binding: string;
  readonly use: CursorUse;
  /** Whether it carried its listing, found the same: then only its region can differ. */
  readonly listingChecked: boolean;
}

/**
 * The cursor, when it is one this service made for the use's listing and its position is one the
 * cloud's pager hands on (`accepts`); else InvalidRequest naming the cursor as the caller calls
 * it. Its region is checked by checkCursorBinding once the region is resolved.
 */
export const readCursor = (
  cursor: string,
  use: CursorUse,
  accepts: (position: ScanPosition) => boolean,
): ReadCursor => {
  const { called } = use;
  const [payload, check, ...rest] = cursor.split('.');
  if (payload === undefined || check === undefined || rest.length > 0 || payload === '') {
    throw invalid(called, 'is not a cursor this service made');
  }
  if (hex16(`cursor:${payload}`) !== check) throw invalid(called, 'has been altered or damaged');
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    throw invalid(called, 'is not a cursor this service made');
  }
  const parsed = stateSchema().safeParse(value);
  if (!parsed.success) throw invalid(called, 'is not a cursor this service made');
  if (parsed.data.l !== undefined && parsed.data.l !== use.listing) {
    throw invalid(called, `was made for ${use.otherListing}`);
  }
  const position = parsed.data.p;
  if (position !== undefined && !accepts(position)) {
    throw invalid(called, 'is not a cursor this service made');
  }
  return {
    state: { position, skip: parsed.data.s, after: parsed.data.a, before: parsed.data.n },
    binding: parsed.data.b,
    use,
    listingChecked: parsed.data.l !== undefined,
  };
};

/**
 * Refuses a cursor read by readCursor that was made for another region (or, made before cursors
 * carried their listing, for another use).
 */
export const checkCursorBinding = (cursor: ReadCursor, binding: string): void => {
  if (cursor.binding === binding) return;
  const madeFor = cursor.listingChecked ? 'another region' : cursor.use.otherUse;
  throw invalid(cursor.use.called, `was made for ${madeFor}`);
};
