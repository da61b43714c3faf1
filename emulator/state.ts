// The emulator's image state: one store per provider, delete counts, and "becomes ready after N
// further GETs" countdowns. Records are copied in and out so callers never share objects with it.

import { seedBccImages, seedBccShares, seedModelArtsImages } from './seed.js';
import type { BccImageRecord, ModelArtsImageRecord, ProviderKey } from './types.js';

export class ImageStore<R extends { id: string }> {
  readonly #images = new Map<string, R>();

  /** A copy of the record, or `undefined` when the provider does not have it. */
  get(id: string): R | undefined {
    const record = this.#images.get(id);
    return record === undefined ? undefined : structuredClone(record);
  }

  has(id: string): boolean {
    return this.#images.has(id);
  }

  /** Insert or replace a record (keyed by its `id`). */
  set(record: R): void {
    this.#images.set(record.id, structuredClone(record));
  }

  /** Remove a record; true when it was there. */
  delete(id: string): boolean {
    return this.#images.delete(id);
  }

  /** Copies of every record, in insertion order. */
  list(): R[] {
    return [...this.#images.values()].map((record) => structuredClone(record));
  }

  clear(): void {
    this.#images.clear();
  }
}

export class BccImageStore extends ImageStore<BccImageRecord> {
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

const READY_STATUS: Record<ProviderKey, string> = { modelarts: 'ACTIVE', bcc: 'Available' };

export class EmulatorState {
  readonly modelarts = new ImageStore<ModelArtsImageRecord>();
  readonly bcc = new BccImageStore();
  readonly #deleteCounts = new Map<string, number>();
  readonly #readyCountdowns = new Map<string, number>();
  readonly #now: () => Date;

  constructor(now: () => Date = () => new Date()) {
    this.#now = now;
    this.reset();
  }

  /** Back to the seeded images; delete counts and countdowns forgotten. */
  reset(): void {
    this.modelarts.clear();
    this.bcc.clear();
    this.#deleteCounts.clear();
    this.#readyCountdowns.clear();
    for (const record of seedModelArtsImages()) this.modelarts.set(record);
    for (const record of seedBccImages()) this.bcc.set(record);
    for (const [id, accounts] of seedBccShares()) this.bcc.share(id, accounts);
  }

  /** How many times the provider API deleted this image successfully. */
  deleteCount(provider: ProviderKey, id: string): number {
    return this.#deleteCounts.get(key(provider, id)) ?? 0;
  }

  /**
   * The image becomes ready (`ACTIVE` / `Available`) once `gets` more GETs of it have been answered:
   * with `gets = 2` the next two GETs still show its current status and the third shows it ready.
   * `gets = 0` makes it ready now.
   */
  readyAfterGets(provider: ProviderKey, id: string, gets: number): void {
    if (!Number.isInteger(gets) || gets < 0) throw new RangeError('gets must be an integer >= 0');
    if (gets === 0) {
      this.#makeReady(provider, id);
      this.#readyCountdowns.delete(key(provider, id));
    } else {
      this.#readyCountdowns.set(key(provider, id), gets);
    }
  }

  /** GETs still to be answered before the image becomes ready; undefined when none is pending. */
  pendingReadyGets(provider: ProviderKey, id: string): number | undefined {
    return this.#readyCountdowns.get(key(provider, id));
  }

  /** Called by the provider handlers after answering a GET of an image. */
  noteGet(provider: ProviderKey, id: string): void {
    const k = key(provider, id);
    const remaining = this.#readyCountdowns.get(k);
    if (remaining === undefined) return;
    if (remaining <= 1) {
      this.#readyCountdowns.delete(k);
      this.#makeReady(provider, id);
    } else {
      this.#readyCountdowns.set(k, remaining - 1);
    }
  }

  /** Called by the provider handlers after a successful delete. */
  noteDelete(provider: ProviderKey, id: string): void {
    const k = key(provider, id);
    this.#deleteCounts.set(k, (this.#deleteCounts.get(k) ?? 0) + 1);
    this.#readyCountdowns.delete(k);
  }

  #makeReady(provider: ProviderKey, id: string): void {
    if (provider === 'modelarts') {
      const record = this.modelarts.get(id);
      if (record === undefined) return;
      record.status = READY_STATUS.modelarts;
      record.update_at = this.#now().getTime();
      delete record.status_message;
      this.modelarts.set(record);
    } else {
      const record = this.bcc.get(id);
      if (record === undefined) return;
      record.status = READY_STATUS.bcc;
      this.bcc.set(record);
    }
  }
}

const key = (provider: ProviderKey, id: string): string => `${provider}\u0000${id}`;
