// Builders for the retirement tests: images as the adapters normalise them, and policies.

import type { Image } from '../../lib/images/image.js';
import type { UsageReference } from '../../lib/images/usage.js';
import type { PlanInput } from '../../lib/retirement/planner.js';
import { type Policy, type PolicyInput, parsePolicy } from '../../lib/retirement/policy.js';

/** The policy example of the product spec, as a document (before parsing). */
export const SPEC_POLICY = {
  name: 'stale-training-images',
  provider: 'modelarts',
  regions: ['cn-north-4'],
  select: {
    kind: 'custom',
    name: 'train-*',
    status: ['available', 'failed', 'error'],
    olderThanDays: 90,
  },
  keep: { newestPerFamily: 3 },
  exclude: { ids: [], names: ['*-golden'] },
  limits: { maxDeletions: 50, maxPercent: 20 },
  force: false,
};

export const NOW = new Date('2025-06-01T00:00:00.000Z');
const DAY_MS = 86_400_000;

/** An ISO time `days` before NOW. */
export const daysAgo = (days: number): string =>
  new Date(NOW.getTime() - days * DAY_MS).toISOString();

let counter = 0;
const nextUuid = (): string => {
  counter += 1;
  return `00000000-0000-4000-8000-${counter.toString(16).padStart(12, '0')}`;
};

export const modelartsImage = (overrides: Partial<Image> = {}): Image => ({
  provider: 'modelarts',
  region: 'cn-north-4',
  id: nextUuid(),
  name: 'train-resnet',
  status: 'available',
  providerStatus: 'ACTIVE',
  kind: 'custom',
  createdAt: daysAgo(200),
  updatedAt: daysAgo(200),
  details: { size: 1000 },
  ...overrides,
});

export const bccImage = (overrides: Partial<Image> = {}): Image => {
  counter += 1;
  return {
    provider: 'bcc',
    region: 'bj',
    id: `m-${counter.toString(36)}`,
    name: 'web-2024-01-01',
    status: 'available',
    providerStatus: 'Available',
    kind: 'custom',
    createdAt: daysAgo(200),
    updatedAt: daysAgo(200),
    details: {},
    ...overrides,
  };
};

/** A ModelArts policy that retires every custom image in cn-north-4, with no limit that binds. */
export const policyOf = (overrides: Partial<PolicyInput> = {}): Policy =>
  parsePolicy({
    name: 'test-policy',
    provider: 'modelarts',
    regions: ['cn-north-4'],
    select: { kind: 'custom' },
    limits: { maxDeletions: 10_000, maxPercent: 100 },
    ...overrides,
  });

export const notebook = (id: string): UsageReference => ({
  type: 'notebook',
  id,
  name: `notebook-${id}`,
  status: 'RUNNING',
});

export const planInput = (
  policy: Policy,
  inventory: readonly Image[],
  extra: Partial<Omit<PlanInput, 'policy' | 'inventory'>> = {},
): PlanInput => ({
  policy,
  inventory,
  usage: new Map(),
  protection: () => undefined,
  now: NOW,
  ...extra,
});

/** A small deterministic pseudo-random source (mulberry32), so that fixtures vary but repeat. */
const randomSource = (seed: number): (() => number) => {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let mixed = Math.imul(state ^ (state >>> 15), 1 | state);
    mixed = (mixed + Math.imul(mixed ^ (mixed >>> 7), 61 | mixed)) ^ mixed;
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4_294_967_296;
  };
};

/**
 * A varied plan input of `count` images: several families and regions, every kind, unknown ages,
 * usage, protections, sizes and names written to break out of HTML. Deterministic for a given count.
 */
export const variedPlanInput = (count: number): PlanInput => {
  const random = randomSource(count);
  const pick = <T>(values: readonly T[]): T => values[Math.floor(random() * values.length)] as T;
  const families = ['train-resnet', 'train-bert', 'serve-api', 'base', '<b>"bold"</b>', 'eval'];
  const kinds: Image['kind'][] = [
    'custom',
    'custom',
    'custom',
    'custom',
    'custom',
    'system',
    'shared',
    'other',
  ];
  const statuses: Image['status'][] = [
    'available',
    'available',
    'available',
    'failed',
    'creating',
    'unknown',
  ];
  const regions = ['cn-north-4', 'cn-south-1'];
  const inventory: Image[] = [];
  const usage = new Map<string, UsageReference[]>();
  const pinned = new Set<string>();
  for (let index = 0; index < count; index += 1) {
    const image = modelartsImage({
      id: `00000000-0000-4000-8000-${index.toString(16).padStart(12, '0')}`,
      region: pick(regions),
      name:
        index === 7
          ? '<script>alert("name")</script>'
          : index === 11
            ? '"><img src=x onerror=alert(1)>'
            : pick(families),
      kind: pick(kinds),
      status: pick(statuses),
      createdAt: random() < 0.05 ? undefined : daysAgo(Math.floor(random() * 900)),
      details: random() < 0.2 ? {} : { size: Math.floor(random() * 12) * 750_000_000 },
    });
    if (random() < 0.06) usage.set(`${image.region}/${image.id}`, [notebook(`nb-${index}`)]);
    if (random() < 0.05) pinned.add(image.id);
    inventory.push(image);
  }
  const policy = policyOf({
    regions,
    select: { status: ['available', 'failed', 'creating'], olderThanDays: 60 },
    keep: { newestPerFamily: 2 },
    exclude: { names: ['base'] },
    // Fewer deletions than candidates, so that every kind of decision is in the plan (over-limit too).
    limits: { maxDeletions: Math.max(1, Math.floor(count / 8)), maxPercent: 20 },
  });
  return planInput(policy, inventory, {
    usage,
    protection: (image) => (pinned.has(image.id) ? 'operator pin <prod>' : undefined),
    createdBy: 'arn:aws:iam::123456789012:user/alice',
  });
};

/** What a policy over the emulator's BCC images needs to know of them. */
interface BccImages {
  list(): readonly { id: string }[];
  sharedWith(id: string): readonly unknown[];
}

/**
 * A policy retiring `count` old custom BCC images in `bj`, leaving out those shared to other
 * accounts (the cloud refuses to delete them, so a run would skip them).
 */
export const retiringUnsharedBcc = (name: string, count: number, bcc: BccImages) => ({
  name,
  provider: 'bcc',
  regions: ['bj'],
  select: { kind: 'custom', status: ['available'], olderThanDays: 30 },
  exclude: {
    ids: bcc
      .list()
      .map((record) => record.id)
      .filter((id) => bcc.sharedWith(id).length > 0),
  },
  limits: { maxDeletions: count, maxPercent: 50 },
});
