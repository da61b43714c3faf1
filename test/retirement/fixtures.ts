// Builders for the retirement tests: images as the adapters normalise them, and policies.

import type { Image } from '../../lib/images/image.js';
import type { UsageReference } from '../../lib/images/usage.js';
import type { PlanInput } from '../../lib/retirement/planner.js';
import { type Policy, type PolicyInput, parsePolicy } from '../../lib/retirement/policy.js';

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
