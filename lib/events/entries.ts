// From catalogue events to what leaves the process: each detail checked against its schema (only
// documented members kept), written as JSON, and kept within EventBridge's size limit; then
// grouped into PutEvents calls of at most 10 entries and 256 KB.
//
// EventBridge counts an entry's size as the UTF-8 bytes of Source, DetailType and Detail (plus
// Time and Resources, which we do not set), and refuses an entry, or a PutEvents call, above
// 256 KB. Our details are small (the image record travels without the provider's `details`), so
// only a runaway text can exceed it: then every string longer than MAX_TEXT_LENGTH characters is
// cut to that length and the detail says `truncated: true`. A detail still too large is not sent
// (counted and logged as not published).

import {
  type CatalogueEvent,
  type DetailType,
  EVENT_CATALOGUE,
  EVENT_SOURCE,
} from './catalogue.js';

export const MAX_ENTRY_BYTES = 256 * 1024;
export const MAX_BATCH_ENTRIES = 10;
export const MAX_BATCH_BYTES = 256 * 1024;
/** What a text is cut to when a detail is too large. */
export const MAX_TEXT_LENGTH = 1_024;

export interface PreparedEntry {
  detailType: DetailType;
  /** The detail as JSON. */
  detail: string;
  /** EventBridge's measure of the entry (without the bus name, which does not count). */
  bytes: number;
  /** For log lines about this event: ids only, never texts. */
  summary: Record<string, string>;
  /** The event it was prepared from (a publish reports which ones it lost). */
  event: CatalogueEvent;
}

export interface Rejected {
  detailType: string;
  reason: string;
  summary: Record<string, string>;
}

const utf8Bytes = (text: string): number => Buffer.byteLength(text, 'utf8');

export const entryBytes = (detailType: string, detail: string): number =>
  utf8Bytes(EVENT_SOURCE) + utf8Bytes(detailType) + utf8Bytes(detail);

const SUMMARY_KEYS = [
  'provider',
  'region',
  'imageId',
  'outcome',
  'error',
  'trigger',
  'requestId',
  'planId',
  'runId',
] as const;

/** The ids that say which event it was, for a log line. */
const summaryOf = (detail: unknown): Record<string, string> => {
  const summary: Record<string, string> = {};
  if (detail === null || typeof detail !== 'object') return summary;
  for (const key of SUMMARY_KEYS) {
    const value = (detail as Record<string, unknown>)[key];
    if (typeof value === 'string') summary[key] = value.slice(0, 200);
  }
  return summary;
};

/** Every string longer than `max` characters cut to `max`, at any depth. */
const cutTexts = (value: unknown, max: number): unknown => {
  if (typeof value === 'string') return value.length > max ? value.slice(0, max) : value;
  if (Array.isArray(value)) return value.map((item) => cutTexts(item, max));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, cutTexts(item, max)]),
    );
  }
  return value;
};

/** Checked, serialised, sized entries; and the events that cannot be sent, with why. */
export const prepareEntries = (
  events: readonly CatalogueEvent[],
): { entries: PreparedEntry[]; rejected: Rejected[] } => {
  const entries: PreparedEntry[] = [];
  const rejected: Rejected[] = [];
  for (const event of events) {
    const schema = EVENT_CATALOGUE[event.detailType];
    const summary = summaryOf(event.detail);
    if (schema === undefined) {
      rejected.push({
        detailType: String(event.detailType),
        reason: 'unknown detail-type',
        summary,
      });
      continue;
    }
    const parsed = schema.safeParse(event.detail);
    if (!parsed.success) {
      const fields = [...new Set(parsed.error.issues.map((issue) => issue.path.join('.')))];
      rejected.push({
        detailType: event.detailType,
        reason: `the detail does not match its schema: ${fields.slice(0, 5).join(', ')}`,
        summary,
      });
      continue;
    }
    let detail = JSON.stringify(parsed.data);
    if (entryBytes(event.detailType, detail) > MAX_ENTRY_BYTES) {
      detail = JSON.stringify({
        ...(cutTexts(parsed.data, MAX_TEXT_LENGTH) as object),
        truncated: true,
      });
    }
    const bytes = entryBytes(event.detailType, detail);
    if (bytes > MAX_ENTRY_BYTES) {
      rejected.push({
        detailType: event.detailType,
        reason: `the detail is ${bytes} bytes even with its texts cut (limit ${MAX_ENTRY_BYTES})`,
        summary,
      });
      continue;
    }
    entries.push({ detailType: event.detailType, detail, bytes, summary, event });
  }
  return { entries, rejected };
};

/** Entries in PutEvents-sized groups: at most 10 entries and 256 KB each, in order. */
export const batchesOf = <T extends { bytes: number }>(entries: readonly T[]): T[][] => {
  const batches: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const entry of entries) {
    if (
      current.length === MAX_BATCH_ENTRIES ||
      (current.length > 0 && bytes + entry.bytes > MAX_BATCH_BYTES)
    ) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(entry);
    bytes += entry.bytes;
  }
  if (current.length > 0) batches.push(current);
  return batches;
};
