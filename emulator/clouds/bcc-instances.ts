// BCC `GET /v2/instance` (Query the Instance List): marker and maxKeys as for images, instances in
// id order, reply `{marker, isTruncated, nextMarker?, maxKeys, instances}`. Each instance carries
// `imageId`, `imageName` and `imageType`: the only way to see which images instances use.

import { byId, markerPage } from '../pagination.js';
import type { EmulatorResponse } from '../response.js';
import { readMarkerQuery } from './bcc-images.js';
import { bceInvalidParameter, bceJson } from './bce-replies.js';
import type { OperationContext } from './dialect.js';
import { QueryReader } from './query.js';

export const listInstances = ({
  request,
  requestId,
  state,
}: OperationContext): EmulatorResponse => {
  const paging = readMarkerQuery(new QueryReader(request));
  if (!paging.ok) return bceInvalidParameter(requestId, paging.name);
  const instances = state.instances.view('by-id', (all) => all.sort(byId));
  const page = markerPage(instances, paging.marker, paging.maxKeys);
  return bceJson(requestId, 200, {
    marker: paging.marker ?? '',
    isTruncated: page.isTruncated,
    ...(page.nextMarker === undefined ? {} : { nextMarker: page.nextMarker }),
    maxKeys: paging.maxKeys,
    instances: page.items,
  });
};
