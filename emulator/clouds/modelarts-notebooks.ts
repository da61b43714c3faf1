// ModelArts ListNotebooks, `GET /v1/{project_id}/notebooks`, and ListAllNotebooks,
// `GET /v1/{project_id}/notebooks/all`: limit (default 10; the documented range is 10, 20 or 50,
// anything else is 400 ModelArts.6400), offset (records or pages per the
// emulator setting), feature (documented: "Instance type. The default value is NOTEBOOK", DEFAULT
// being the free CodeLab instance: without it only billed instances are listed; a notebook record
// without `feature` is NOTEBOOK), status (exact), name (substring, as documented "fuzzy match"), sort_key
// (create_at / update_at / name, default create_at), sort_dir (default DESC). The reply envelope is
// the documented `{current, data, pages, size, total}`.
//
// ListNotebooks answers the caller's own notebooks only: an IAM user sees another's only through
// ListAllNotebooks (the console's "View all", action modelarts:notebook:listAllNotebooks). Every key
// the emulator accepts signs in as the demo IAM user; a notebook whose `user.id` names another
// user is that user's.

import { DEMO_MODELARTS } from '../demo.js';
import type { EmulatorResponse } from '../response.js';
import type { NotebookRecord } from '../types.js';
import type { OperationContext } from './dialect.js';
import { invalidPayload, listReply, readListQuery, sortRecords } from './modelarts-list.js';
import { QueryReader } from './query.js';

/** ListNotebooks' and ListAllNotebooks' documented `limit` range: [10,20,50]. */
const PAGE_SIZES: readonly number[] = [10, 20, 50];

/** The documented `feature` values: DEFAULT (free CodeLab), NOTEBOOK (billed, the default). */
const FEATURES = ['DEFAULT', 'NOTEBOOK'] as const;

const featureOf = (notebook: NotebookRecord): string =>
  typeof notebook.feature === 'string' ? notebook.feature : 'NOTEBOOK';

const isCallers = (notebook: NotebookRecord): boolean =>
  notebook.user === undefined || notebook.user.id === DEMO_MODELARTS.userId;

const notebookList =
  (everyUser: boolean) =>
  ({ request, requestId, state, settings }: OperationContext): EmulatorResponse => {
    const query = new QueryReader(request);
    const list = readListQuery(query, 10, 'create_at');
    if (!list.ok) return invalidPayload(requestId, list.name);
    if (!PAGE_SIZES.includes(list.value.limit)) return invalidPayload(requestId, 'limit');
    const feature = query.oneOf('feature', FEATURES, 'NOTEBOOK');
    if (!feature.ok) return invalidPayload(requestId, feature.name);
    const status = query.text('status');
    const name = query.text('name');
    const key = JSON.stringify([
      everyUser,
      feature.value,
      list.value.sortFields,
      list.value.descending,
      status,
      name,
    ]);
    const records = state.notebooks.view(key, (all) =>
      sortRecords(
        all.filter(
          (notebook) =>
            (everyUser || isCallers(notebook)) &&
            featureOf(notebook) === feature.value &&
            (status === undefined || notebook.status === status) &&
            (name === undefined ||
              (typeof notebook.name === 'string' && notebook.name.includes(name))),
        ),
        list.value,
      ),
    );
    return listReply(
      requestId,
      records,
      list.value,
      settings.modelartsOffset,
      settings.modelartsMaxLimit,
    );
  };

export const listNotebooks = notebookList(false);
export const listAllNotebooks = notebookList(true);
