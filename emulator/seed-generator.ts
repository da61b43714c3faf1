// Generated records of any size, for inventory, usage and retirement tests and benchmarks:
// images across families (ModelArts: one `name`, many `tag`s; BCC: `web-2024-03-01` style names),
// ages spread over about three years before the anchor (some sharing a create time), every kind and
// status (plus the odd unknown new status), names that typical globs match (`train-*`,
// `*-golden`), a few BCC images shared to other accounts, and notebooks / instances that use a
// share of the images.
//
// Deterministic: each part draws from its own stream derived from `random`, so the same spec and
// anchor give the same records, and asking for more images keeps the first ones unchanged.

import type { SeedSpec } from './options.js';
import { deriveSeed, Random } from './random.js';
import type {
  BccImageRecord,
  BccInstanceRecord,
  ModelArtsImageRecord,
  NotebookRecord,
} from './types.js';

export interface GeneratedRecords {
  modelartsImages: ModelArtsImageRecord[];
  notebooks: NotebookRecord[];
  bccImages: BccImageRecord[];
  bccShares: Array<[string, string[]]>;
  instances: BccInstanceRecord[];
}

/**
 * Images already there (the demo ones): generated ids avoid theirs. Generated notebooks and
 * instances use generated images only (so the demo images keep their documented behaviour), or,
 * when none are generated, the demo's built-in / system images (which cannot be deleted anyway).
 */
export interface ExistingImages {
  modelarts: readonly ModelArtsImageRecord[];
  bcc: readonly BccImageRecord[];
}

const DAY_MS = 24 * 60 * 60 * 1000;
/** Create times lie within this span before the anchor. */
const SPAN_MS = 3 * 365 * DAY_MS;
/** Share of images that take the previous image's create time (identical times happen). */
const SAME_TIME = 0.05;
const LOWER_ALNUM = 'abcdefghijklmnopqrstuvwxyz0123456789';

/** The anchor for a clock reading: the start of its UTC day (stable within a day). */
export const seedAnchor = (now: Date): Date =>
  new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));

const uniqueId = (taken: Set<string>, make: () => string): string => {
  for (;;) {
    const id = make();
    if (!taken.has(id)) {
      taken.add(id);
      return id;
    }
  }
};

const isoSeconds = (ms: number): string => `${new Date(ms).toISOString().slice(0, 19)}Z`;

/** Create times, newest last is not implied: each drawn uniformly, sometimes repeating the last. */
const createTimes = (random: Random, anchorMs: number) => {
  let last: number | undefined;
  return (): number => {
    const time =
      last !== undefined && random.chance(SAME_TIME)
        ? last
        : anchorMs - random.int(DAY_MS / 24, SPAN_MS);
    last = time;
    return time;
  };
};

// ---- ModelArts images ---------------------------------------------------------------------------

const MODELARTS_FAMILIES = [
  'train-resnet50',
  'train-bert-base',
  'train-yolov5',
  'infer-llama-7b',
  'infer-ocr',
  'dev-base',
  'notebook-snapshot',
  'pytorch-custom',
  'tf-serving',
  'base-golden',
  'train-resnet50-golden',
  'mindspore-dev',
  'data-prep',
] as const;
const TEAMS = ['alpha', 'beta', 'vision', 'nlp', 'speech', 'search', 'ads'] as const;
const BUILT_IN_NAMES = [
  'pytorch1.8-cuda10.2-cudnn7-ubuntu18.04',
  'tensorflow2.1-cuda10.1-cudnn7-ubuntu18.04',
  'mindspore1.7.0-cuda10.1-py3.7-ubuntu18.04',
  'notebook2.0-mul-kernel-cpu-cp36',
] as const;
const NAMESPACES = ['team-alpha', 'team-beta', 'mock-service1', 'ml-platform'] as const;
const MODELARTS_STATUS = {
  ACTIVE: 78,
  CREATING: 4,
  INIT: 2,
  CREATE_FAILED: 6,
  ERROR: 6,
  // Values the docs do not list yet: clients must keep (never delete) what they do not know.
  ARCHIVED: 2,
  FROZEN: 2,
} as const;

const serviceTypeOf = (family: string): string =>
  family.startsWith('train-')
    ? 'TRAIN'
    : family.startsWith('infer-') || family === 'tf-serving'
      ? 'INFERENCE'
      : family.includes('dev') || family.includes('notebook')
        ? 'DEV'
        : 'UNKNOWN';

/** Family names: the base list first, then team-prefixed variants, enough for ~20 images each. */
const modelArtsFamilies = (images: number): string[] => {
  const wanted = Math.max(MODELARTS_FAMILIES.length, Math.ceil(images / 20));
  const names: string[] = [...MODELARTS_FAMILIES];
  for (let i = 0; names.length < wanted; i++) {
    const base = MODELARTS_FAMILIES[i % MODELARTS_FAMILIES.length] as string;
    const team = TEAMS[Math.floor(i / MODELARTS_FAMILIES.length) % TEAMS.length] as string;
    const round = Math.floor(i / (MODELARTS_FAMILIES.length * TEAMS.length));
    names.push(round === 0 ? `${team}-${base}` : `${team}${round}-${base}`);
  }
  return names;
};

const generateModelArtsImages = (
  count: number,
  random: Random,
  anchorMs: number,
  taken: Set<string>,
): ModelArtsImageRecord[] => {
  const families = modelArtsFamilies(count);
  const versions = new Map<string, number>();
  const nextTime = createTimes(random, anchorMs);
  const records: ModelArtsImageRecord[] = [];
  for (let i = 0; i < count; i++) {
    const builtIn = random.chance(0.1);
    const name = builtIn ? random.pick(BUILT_IN_NAMES) : random.pick(families);
    const version = (versions.get(name) ?? 0) + 1;
    versions.set(name, version);
    const tag = builtIn
      ? `${version}.0.0-20220926104358-041ba2e`
      : `${Math.floor(version / 100)}.${Math.floor(version / 10) % 10}.${version % 10}`;
    const namespace = builtIn ? 'atelier' : random.pick(NAMESPACES);
    const createAt = nextTime();
    const status = random.weighted(MODELARTS_STATUS);
    const record: ModelArtsImageRecord = {
      arch: random.chance(0.9) ? 'x86_64' : 'aarch64',
      create_at: createAt,
      description: builtIn ? 'Built-in image' : `${name} build ${version}`,
      dev_services: ['NOTEBOOK', 'SSH'],
      id: uniqueId(taken, () => random.uuid()),
      name,
      namespace,
      resource_categories: random.chance(0.4) ? ['GPU', 'CPU'] : ['CPU'],
      service_type: builtIn ? 'COMMON' : serviceTypeOf(name),
      size: random.int(200, 20_000) * 1024 * 1024,
      status,
      swr_path: `swr.cn-north-4.myhuaweicloud.com/${namespace}/${name}:${tag}`,
      tag,
      type: builtIn ? 'BUILD_IN' : 'DEDICATED',
      update_at: Math.min(anchorMs, createAt + random.int(0, 30) * DAY_MS),
      visibility: builtIn ? 'PUBLIC' : random.chance(0.85) ? 'PRIVATE' : 'PUBLIC',
      workspace_id: random.chance(0.9) ? '0' : 'a1b2c3d4e5f60718',
    };
    if (!builtIn) record.origin = random.chance(0.7) ? 'CUSTOMIZE' : 'IMAGE_SAVE';
    if (status === 'CREATING' || status === 'INIT') {
      record.status_message = 'Image saving in progress.';
    }
    records.push(record);
  }
  return records;
};

const NOTEBOOK_STATUS = {
  RUNNING: 40,
  STOPPED: 35,
  CREATING: 5,
  STARTING: 5,
  STOPPING: 3,
  SNAPSHOTTING: 4,
  CREATE_FAILED: 4,
  ERROR: 4,
} as const;
const FLAVORS = ['modelarts.vm.cpu.2u', 'modelarts.vm.cpu.8u', 'modelarts.vm.gpu.t4'] as const;

const generateNotebooks = (
  count: number,
  random: Random,
  anchorMs: number,
  images: readonly ModelArtsImageRecord[],
  taken: Set<string>,
): NotebookRecord[] => {
  if (images.length === 0) return [];
  // A pool of about half as many images as notebooks: some images carry several notebooks, and
  // most images none.
  const pool = Array.from({ length: Math.max(1, Math.ceil(count / 2)) }, () => random.pick(images));
  const records: NotebookRecord[] = [];
  for (let i = 0; i < count; i++) {
    const image = random.pick(pool);
    const imageCreated = typeof image.create_at === 'number' ? image.create_at : anchorMs - SPAN_MS;
    const createAt = Math.min(anchorMs, imageCreated + random.int(1, 180) * DAY_MS);
    records.push({
      id: uniqueId(taken, () => random.uuid()),
      name: `notebook-${random.pick(TEAMS)}-${i + 1}`,
      status: random.weighted(NOTEBOOK_STATUS),
      description: '',
      feature: 'NOTEBOOK',
      flavor: random.pick(FLAVORS),
      image: {
        id: image.id,
        name: typeof image.name === 'string' ? image.name : '',
        swr_path: typeof image.swr_path === 'string' ? image.swr_path : '',
        type: typeof image.type === 'string' ? image.type : 'DEDICATED',
      },
      create_at: createAt,
      update_at: createAt,
      lease: { create_at: createAt, duration: 3_600_000, enable: true, update_at: createAt },
      workspace_id: '0',
    });
  }
  return records;
};

// ---- BCC images ---------------------------------------------------------------------------------

const BCC_FAMILIES = [
  'web',
  'api',
  'db',
  'cache',
  'worker',
  'train-gpu',
  'train-cpu',
  'build-agent',
  'bastion',
  'k8s-node',
  'etl',
] as const;
const GOLDEN = ['base-golden', 'web-golden', 'db-golden'] as const;
const BCC_TYPES = {
  Custom: 58,
  System: 12,
  GpuBccCustom: 8,
  GpuBccSystem: 4,
  Sharing: 6,
  Integration: 4,
  BbcCustom: 3,
  BbcSystem: 3,
  FpgaBccCustom: 2,
} as const;
const BCC_STATUS = {
  Available: 80,
  Creating: 4,
  CreateFailed: 5,
  Error: 4,
  NotAvailable: 4,
  // Not in the documented enum: clients must keep what they do not know.
  Deprecated: 3,
} as const;
const SYSTEM_OS = [
  {
    osName: 'Ubuntu',
    osVersion: '22.04 LTS',
    osType: 'linux',
    prefix: 'ubuntu-22.04-server-amd64',
  },
  { osName: 'CentOS', osVersion: '7.9', osType: 'linux', prefix: 'centos-7.9-x86_64' },
  { osName: 'Windows Server', osVersion: '2019', osType: 'windows', prefix: 'windows-2019-dc' },
] as const;

const generateBccImages = (
  count: number,
  random: Random,
  anchorMs: number,
  taken: Set<string>,
): { images: BccImageRecord[]; shares: Array<[string, string[]]> } => {
  const nextTime = createTimes(random, anchorMs);
  const images: BccImageRecord[] = [];
  const shares: Array<[string, string[]]> = [];
  for (let i = 0; i < count; i++) {
    const type = random.weighted(BCC_TYPES);
    const system = type.endsWith('System');
    const created = nextTime();
    const date = new Date(created).toISOString().slice(0, 10);
    const os = random.pick(SYSTEM_OS);
    const name = system
      ? `${os.prefix}-${date.replaceAll('-', '')}`
      : type === 'Integration'
        ? `${random.pick(['wordpress', 'lamp', 'docker'])}-${date}`
        : random.chance(0.04)
          ? random.pick(GOLDEN)
          : `${random.pick(BCC_FAMILIES)}-${date}`;
    const status = random.weighted(BCC_STATUS);
    const id = uniqueId(taken, () => `m-${random.text(LOWER_ALNUM, 8)}`);
    images.push({
      id,
      name,
      type,
      osType: os.osType,
      osVersion: os.osVersion,
      osArch: 'x86_64 (64bit)',
      osName: os.osName,
      osBuild: date.replaceAll('-', ''),
      osLang: 'ENG',
      diskSize: system ? 0 : random.pick([20, 40, 80, 100]),
      createTime: isoSeconds(created),
      minDiskGb: random.pick([20, 40]),
      status,
      specialVersion: '',
      ephemeralSize: 0,
      encrypted: false,
      package: false,
      desc: '',
    });
    if (type.endsWith('Custom') && status === 'Available' && random.chance(0.05)) {
      shares.push([id, [`account-${random.text(LOWER_ALNUM, 6)}`]]);
    }
  }
  return { images, shares };
};

const INSTANCE_STATUS = { Running: 60, Stopped: 25, Starting: 5, Stopping: 5, Expired: 5 } as const;
const ZONES = ['cn-bj-a', 'cn-bj-b', 'cn-bj-c', 'cn-bj-d'] as const;

const generateInstances = (
  count: number,
  random: Random,
  anchorMs: number,
  images: readonly BccImageRecord[],
  taken: Set<string>,
): BccInstanceRecord[] => {
  if (images.length === 0) return [];
  const pool = Array.from({ length: Math.max(1, Math.ceil(count / 2)) }, () => random.pick(images));
  const records: BccInstanceRecord[] = [];
  for (let i = 0; i < count; i++) {
    const image = random.pick(pool);
    const imageCreated =
      typeof image.createTime === 'string' ? Date.parse(image.createTime) : anchorMs - SPAN_MS;
    const created = Math.min(anchorMs, imageCreated + random.int(1, 180) * DAY_MS);
    const cpuCount = random.pick([1, 2, 4, 8]);
    records.push({
      id: uniqueId(taken, () => `i-${random.text(LOWER_ALNUM, 8)}`),
      name: `instance-${random.pick(BCC_FAMILIES)}-${i + 1}`,
      status: random.weighted(INSTANCE_STATUS),
      imageId: image.id,
      imageName: typeof image.name === 'string' ? image.name : '',
      imageType: typeof image.type === 'string' ? image.type : 'Custom',
      createTime: isoSeconds(created),
      zoneName: random.pick(ZONES),
      instanceType: 'N3',
      cpuCount,
      memoryCapacityInGB: cpuCount * 4,
      internalIp: `192.168.${random.int(0, 255)}.${random.int(2, 254)}`,
      paymentTiming: 'Postpaid',
    });
  }
  return records;
};

/** The records `spec` asks for, generated against `existing` and anchored at `anchor`. */
export const generateRecords = (
  spec: SeedSpec,
  anchor: Date,
  existing: ExistingImages,
): GeneratedRecords => {
  const seed = spec.random ?? 1;
  const stream = (label: string): Random => new Random(deriveSeed(seed, label));
  const anchorMs = anchor.getTime();
  const taken = new Set<string>([
    ...existing.modelarts.map((image) => image.id),
    ...existing.bcc.map((image) => image.id),
  ]);

  const modelartsImages = generateModelArtsImages(
    spec.modelarts?.images ?? 0,
    stream('modelarts-images'),
    anchorMs,
    taken,
  );
  const notebooks = generateNotebooks(
    spec.modelarts?.notebooks ?? 0,
    stream('modelarts-notebooks'),
    anchorMs,
    modelartsImages.length > 0
      ? modelartsImages
      : existing.modelarts.filter((image) => image.type === 'BUILD_IN'),
    taken,
  );
  const bcc = generateBccImages(spec.bcc?.images ?? 0, stream('bcc-images'), anchorMs, taken);
  const instances = generateInstances(
    spec.bcc?.instances ?? 0,
    stream('bcc-instances'),
    anchorMs,
    bcc.images.length > 0 ? bcc.images : existing.bcc.filter((image) => image.type === 'System'),
    taken,
  );
  return { modelartsImages, notebooks, bccImages: bcc.images, bccShares: bcc.shares, instances };
};
