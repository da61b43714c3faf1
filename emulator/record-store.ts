// Keyed record stores. Records are copied in and out, so callers never share objects with the
// emulator; list views (filtered and sorted once) are cached until the next change, so paging
// through thousands of records one by one does not sort them again for every page.

import type { BccImageRecord } from './types.js';

/** Views kept per store before the oldest are dropped (distinct filter/sort combinations). */
const MAX_VIEWS = 32;

export class RecordStore<R extends { id: string }> {
  readonly #records = new Map<string, R>();
  readonly #views = new Map<string, readonly R[]>();
  #version = 0;
  #viewsBuilt = 0;

  /** A copy of the record, or `undefined` when there is none. */
  get(id: string): R | undefined {
    const record = this.#records.get(id);
    return record === undefined ? undefined : structuredClone(record);
  }

  has(id: string): boolean {
    return this.#records.has(id);
  }

  /** Insert or replace a record (keyed by its `id`). */
  set(record: R): void {
    this.adopt(structuredClone(record));
  }

  /** Insert or replace a record the caller hands over and will not touch again (no copy). */
  adopt(record: R): void {
    this.#records.set(record.id, record);
    this.#changed();
  }

  /** Remove a record; true when it was there. */
  delete(id: string): boolean {
    const removed = this.#records.delete(id);
    if (removed) this.#changed();
    return removed;
  }

  /** Copies of every record, in insertion order. */
  list(): R[] {
    return [...this.#records.values()].map((record) => structuredClone(record));
  }

  get size(): number {
    return this.#records.size;
  }

  /** Increases on every change; views built at an older version are stale. */
  get version(): number {
    return this.#version;
  }

  /** How many views have been built (filtered and sorted) so far: what paging costs. */
  get viewsBuilt(): number {
    return this.#viewsBuilt;
  }

  clear(): void {
    this.#records.clear();
    this.#changed();
  }

  /**
   * The records `build` selects and orders, computed once per `key` until the store changes. The
   * returned records are the store's own: read them (serialise them), never modify them. `build`
   * gets a fresh array it may sort in place.
   */
  view(key: string, build: (records: R[]) => R[]): readonly Readonly<R>[] {
    const cached = this.#views.get(key);
    if (cached !== undefined) return cached;
    const built = build([...this.#records.values()]);
    this.#viewsBuilt += 1;
    if (this.#views.size >= MAX_VIEWS) this.#views.clear();
    this.#views.set(key, built);
    return built;
  }

  #changed(): void {
    this.#version += 1;
    this.#views.clear();
  }
}

/** Kept for callers that name the image store by its old name. */
export class ImageStore<R extends { id: string }> extends RecordStore<R> {}

export class BccImageStore extends RecordStore<BccImageRecord> {
  readonly #shares = new Map<string, string[]>();

  /** Mark an image as shared to these accounts (an empty list un-shares it). */
  share(id: string, accounts: readonly string[]): void {
    if (accounts.length === 0) this.#shares.delete(id);
    else this.#shares.set(id, [...accounts]);
  }

  /** Accounts the image is shared to ([] when none). */
  sharedWith(id: string): string[] {
    return [...(this.#shares.get(id) ?? [])];
  }

  override delete(id: string): boolean {
    this.#shares.delete(id);
    return super.delete(id);
  }

  override clear(): void {
    this.#shares.clear();
    super.clear();
  }
}
