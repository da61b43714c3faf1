// The emulator's cloud state: images per provider (BCC shares too), ModelArts notebooks and BCC
// instances (what makes an image "in use"), delete counts, and "becomes ready after N further
// GETs" countdowns. reset() rebuilds it from the demo records plus the configured generated seed.

import type { SeedSpec } from './options.js';
import { BccImageStore, RecordStore } from './record-store.js';
import { seedBccImages, seedBccShares, seedModelArtsImages } from './seed.js';
import { generateRecords, seedAnchor } from './seed-generator.js';
import type {
  BccInstanceRecord,
  ModelArtsImageRecord,
  NotebookRecord,
  ProviderKey,
} from './types.js';

const READY_STATUS: Record<ProviderKey, string> = { modelarts: 'ACTIVE', bcc: 'Available' };

/** How many records of each kind the state holds. */
export interface StateCounts {
  modelarts: { images: number; notebooks: number };
  bcc: { images: number; instances: number };
}

/** What a new reference (notebook or instance) may set; everything else is derived. */
export interface ReferenceOptions {
  id?: string;
  name?: string;
  status?: string;
}

export class EmulatorState {
  readonly modelarts = new RecordStore<ModelArtsImageRecord>();
  readonly bcc = new BccImageStore();
  /** ModelArts notebook instances (`image.id` names the image each one uses). */
  readonly notebooks = new RecordStore<NotebookRecord>();
  /** BCC instances (`imageId` names the image each one was built from). */
  readonly instances = new RecordStore<BccInstanceRecord>();
  readonly #deleteCounts = new Map<string, number>();
  readonly #readyCountdowns = new Map<string, number>();
  readonly #now: () => Date;
  readonly #seed: SeedSpec;
  #nextReference = 1;

  /** `seed`: generated records reset() adds to the demo ones (none by default). */
  constructor(now: () => Date = () => new Date(), seed: SeedSpec = {}) {
    this.#now = now;
    this.#seed = seed;
    this.reset();
  }

  /** The generated seed reset() goes back to. */
  get configuredSeed(): SeedSpec {
    return structuredClone(this.#seed);
  }

  /** Back to the demo records plus the configured seed; delete counts and countdowns forgotten. */
  reset(): StateCounts {
    return this.seedWith(this.#seed);
  }

  /**
   * Replace every record with the demo ones plus those `spec` generates (anchored at the start of
   * the emulator clock's UTC day). Does not change what reset() goes back to.
   */
  seedWith(spec: SeedSpec): StateCounts {
    this.modelarts.clear();
    this.bcc.clear();
    this.notebooks.clear();
    this.instances.clear();
    this.#deleteCounts.clear();
    this.#readyCountdowns.clear();
    this.#nextReference = 1;
    const modelartsDemo = seedModelArtsImages();
    const bccDemo = seedBccImages();
    const generated = generateRecords(spec, seedAnchor(this.#now()), {
      modelarts: modelartsDemo,
      bcc: bccDemo,
    });
    for (const record of [...modelartsDemo, ...generated.modelartsImages]) {
      this.modelarts.adopt(record);
    }
    for (const record of [...bccDemo, ...generated.bccImages]) this.bcc.adopt(record);
    for (const [id, accounts] of [...seedBccShares(), ...generated.bccShares]) {
      this.bcc.share(id, accounts);
    }
    for (const record of generated.notebooks) this.notebooks.adopt(record);
    for (const record of generated.instances) this.instances.adopt(record);
    return this.counts();
  }

  counts(): StateCounts {
    return {
      modelarts: { images: this.modelarts.size, notebooks: this.notebooks.size },
      bcc: { images: this.bcc.size, instances: this.instances.size },
    };
  }

  /** Copies of the notebooks (ModelArts) or instances (BCC) that use the image. */
  referencesTo(provider: 'modelarts', imageId: string): NotebookRecord[];
  referencesTo(provider: 'bcc', imageId: string): BccInstanceRecord[];
  referencesTo(provider: ProviderKey, imageId: string): Array<NotebookRecord | BccInstanceRecord>;
  referencesTo(provider: ProviderKey, imageId: string): Array<NotebookRecord | BccInstanceRecord> {
    return provider === 'modelarts'
      ? this.notebooks.list().filter((notebook) => notebook.image.id === imageId)
      : this.instances.list().filter((instance) => instance.imageId === imageId);
  }

  /** True when a notebook (ModelArts) or instance (BCC) uses the image. */
  isReferenced(provider: ProviderKey, imageId: string): boolean {
    return provider === 'modelarts'
      ? this.notebooks.view('all', (all) => all).some((notebook) => notebook.image.id === imageId)
      : this.instances.view('all', (all) => all).some((instance) => instance.imageId === imageId);
  }

  /**
   * Make the image used: a new notebook (ModelArts, `RUNNING`) or instance (BCC, `Running`) that
   * names it, with the image's name, type and (ModelArts) SWR path. Undefined when there is no
   * such image.
   */
  referenceImage(
    provider: ProviderKey,
    imageId: string,
    options: ReferenceOptions = {},
  ): NotebookRecord | BccInstanceRecord | undefined {
    const serial = this.#nextReference++;
    const now = this.#now();
    if (provider === 'modelarts') {
      const image = this.modelarts.get(imageId);
      if (image === undefined) return undefined;
      const notebook: NotebookRecord = {
        id: options.id ?? `00000000-0000-4000-8000-${String(serial).padStart(12, '0')}`,
        name: options.name ?? `notebook-using-${serial}`,
        status: options.status ?? 'RUNNING',
        feature: 'NOTEBOOK',
        flavor: 'modelarts.vm.cpu.2u',
        image: {
          id: imageId,
          name: typeof image.name === 'string' ? image.name : '',
          swr_path: typeof image.swr_path === 'string' ? image.swr_path : '',
          type: typeof image.type === 'string' ? image.type : 'DEDICATED',
        },
        create_at: now.getTime(),
        update_at: now.getTime(),
        workspace_id: '0',
      };
      this.notebooks.set(notebook);
      return notebook;
    }
    const image = this.bcc.get(imageId);
    if (image === undefined) return undefined;
    const instance: BccInstanceRecord = {
      id: options.id ?? `i-ref${String(serial).padStart(5, '0')}`,
      name: options.name ?? `instance-using-${serial}`,
      status: options.status ?? 'Running',
      imageId,
      imageName: typeof image.name === 'string' ? image.name : '',
      imageType: typeof image.type === 'string' ? image.type : 'Custom',
      createTime: `${now.toISOString().slice(0, 19)}Z`,
      zoneName: 'cn-bj-a',
    };
    this.instances.set(instance);
    return instance;
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

/** Kept for callers that import the stores from here. */
export { BccImageStore, ImageStore, RecordStore } from './record-store.js';

const key = (provider: ProviderKey, id: string): string => `${provider}\u0000${id}`;
