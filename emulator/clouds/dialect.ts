// What the request pipeline needs to know about one cloud: its routes (path + method → operation
// and handler), how it verifies signatures, and how its replies look (request-id header, error
// bodies, the gateway's answers for unknown APIs, large bodies and throttling).

import type { Authenticator } from '../auth/authenticator.js';
import type { ReceivedRequest } from '../incoming.js';
import type { ModelArtsOffsetMode } from '../options.js';
import type { EmulatorResponse } from '../response.js';
import type { EmulatorState } from '../state.js';
import type { Operation, ProviderKey } from '../types.js';

/** Behaviour that can change while the emulator runs. */
export interface EmulatorSettings {
  modelartsOffset: ModelArtsOffsetMode;
  /**
   * The most records a ModelArts list page holds: a larger `limit` is served as this many (and
   * offsets counting pages count pages of this size), as a service that caps its page size does.
   * Absent: pages as large as asked.
   */
  modelartsMaxLimit?: number | undefined;
}

/** What a route takes from the path. */
export interface RouteParams {
  imageId?: string;
  projectId?: string;
}

export interface OperationContext {
  request: ReceivedRequest;
  params: RouteParams;
  requestId: string;
  state: EmulatorState;
  now: Date;
  settings: EmulatorSettings;
}

export interface CloudRoute {
  operation: Operation;
  method: 'GET' | 'DELETE';
  /** The path's parameters when the (decoded) segments are this route's; else undefined. */
  match(segments: readonly string[]): RouteParams | undefined;
  handle(context: OperationContext): EmulatorResponse;
}

export interface CloudDialect {
  provider: ProviderKey;
  /** The first path segment of this cloud's APIs (`v1`, `v2`): anything under it is this cloud's. */
  pathPrefix: string;
  routes: readonly CloudRoute[];
  /** The header every reply carries the request id in. */
  requestIdHeader: string;
  /** Headers every reply of this cloud carries. */
  headers(requestId: string): Record<string, string>;
  /** This cloud's error body. */
  error(requestId: string, status: number, code: string, message: string): EmulatorResponse;
  /** The demo access key every emulator accepts for this cloud. */
  demoCredentials: { accessKeyId: string; secretAccessKey: string };
  /** A signature checker accepting the keys in `secrets` (access key → secret key). */
  createAuthenticator(options: {
    lockoutMs: number;
    secrets: ReadonlyMap<string, string>;
  }): Authenticator;
  /** Checks made after authentication and before the operation (ModelArts: the project). */
  admit(context: OperationContext): EmulatorResponse | undefined;
  /** The body a `status` fault sends when it names none. */
  faultBody(requestId: string, status: number): Record<string, unknown>;
  tooLarge(requestId: string): EmulatorResponse;
  unknownApi(requestId: string): EmulatorResponse;
  throttled(requestId: string, limitPerSecond: number): EmulatorResponse;
}
