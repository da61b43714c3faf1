// The clouds the emulator serves, and which one a path belongs to.

import { bccDialect } from './bcc.js';
import type { CloudDialect, CloudRoute, RouteParams } from './dialect.js';
import { modelArtsDialect } from './modelarts.js';

export const DIALECTS: readonly CloudDialect[] = [modelArtsDialect, bccDialect];

export interface RouteMatch {
  route: CloudRoute;
  params: RouteParams;
}

/** The cloud whose APIs live under the path's first segment, if any. */
export const dialectFor = (segments: readonly string[]): CloudDialect | undefined =>
  DIALECTS.find((dialect) => dialect.pathPrefix === segments[0]);

/** The route that serves this method and (decoded) path, if any. */
export const matchRoute = (
  dialect: CloudDialect,
  method: string,
  segments: readonly string[],
): RouteMatch | undefined => {
  for (const route of dialect.routes) {
    if (route.method !== method) continue;
    const params = route.match(segments);
    if (params !== undefined) return { route, params };
  }
  return undefined;
};
