// What ModelArts list APIs (ListImage, ListNotebooks) share: limit/offset, sort_key/sort_dir, the
// ModelArts.6400 reply for a bad parameter, and the `{current, data, pages, size, total}` envelope.

import type { ModelArtsOffsetMode } from '../options.js';
import { offsetPage } from '../pagination.js';
import type { EmulatorResponse } from '../response.js';
import type { JsonObject } from '../types.js';
import { huaweiError, huaweiJson } from './huawei-replies.js';
import type { Parsed, QueryReader } from './query.js';

/** The documented reply to a bad parameter: 400 ModelArts.6400 "Invalid request payload {0}". */
export const invalidPayload = (requestId: string, what: string): EmulatorResponse =>
  huaweiError(requestId, 400, 'ModelArts.6400', `Invalid request payload ${what}, please check.`);

/** The record field each accepted `sort_key` value sorts on (the docs' example is `updateTime`). */
const SORT_FIELDS: Readonly<Record<string, string>> = {
  create_at: 'create_at',
  createTime: 'create_at',
  create_time: 'create_at',
  update_at: 'update_at',
  updateTime: 'update_at',
  update_time: 'update_at',
  name: 'name',
};

export interface ListQuery {
  limit: number;
  offset: number;
  /** Record fields, in priority order. */
  sortFields: string[];
  descending: boolean;
}

/** limit (default `defaultLimit`), offset (default 0), sort_key (comma list), sort_dir (default DESC). */
export const readListQuery = (
  query: QueryReader,
  defaultLimit: number,
  defaultSortField: string,
): Parsed<ListQuery> => {
  const limit = query.integer('limit', defaultLimit, 1, Number.MAX_SAFE_INTEGER);
  if (!limit.ok) return limit;
  const offset = query.integer('offset', 0, 0, Number.MAX_SAFE_INTEGER);
  if (!offset.ok) return offset;
  const direction = query.oneOf('sort_dir', ['ASC', 'DESC'], 'DESC');
  if (!direction.ok) return direction;
  const sortFields: string[] = [];
  for (const key of (query.text('sort_key') ?? defaultSortField).split(',')) {
    const field = SORT_FIELDS[key.trim()];
    if (field === undefined) return { ok: false, name: 'sort_key' };
    sortFields.push(field);
  }
  return {
    ok: true,
    value: {
      limit: limit.value,
      offset: offset.value,
      sortFields,
      descending: direction.value === 'DESC',
    },
  };
};

const compareField = (a: JsonObject, b: JsonObject, field: string): number => {
  const left = a[field];
  const right = b[field];
  if (typeof left === 'number' && typeof right === 'number') return left - right;
  const l = left === undefined || left === null ? '' : String(left);
  const r = right === undefined || right === null ? '' : String(right);
  return l < r ? -1 : l > r ? 1 : 0;
};

/** Sorted by the fields, then by id (a total, stable order); DESC reverses all of it. */
export const sortRecords = <R extends JsonObject & { id: string }>(
  records: R[],
  list: Pick<ListQuery, 'sortFields' | 'descending'>,
): R[] => {
  records.sort((a, b) => {
    for (const field of list.sortFields) {
      const order = compareField(a, b, field);
      if (order !== 0) return order;
    }
    return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
  });
  if (list.descending) records.reverse();
  return records;
};

export const listReply = (
  requestId: string,
  records: readonly unknown[],
  list: Pick<ListQuery, 'limit' | 'offset'>,
  mode: ModelArtsOffsetMode,
  maxLimit?: number,
): EmulatorResponse =>
  huaweiJson(requestId, 200, offsetPage(records, list.limit, list.offset, mode, maxLimit));
