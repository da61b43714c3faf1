// Fault injection: a queue of faults, each with an optional match, a count or a probability, and one
// action. The server asks `take()` twice per provider request: before signature verification (only
// faults with `beforeAuth: true`) and after it and the rate limit (all others). A fault may let the
// first few matching requests pass (`skip`), so that it acts between two pages of a list.

import * as z from 'zod';
import { mulberry32 } from './random.js';
import { OPERATIONS, type Operation, type ProviderKey } from './types.js';

export { mulberry32 } from './random.js';

export interface FaultMatch {
  provider?: ProviderKey;
  /** HTTP method, e.g. `GET` or `DELETE` (case-insensitive). */
  method?: string;
  /** The (decoded) image ID named by the path. */
  imageId?: string;
  /** The operation: `show`, `delete`, `list-images`, `list-notebooks`,
   * `list-all-notebooks`, `list-instances`. */
  operation?: Operation;
}

export type FaultAction =
  /** Answer with this status instead of handling the request. `body` objects are sent as JSON;
   *  with no body a provider-shaped error body for that status is sent. */
  | {
      kind: 'status';
      status: number;
      body?: string | Record<string, unknown>;
      headers?: Record<string, string>;
    }
  /** Wait, then handle the request normally. */
  | { kind: 'latency'; ms: number }
  /** Destroy the socket without answering. With `afterHandling` the request is handled first (the
   *  image really is deleted) and only the reply is lost. */
  | { kind: 'reset'; afterHandling?: boolean }
  /** Never answer (until the emulator closes). `afterHandling` as for `reset`. */
  | { kind: 'stall'; afterHandling?: boolean }
  /** Handle the request, declare the full Content-Length, send half the body, destroy the socket. */
  | { kind: 'truncated' }
  /** Answer 200 with this raw body (Content-Type: application/json). */
  | { kind: 'malformed'; body: string }
  /**
   * Change the records the request reads (notebooks for a notebook list, instances for the
   * instance list, the provider's images otherwise), then handle it normally: `delete` removes
   * records by id, `update` merges fields into existing ones (a notebook moved to the head of the
   * list by a newer `create_at`), `create` adds records whose id is not there yet (an image made
   * meanwhile: newest first, it comes at the head of the list). What another client does between
   * two pages of a list.
   */
  | {
      kind: 'change';
      delete?: string[];
      update?: Array<{ id: string } & Record<string, unknown>>;
      create?: Array<{ id: string } & Record<string, unknown>>;
    };

export type FaultKind = FaultAction['kind'];

export interface Fault {
  match?: FaultMatch;
  /** How many matching requests it applies to; default 1, or unlimited when `probability` is set. */
  times?: number;
  /**
   * How many matching requests it lets pass before it applies (default 0); it counts them whether
   * or not another fault applies to them.
   */
  skip?: number;
  /** Chance (0..1) that it applies to each matching request. */
  probability?: number;
  /** Seed for the probability draws (reproducible); Math.random when absent. */
  seed?: number;
  /** Apply before signature verification (default: after it, i.e. only to well-signed requests). */
  beforeAuth?: boolean;
  action: FaultAction;
}

export const faultSchema = z
  .object({
    match: z
      .object({
        provider: z.enum(['modelarts', 'bcc']).optional(),
        method: z.string().min(1).optional(),
        imageId: z.string().min(1).optional(),
        operation: z.enum(OPERATIONS as [Operation, ...Operation[]]).optional(),
      })
      .strict()
      .optional(),
    times: z.number().int().positive().optional(),
    skip: z.number().int().min(0).optional(),
    probability: z.number().min(0).max(1).optional(),
    seed: z.number().int().optional(),
    beforeAuth: z.boolean().optional(),
    action: z.discriminatedUnion('kind', [
      z
        .object({
          kind: z.literal('status'),
          status: z.number().int().min(200).max(599),
          body: z.union([z.string(), z.record(z.string(), z.unknown())]).optional(),
          headers: z.record(z.string(), z.string()).optional(),
        })
        .strict(),
      z.object({ kind: z.literal('latency'), ms: z.number().int().min(0).max(600_000) }).strict(),
      z.object({ kind: z.literal('reset'), afterHandling: z.boolean().optional() }).strict(),
      z.object({ kind: z.literal('stall'), afterHandling: z.boolean().optional() }).strict(),
      z.object({ kind: z.literal('truncated') }).strict(),
      z.object({ kind: z.literal('malformed'), body: z.string() }).strict(),
      z
        .object({
          kind: z.literal('change'),
          delete: z.array(z.string().min(1)).optional(),
          update: z.array(z.looseObject({ id: z.string().min(1) })).optional(),
          create: z.array(z.looseObject({ id: z.string().min(1) })).optional(),
        })
        .strict(),
    ]),
  })
  .strict();

/** Parse and validate a fault (throws a ZodError when it is not one). */
export const parseFault = (input: unknown): Fault => faultSchema.parse(input);

export interface InjectedFault {
  readonly id: number;
  readonly fault: Fault;
  /** Applications left (Infinity when unlimited). */
  readonly remaining: number;
  /** How many requests it has been applied to. */
  readonly hits: number;
}

export interface FaultContext {
  provider: ProviderKey;
  method: string;
  imageId: string | undefined;
  operation: Operation | undefined;
}

interface Entry {
  id: number;
  fault: Fault;
  /** Matching requests still to let pass. */
  skip: number;
  remaining: number;
  hits: number;
  random: () => number;
}

export class FaultController {
  #entries: Entry[] = [];
  #nextId = 1;

  /** Queue a fault; faults are tried in the order injected and at most one applies per phase. */
  inject(fault: Fault): InjectedFault {
    const parsed = parseFault(fault);
    const entry: Entry = {
      id: this.#nextId++,
      fault: parsed,
      skip: parsed.skip ?? 0,
      remaining: parsed.times ?? (parsed.probability === undefined ? 1 : Number.POSITIVE_INFINITY),
      hits: 0,
      random: parsed.seed === undefined ? Math.random : mulberry32(parsed.seed),
    };
    this.#entries.push(entry);
    return snapshot(entry);
  }

  /** Remove every queued fault. */
  clear(): void {
    this.#entries = [];
  }

  /** The faults still queued. */
  list(): InjectedFault[] {
    return this.#entries.map(snapshot);
  }

  /** The action to apply to this request in this phase, consuming one application; or undefined. */
  take(context: FaultContext, phase: 'beforeAuth' | 'afterAuth'): FaultAction | undefined {
    let chosen: Entry | undefined;
    for (const entry of this.#entries) {
      if ((entry.fault.beforeAuth === true) !== (phase === 'beforeAuth')) continue;
      if (!matches(entry.fault.match, context)) continue;
      // Every fault still letting requests pass counts this one, whichever fault applies to it.
      if (entry.skip > 0) {
        entry.skip -= 1;
        continue;
      }
      if (chosen !== undefined) continue;
      if (entry.fault.probability !== undefined && entry.random() >= entry.fault.probability) {
        continue;
      }
      chosen = entry;
    }
    if (chosen === undefined) return undefined;
    const entry = chosen;
    entry.hits += 1;
    entry.remaining -= 1;
    if (entry.remaining <= 0) this.#entries = this.#entries.filter((e) => e !== entry);
    return entry.fault.action;
  }
}

const matches = (match: FaultMatch | undefined, context: FaultContext): boolean =>
  match === undefined ||
  ((match.provider === undefined || match.provider === context.provider) &&
    (match.method === undefined || match.method.toUpperCase() === context.method.toUpperCase()) &&
    (match.imageId === undefined || match.imageId === context.imageId) &&
    (match.operation === undefined || match.operation === context.operation));

const snapshot = (entry: Entry): InjectedFault => ({
  id: entry.id,
  fault: entry.fault,
  remaining: entry.remaining,
  hits: entry.hits,
});
