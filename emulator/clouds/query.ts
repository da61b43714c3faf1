// Reading list-API query parameters: first value of each name, strict integers and enums.

import type { ReceivedRequest } from '../incoming.js';

export type Parsed<T> = { ok: true; value: T } | { ok: false; name: string };

export class QueryReader {
  readonly #values = new Map<string, string>();

  constructor(request: ReceivedRequest) {
    for (const [name, value] of request.query ?? []) {
      if (!this.#values.has(name)) this.#values.set(name, value);
    }
  }

  /** The value; undefined when absent or empty. */
  text(name: string): string | undefined {
    const value = this.#values.get(name);
    return value === undefined || value === '' ? undefined : value;
  }

  /** A decimal integer within [min, max], or `fallback` when absent. */
  integer(name: string, fallback: number, min: number, max: number): Parsed<number> {
    const text = this.text(name);
    if (text === undefined) return { ok: true, value: fallback };
    if (!/^\d{1,15}$/.test(text)) return { ok: false, name };
    const value = Number(text);
    return value >= min && value <= max ? { ok: true, value } : { ok: false, name };
  }

  /** One of `allowed` (compared case-insensitively, returned as listed), or `fallback`. */
  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): Parsed<T> {
    const text = this.text(name);
    if (text === undefined) return { ok: true, value: fallback };
    const found = allowed.find((option) => option.toLowerCase() === text.toLowerCase());
    return found === undefined ? { ok: false, name } : { ok: true, value: found };
  }
}
