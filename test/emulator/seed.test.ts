// Generated seeds: deterministic for a given `random` and clock, varied the way retirement policies
// need (families, ages, kinds, statuses, glob-friendly names, images in use), added to the demo
// images, restored by reset(), and settable at start, through the control API and from the
// environment of `npm run emulator`.

import { afterAll, describe, expect, it } from 'vitest';
import { SEEDED } from '../../emulator/demo.js';
import { type RunningEmulator, type SeedSpec, startEmulator } from '../../emulator/server.js';
import type { Child } from '../support/child.js';
import { testClock } from '../support/clock.js';
import { control } from './client.js';
import { emulatorMainUrl, spawnEmulatorMain } from './main-process.js';

const clock = testClock('2026-03-01T12:00:00Z');
const CLOCK_MS = clock.now().getTime();
const YEAR_MS = 365 * 24 * 60 * 60 * 1000;

const everything = (emulator: RunningEmulator) => ({
  modelarts: emulator.state.modelarts.list(),
  notebooks: emulator.state.notebooks.list(),
  bcc: emulator.state.bcc.list(),
  shares: emulator.state.bcc.list().map((image) => emulator.state.bcc.sharedWith(image.id)),
  instances: emulator.state.instances.list(),
});

const withEmulator = async <T>(
  seed: SeedSpec,
  act: (emulator: RunningEmulator) => T | Promise<T>,
): Promise<T> => {
  const emulator = await startEmulator({ now: clock.now, seed });
  try {
    return await act(emulator);
  } finally {
    await emulator.close();
  }
};

const LARGE: SeedSpec = {
  modelarts: { images: 2000, notebooks: 300 },
  bcc: { images: 2000, instances: 300 },
  random: 42,
};

describe('generated seeds', () => {
  it('are the same for the same seed and clock, and differ for another seed', async () => {
    const first = await withEmulator(LARGE, everything);
    const second = await withEmulator(LARGE, everything);
    expect(second).toEqual(first);
    const other = await withEmulator({ ...LARGE, random: 43 }, everything);
    expect(other.modelarts.map((image) => image.id)).not.toEqual(
      first.modelarts.map((image) => image.id),
    );
  });

  it('keep the demo images as they are, and the first images when more are asked for', async () => {
    const demo = await withEmulator({}, everything);
    const small = await withEmulator(
      { modelarts: { images: 50 }, bcc: { images: 50 } },
      everything,
    );
    const large = await withEmulator(
      { modelarts: { images: 80 }, bcc: { images: 70 } },
      everything,
    );
    expect(small.modelarts.slice(0, 3)).toEqual(demo.modelarts);
    expect(small.bcc.slice(0, 4)).toEqual(demo.bcc);
    expect(small.modelarts.map((image) => image.id)).toContain(SEEDED.modelarts.custom);
    expect(large.modelarts.slice(0, 53)).toEqual(small.modelarts);
    expect(large.bcc.slice(0, 54)).toEqual(small.bcc);
  });

  it('spread ModelArts images over families, tags, ages, kinds and statuses', async () => {
    const { modelarts, notebooks } = await withEmulator(LARGE, everything);
    const generated = modelarts.slice(3);
    expect(new Set(modelarts.map((image) => image.id)).size).toBe(modelarts.length);

    // Families: one name, many tags, each tag once per name.
    const byName = new Map<string, typeof generated>();
    for (const image of generated) {
      byName.set(String(image.name), [...(byName.get(String(image.name)) ?? []), image]);
    }
    expect([...byName.values()].filter((family) => family.length >= 10).length).toBeGreaterThan(10);
    for (const family of byName.values()) {
      expect(new Set(family.map((image) => image.tag)).size).toBe(family.length);
    }

    // Ages: within about three years before the clock, some sharing a create time.
    const times = generated.map((image) => Number(image.create_at));
    expect(Math.max(...times)).toBeLessThanOrEqual(CLOCK_MS);
    expect(Math.min(...times)).toBeGreaterThanOrEqual(CLOCK_MS - 3 * YEAR_MS - 24 * 3600_000);
    expect(Math.min(...times)).toBeLessThan(CLOCK_MS - 2.5 * YEAR_MS);
    expect(new Set(times).size).toBeLessThan(times.length);
    expect(generated.every((image) => Number(image.update_at) >= Number(image.create_at))).toBe(
      true,
    );

    expect(new Set(generated.map((image) => image.type))).toEqual(
      new Set(['BUILD_IN', 'DEDICATED']),
    );
    const statuses = new Set(generated.map((image) => image.status));
    for (const documented of ['ACTIVE', 'CREATING', 'INIT', 'CREATE_FAILED', 'ERROR']) {
      expect(statuses).toContain(documented);
    }
    expect(
      [...statuses].some(
        (status) =>
          !['ACTIVE', 'CREATING', 'INIT', 'CREATE_FAILED', 'ERROR', 'DELETED'].includes(
            String(status),
          ),
      ),
    ).toBe(true);

    const names = generated.map((image) => String(image.name));
    expect(names.filter((name) => name.startsWith('train-')).length).toBeGreaterThan(50);
    expect(names.filter((name) => name.endsWith('-golden')).length).toBeGreaterThan(50);

    // A share of the images is in use, some by several notebooks; the demo images by none.
    const used = new Set(notebooks.map((notebook) => notebook.image.id));
    expect(used.size).toBeGreaterThan(50);
    expect(used.size).toBeLessThan(notebooks.length);
    expect([...used].every((id) => generated.some((image) => image.id === id))).toBe(true);
  });

  it('spread BCC images over dated names, kinds, statuses and shares; instances use some', async () => {
    const { bcc, shares, instances } = await withEmulator(LARGE, everything);
    const generated = bcc.slice(4);
    expect(new Set(bcc.map((image) => image.id)).size).toBe(bcc.length);
    expect(generated.every((image) => /^m-[a-z0-9]{8}$/.test(image.id))).toBe(true);

    const types = new Set(generated.map((image) => image.type));
    for (const type of [
      'System',
      'Custom',
      'Sharing',
      'Integration',
      'GpuBccCustom',
      'GpuBccSystem',
    ]) {
      expect(types).toContain(type);
    }
    const statuses = new Set(generated.map((image) => image.status));
    for (const documented of ['Available', 'Creating', 'CreateFailed', 'Error', 'NotAvailable']) {
      expect(statuses).toContain(documented);
    }
    expect(statuses.size).toBeGreaterThan(5);

    const custom = generated.filter((image) => image.type === 'Custom');
    const dated = custom.filter((image) => /^[a-z-]+-\d{4}-\d{2}-\d{2}$/.test(String(image.name)));
    expect(dated.length).toBeGreaterThan(custom.length / 2);
    for (const image of dated) {
      expect(String(image.name).slice(-10)).toBe(String(image.createTime).slice(0, 10));
    }
    expect(custom.some((image) => String(image.name).startsWith('train-'))).toBe(true);
    expect(custom.some((image) => String(image.name).endsWith('-golden'))).toBe(true);
    const times = generated.map((image) => Date.parse(String(image.createTime)));
    expect(Math.max(...times)).toBeLessThanOrEqual(CLOCK_MS);
    expect(Math.min(...times)).toBeLessThan(CLOCK_MS - 2.5 * YEAR_MS);

    expect(shares.filter((accounts) => accounts.length > 0).length).toBeGreaterThan(10);
    const used = new Set(instances.map((instance) => instance.imageId));
    expect(used.size).toBeGreaterThan(50);
    expect(used.size).toBeLessThan(instances.length);
    for (const instance of instances) {
      const image = bcc.find((candidate) => candidate.id === instance.imageId);
      expect(instance).toMatchObject({ imageName: image?.name, imageType: image?.type });
    }
  });

  it('reach 10,000+ images per cloud', async () => {
    const counts = await withEmulator(
      { modelarts: { images: 10_000 }, bcc: { images: 10_000 } },
      (emulator) => emulator.state.counts(),
    );
    expect(counts).toEqual({
      modelarts: { images: 10_003, notebooks: 0 },
      bcc: { images: 10_004, instances: 0 },
    });
  });
});

describe('seeding a running emulator', () => {
  it('reset() goes back to the configured seed; seed() replaces the records until then', async () => {
    await withEmulator({ modelarts: { images: 20, notebooks: 5 } }, async (emulator) => {
      const configured = everything(emulator);
      emulator.state.modelarts.delete(configured.modelarts[10]?.id ?? '');
      expect(emulator.seed({ bcc: { images: 30, instances: 4 }, random: 5 })).toEqual({
        modelarts: { images: 3, notebooks: 0 },
        bcc: { images: 34, instances: 4 },
      });
      emulator.reset();
      expect(everything(emulator)).toEqual(configured);
    });
  });

  it('POST /_emulator/seed does the same over HTTP, and refuses a bad spec', async () => {
    await withEmulator({}, async (emulator) => {
      const seeded = await control(emulator.url, 'POST', 'seed', {
        modelarts: { images: 12, notebooks: 3 },
        random: 9,
      });
      expect(seeded).toEqual({
        status: 200,
        body: { modelarts: { images: 15, notebooks: 3 }, bcc: { images: 4, instances: 0 } },
      });
      const viaHttp = everything(emulator);
      emulator.seed({ modelarts: { images: 12, notebooks: 3 }, random: 9 });
      expect(everything(emulator)).toEqual(viaHttp);
      for (const bad of [{ modelarts: { images: -1 } }, { bcc: { vms: 3 } }, '{nope']) {
        expect((await control(emulator.url, 'POST', 'seed', bad)).status).toBe(400);
      }
      expect((await control(emulator.url, 'GET', 'settings')).body).toMatchObject({ seed: {} });
    });
  });
});

describe('npm run emulator with a seed from the environment', () => {
  let child: Child | undefined;
  afterAll(async () => {
    await child?.stop();
  });

  it('seeds, sets the offset mode and rate limits from EMULATOR_* variables', async () => {
    child = spawnEmulatorMain({
      EMULATOR_SEED_MODELARTS_IMAGES: '40',
      EMULATOR_SEED_MODELARTS_NOTEBOOKS: '6',
      EMULATOR_SEED_BCC_IMAGES: '30',
      EMULATOR_SEED_BCC_INSTANCES: '5',
      EMULATOR_SEED_RANDOM: '3',
      EMULATOR_MODELARTS_OFFSET: 'pages',
      EMULATOR_RATE_LIMIT_BCC: '5/10',
    });
    const url = await emulatorMainUrl(child);
    expect(child.output()).toContain('43 images, 6 notebooks; offset counts pages');
    expect(child.output()).toContain('34 images, 5 instances');
    expect((await control(url, 'GET', 'settings')).body).toEqual({
      modelartsOffset: 'pages',
      rateLimit: { bcc: { perSecond: 5, burst: 10 } },
      seed: {
        modelarts: { images: 40, notebooks: 6 },
        bcc: { images: 30, instances: 5 },
        random: 3,
      },
    });
    const images = (await control(url, 'GET', 'images/modelarts')).body as Array<{ id: string }>;
    const local = await withEmulator(
      { modelarts: { images: 40, notebooks: 6 }, bcc: { images: 30, instances: 5 }, random: 3 },
      (emulator) => emulator.state.modelarts.list().map((image) => image.id),
    );
    expect(images.map((image) => image.id)).toEqual(local);
    expect(await child.stop()).toBe(0);
    child = undefined;
  });
});
