// ISO 8601 instants as people type them, read strictly: a date (extended 2024-01-31 or basic
// 20240131) alone (midnight UTC), or with a time of day after `T` (hh, hh:mm, hh:mm:ss or their
// basic forms hhmm, hhmmss; seconds may carry a fraction after `.` or `,`) and Z or an offset
// (±hh, ±hh:mm, ±hhmm). Date.parse reads only some of these (not hh alone, ±hh, a decimal comma
// or the basic date), takes a time without an offset as the machine's local time and rolls a 30
// February over into March: the list filter reads its times here, and its input schema checks them.

/** The shape of an accepted instant (the API document carries it); the values are checked after. */
export const ISO_INSTANT_PATTERN =
  /^(\d{4})(?:-(\d{2})-(\d{2})|(\d{2})(\d{2}))(?:T(\d{2})(?::(\d{2})(?::(\d{2})(?:[.,](\d+))?)?|(\d{2})(?:(\d{2})(?:[.,](\d+))?)?)?(Z|[+-]\d{2}(?::?\d{2})?))?$/;

/**
 * The longest text told more than its shape when refused (the hints' patterns backtrack on long
 * text). No text is refused for its length: a fraction of a second takes any number of digits, as
 * the RFC 3339 date-times this took before did (read to the millisecond).
 */
const MAX_HINTED_LENGTH = 64;

export const ISO_INSTANT_EXAMPLES =
  '2026-01-31, 2026-01-31T12:00Z, 2026-01-31T12:00:00.5+05:30, 20260131T1200-0500';

export type IsoInstant = { ok: true; ms: number } | { ok: false; problem: string };

const refused = (problem: string): IsoInstant => ({ ok: false, problem });

const SHAPE = `must be an ISO 8601 date, or date and time with Z or an offset (e.g. ${ISO_INSTANT_EXAMPLES})`;

/** `hh`, `hh:mm` or `hhmm` of an offset as minutes east of UTC, or undefined when out of range. */
const offsetMinutes = (offset: string): number | undefined => {
  if (offset === 'Z') return 0;
  const hours = Number(offset.slice(1, 3));
  const minutes = Number(offset.slice(3).replace(':', '') || '0');
  if (hours > 23 || minutes > 59) return undefined;
  return (offset.startsWith('-') ? -1 : 1) * (hours * 60 + minutes);
};

/** The instant `text` names, in milliseconds since the epoch (a fraction cut to milliseconds). */
export const readIsoInstant = (text: string): IsoInstant => {
  const match = ISO_INSTANT_PATTERN.exec(text);
  if (match === null) {
    if (text.length > MAX_HINTED_LENGTH) return refused(SHAPE);
    // A query string's `+` is a space once decoded: `…T17:30+05:30` sent as is arrives so.
    if (/^\S+T\S+ \d{2}(?::?\d{2})?$/.test(text)) {
      return refused(
        `${SHAPE}; its offset has a space where the + goes: in a URL query write + as %2B`,
      );
    }
    if (/^\S+T[\d:.,]+$/.test(text)) {
      return refused(
        'has no Z or an offset after its time (e.g. 2026-01-31T12:00Z, 2026-01-31T12:00+05:30): a local time names no instant',
      );
    }
    return refused(SHAPE);
  }
  const [, year, extMonth, extDay, basicMonth, basicDay, hour, ...rest] = match;
  const [extMinute, extSecond, extFraction, basicMinute, basicSecond, basicFraction, offset] = rest;
  const month = Number(extMonth ?? basicMonth);
  const day = Number(extDay ?? basicDay);
  const minute = Number(extMinute ?? basicMinute ?? 0);
  const second = Number(extSecond ?? basicSecond ?? 0);
  const fraction = extFraction ?? basicFraction ?? '';

  if (month < 1 || month > 12)
    return refused(`is not a real date: month ${extMonth ?? basicMonth}`);
  const date = new Date(0);
  date.setUTCFullYear(Number(year), month - 1, day);
  if (day < 1 || date.getUTCDate() !== day) {
    return refused(
      `is not a real date: day ${extDay ?? basicDay} of ${year}-${extMonth ?? basicMonth}`,
    );
  }
  if (hour === undefined) return { ok: true, ms: date.getTime() };
  if (Number(hour) > 23) return refused(`is not a real time: hour ${hour} (00 to 23)`);
  if (minute > 59)
    return refused(`is not a real time: minute ${extMinute ?? basicMinute} (00 to 59)`);
  if (second > 59)
    return refused(`is not a real time: second ${extSecond ?? basicSecond} (00 to 59)`);
  const east = offsetMinutes(offset ?? 'Z');
  if (east === undefined) return refused(`has an offset out of range: ${offset} (at most ±23:59)`);
  const ms = Number(fraction.slice(0, 3).padEnd(3, '0'));
  return {
    ok: true,
    ms: date.getTime() + ((Number(hour) * 60 + minute - east) * 60 + second) * 1000 + ms,
  };
};
