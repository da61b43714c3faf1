// ModelArts ListNotebooks: `GET /v1/{project_id}/notebooks`, limit (default 10), offset (records
// or pages per the emulator setting), status (exact), name (substring, as documented "fuzzy
// match"), sort_key (create_at / update_at / name, default create_at), sort_dir (default DESC).
// The reply envelope is the documented `{current, data, pages, size, total}`.

import type { EmulatorResponse } from '../response.js';
import type { OperationContext } from './dialect.js';
import { invalidPayload, listReply, readListQuery, sortRecords } from './modelarts-list.js';
import { QueryReader } from './query.js';

export const listNotebooks = ({
  request,
  requestId,
  state,
  settings,
}: OperationContext): EmulatorResponse => {
  const query = new QueryReader(request);
  const list = readListQuery(query, 10, 'create_at');
  if (!list.ok) return invalidPayload(requestId, list.name);
  const status = query.text('status');
  const name = query.text('name');
  const key = JSON.stringify([list.value.sortFields, list.value.descending, status, name]);
  const records = state.notebooks.view(key, (all) =>
    sortRecords(
      all.filter(
        (notebook) =>
          (status === undefined || notebook.status === status) &&
          (name === undefined ||
            (typeof notebook.name === 'string' && notebook.name.includes(name))),
      ),
      list.value,
    ),
  );
  return listReply(requestId, records, list.value, settings.modelartsOffset);
};
