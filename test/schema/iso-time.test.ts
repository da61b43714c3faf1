// ISO 8601 instants as people type them (lib/schema/iso-time.ts): the extended and basic forms of a
// date and a time of day, with minutes or seconds or fractions, and Z or an offset of hours or
// hours and minutes; each read as the instant it names. Anything that names no instant (a month
// 13, 24:61, a time without a date or an offset, garbage) is refused saying why.

import { describe, expect, it } from 'vitest';
import { imageMatcher } from '../../lib/images/list-images.js';
import { readIsoInstant } from '../../lib/schema/iso-time.js';
import { SAMPLE_IMAGE } from '../support/sample-image.js';

const NOON = Date.UTC(2024, 0, 1, 12, 0, 0);
const MINUTE = 60_000;

describe('readIsoInstant', () => {
  it.each([
    ['2024-01-01T12:00Z', NOON],
    ['2024-01-01T12:00:00Z', NOON],
    ['2024-01-01T12Z', NOON],
    ['2024-01-01T12:00:30.25Z', NOON + 30_250],
    ['2024-01-01T12:00:30,25Z', NOON + 30_250],
    ['2024-01-01T12:00:30.123456789Z', NOON + 30_123],
    ['2024-01-01T17:00+05', NOON],
    ['2024-01-01T17:30+05:30', NOON],
    ['2024-01-01T17:30+0530', NOON],
    ['2024-01-01T07:00-05:00', NOON],
    ['2024-01-01T12:00-00:00', NOON],
    ['2024-01-01T1200Z', NOON],
    ['2024-01-01T120030Z', NOON + 30_000],
    ['2024-01-01T173000,5+0530', NOON + 500],
    ['20240101T120000Z', NOON],
    ['20240101T17+05', NOON],
    ['2024-01-01', Date.UTC(2024, 0, 1)],
    ['20240101', Date.UTC(2024, 0, 1)],
    ['2024-02-29T23:59:59Z', Date.UTC(2024, 1, 29, 23, 59, 59)],
    ['2000-01-01T00:30+01', Date.UTC(1999, 11, 31, 23, 30)],
  ])('%s is the instant it names', (text, ms) => {
    expect(readIsoInstant(text)).toEqual({ ok: true, ms });
  });

  it('reads the forms Date.parse read before the same (dates, RFC 3339 date-times)', () => {
    for (const text of [
      '2026-06-01',
      '2025-06-01T00:00:00Z',
      '2025-06-01T00:00:00.5+02:00',
      '2025-06-01T23:59:59.999-11:30',
      // Any number of digits of a fraction, as zod's RFC 3339 date-time took them.
      `2025-06-01T12:00:00.${'1'.repeat(15)}+05:30`,
      `2025-06-01T12:00:00.${'0'.repeat(100)}Z`,
    ]) {
      expect(readIsoInstant(text), text).toEqual({ ok: true, ms: Date.parse(text) });
    }
  });

  it.each([
    ['2024-13-01', /month 13/],
    ['2024-00-10T12:00Z', /month 00/],
    ['2024-02-30', /day 30/],
    ['2023-02-29T12:00Z', /day 29/],
    ['2024-01-01T24:61Z', /hour 24/],
    ['2024-01-01T12:61Z', /minute 61/],
    ['2024-01-01T12:00:60Z', /second 60/],
    ['2024-01-01T12:00+24', /offset/],
    ['2024-01-01T12:00+05:60', /offset/],
    ['2024-01-01T12:00', /Z or an offset/],
    ['12:00Z', /ISO 8601/],
    ['T12:00Z', /ISO 8601/],
    ['yesterday', /ISO 8601/],
    ['2024-01-01T12:00:00.Z', /ISO 8601/],
    ['2024-0101', /ISO 8601/],
    ['2024-01-01T12:0000Z', /ISO 8601/],
    ['2024-01-01 12:00Z', /ISO 8601/],
    ['', /ISO 8601/],
  ])('%s is refused: %s', (text, why) => {
    const result = readIsoInstant(text);

    expect(result.ok, text).toBe(false);
    expect(result.ok ? '' : result.problem).toMatch(why);
  });

  it('says how to send an offset whose + a URL query turned into a space', () => {
    const result = readIsoInstant('2024-01-01T17:30 05:30');

    expect(result.ok ? '' : result.problem).toMatch(/%2B/);
  });
});

describe('the list filter reads its times the same way', () => {
  it('createdBefore and createdAfter in any accepted form compare with the instant they name', () => {
    const justBefore = {
      ...SAMPLE_IMAGE,
      details: {},
      createdAt: new Date(NOON - MINUTE).toISOString(),
    };
    const atNoon = { ...SAMPLE_IMAGE, details: {}, createdAt: new Date(NOON).toISOString() };

    const createdBefore = imageMatcher({ createdBefore: '2024-01-01T17:30+0530' });
    const createdAfter = imageMatcher({ createdAfter: '20240101T1159+00' });

    expect([createdBefore(justBefore), createdBefore(atNoon)]).toEqual([true, false]);
    expect([createdAfter(justBefore), createdAfter(atNoon)]).toEqual([false, true]);
  });
});
