// Properties of the planner over generated worlds: inventories of up to 300 images of both
// providers, several regions (some outside the policy), families, kinds, statuses, ages (with ties
// and unknown creation times, malformed IDs and fields longer than the delete queue takes), usage,
// operator protections, exclusions and limits. The checks are written from the spec, independently
// of the planner's code: what may never be retired (nor queued to be refused), what the limits
// allow, which images are a family's N newest.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { matchesGlob } from '../../lib/images/glob.js';
import type { Image, ImageStatus } from '../../lib/images/image.js';
import { IMAGE_STATUSES } from '../../lib/images/image-fields.js';
import type { UsageReference } from '../../lib/images/usage.js';
import { runMessageOf } from '../../lib/retirement/apply-plan.js';
import { familyOf } from '../../lib/retirement/family.js';
import { type Plan, planSchema } from '../../lib/retirement/plan.js';
import { alterationOf } from '../../lib/retirement/plan-integrity.js';
import { imageKey, type PlanInput, planRetirement } from '../../lib/retirement/planner.js';
import { type Policy, type PolicyInput, parsePolicy } from '../../lib/retirement/policy.js';
import { runMessageRefusal } from '../../lib/validation/inputs.js';
import { NOW } from './fixtures.js';

const DAY_MS = 86_400_000;
const REGIONS = ['r-a', 'r-b', 'r-c'] as const;
const FAMILIES = ['web', 'train', 'api', 'base', '2024'] as const;
type Provider = Image['provider'];

interface ImageSeed {
  region: (typeof REGIONS)[number];
  family: (typeof FAMILIES)[number];
  version: number;
  kind: Image['kind'];
  status: ImageStatus;
  /** Whole days before NOW (ties are common); undefined: no creation time. */
  ageDays: number | undefined;
  upperCaseId: boolean;
  /** Listed with an ID outside its cloud's format (MALFORMED_ID_PREFIX), which no delete takes. */
  malformedId: boolean;
  /** Listed with a field longer than the delete queue's run message takes (expected.name, ...). */
  overlong: 'name' | 'updatedAt' | undefined;
  otherProvider: boolean;
  inUse: boolean;
  protect: boolean;
  excludeById: boolean;
  size: number | undefined;
}

const imageSeed: fc.Arbitrary<ImageSeed> = fc.record({
  region: fc.constantFrom(...REGIONS),
  family: fc.constantFrom(...FAMILIES),
  version: fc.integer({ min: 0, max: 40 }),
  kind: fc.oneof(
    { weight: 6, arbitrary: fc.constant('custom' as const) },
    {
      weight: 1,
      arbitrary: fc.constantFrom('system' as const, 'shared' as const, 'other' as const),
    },
  ),
  status: fc.oneof(
    { weight: 5, arbitrary: fc.constant('available' as const) },
    { weight: 3, arbitrary: fc.constantFrom(...IMAGE_STATUSES) },
  ),
  ageDays: fc.option(fc.integer({ min: 0, max: 800 }), { freq: 12, nil: undefined }),
  upperCaseId: fc.boolean(),
  malformedId: fc.integer({ min: 0, max: 19 }).map((value) => value === 0),
  overlong: fc.oneof(
    { weight: 18, arbitrary: fc.constant(undefined) },
    { weight: 1, arbitrary: fc.constantFrom('name' as const, 'updatedAt' as const) },
  ),
  otherProvider: fc.integer({ min: 0, max: 9 }).map((value) => value === 0),
  inUse: fc.integer({ min: 0, max: 9 }).map((value) => value === 0),
  protect: fc.integer({ min: 0, max: 9 }).map((value) => value === 0),
  excludeById: fc.integer({ min: 0, max: 9 }).map((value) => value === 0),
  size: fc.option(fc.integer({ min: 0, max: 10_000 }), { freq: 8, nil: undefined }),
});

interface PolicySeed {
  provider: Provider;
  regions: string[];
  selectName: string | undefined;
  status: ImageStatus[] | undefined;
  olderThanDays: number | undefined;
  newestPerFamily: number | undefined;
  excludeNames: string[] | undefined;
  maxDeletions: number;
  maxPercent: number;
}

const policySeed: fc.Arbitrary<PolicySeed> = fc.record({
  provider: fc.constantFrom<Provider>('modelarts', 'bcc'),
  regions: fc.subarray([...REGIONS], { minLength: 1 }),
  selectName: fc.constantFrom(undefined, '*', 'web*', 't?ain*', '*a*', '*-1*'),
  status: fc.option(fc.subarray([...IMAGE_STATUSES], { minLength: 1 }), { nil: undefined }),
  olderThanDays: fc.option(fc.integer({ min: 0, max: 400 }), { nil: undefined }),
  newestPerFamily: fc.option(fc.integer({ min: 0, max: 4 }), { nil: undefined }),
  excludeNames: fc.option(fc.subarray(['api*', '*-1', 'base-2?', 'zz*']), { nil: undefined }),
  maxDeletions: fc.integer({ min: 0, max: 80 }),
  maxPercent: fc.oneof(
    fc.integer({ min: 0, max: 100 }),
    fc.double({ min: 0, max: 100, noNaN: true }),
  ),
});

/** A generated world: the planner's input plus what the checks need to know about it. */
interface World {
  input: PlanInput;
  policy: Policy;
  /** The policy as written, before parsing. */
  written: PolicyInput;
  protectedIds: ReadonlySet<string>;
  excludedIds: ReadonlySet<string>;
}

/** An overlong name keeps its family's start and its version's end, so globs still match it. */
const nameOf = (provider: Provider, seed: ImageSeed): string => {
  const padding = seed.overlong === 'name' ? `-${'x'.repeat(1_024)}` : '';
  return provider === 'bcc'
    ? `${seed.family}${padding}-${seed.version}`
    : `${seed.family}${padding}-v${seed.version % 3}`;
};

/** Neither a BCC ID (`m-...`) nor a UUID. */
const MALFORMED_ID_PREFIX = 'img-';

const idOf = (provider: Provider, index: number, upper: boolean, malformed: boolean): string => {
  if (malformed) return `${MALFORMED_ID_PREFIX}${index.toString(36)}`;
  if (provider === 'bcc') return `m-i${index.toString(36)}`;
  const uuid = `0000abcd-0000-4000-8000-${index.toString(16).padStart(12, '0')}`;
  return upper ? uuid.toUpperCase() : uuid;
};

const buildImage = (seed: ImageSeed, index: number, policyProvider: Provider): Image => {
  const provider: Provider = seed.otherProvider
    ? policyProvider === 'bcc'
      ? 'modelarts'
      : 'bcc'
    : policyProvider;
  const createdAt =
    seed.ageDays === undefined
      ? undefined
      : new Date(NOW.getTime() - seed.ageDays * DAY_MS).toISOString();
  return {
    provider,
    region: seed.region,
    id: idOf(provider, index, seed.upperCaseId, seed.malformedId),
    name: nameOf(provider, seed),
    status: seed.status,
    providerStatus: seed.status.toUpperCase(),
    kind: seed.kind,
    createdAt,
    // A cloud registered at run time may hand over any text as the update time.
    updatedAt:
      seed.overlong === 'updatedAt' ? `${createdAt ?? 'undated'} ${'x'.repeat(64)}` : createdAt,
    details: seed.size === undefined ? {} : { size: seed.size },
  };
};

const buildWorld = (policySeedValue: PolicySeed, seeds: readonly ImageSeed[]): World => {
  const provider = policySeedValue.provider;
  const inventory = seeds.map((seed, index) => buildImage(seed, index, provider));
  const usage = new Map<string, UsageReference[]>();
  const protectedIds = new Set<string>();
  const excludedIds = new Set<string>();
  seeds.forEach((seed, index) => {
    const image = inventory[index] as Image;
    if (seed.inUse) {
      usage.set(imageKey(image), [
        { type: 'instance', id: `i-${index}`, name: 'vm', status: 'Running' },
      ]);
    }
    if (seed.protect) protectedIds.add(image.id);
    // Excluded IDs written in the other case: ModelArts compares UUIDs case-insensitively.
    // (A policy's excluded ID must have the cloud's format.)
    if (seed.excludeById && !seed.malformedId && image.provider === provider) {
      excludedIds.add(provider === 'modelarts' ? image.id.toLowerCase() : image.id);
    }
  });
  const written: PolicyInput = {
    name: 'generated',
    provider,
    regions: policySeedValue.regions,
    select: {
      ...(policySeedValue.selectName === undefined ? {} : { name: policySeedValue.selectName }),
      ...(policySeedValue.status === undefined ? {} : { status: policySeedValue.status }),
      ...(policySeedValue.olderThanDays === undefined
        ? {}
        : { olderThanDays: policySeedValue.olderThanDays }),
    },
    keep:
      policySeedValue.newestPerFamily === undefined
        ? undefined
        : { newestPerFamily: policySeedValue.newestPerFamily },
    exclude: {
      ids: [...excludedIds],
      ...(policySeedValue.excludeNames === undefined
        ? {}
        : { names: policySeedValue.excludeNames }),
    },
    limits: { maxDeletions: policySeedValue.maxDeletions, maxPercent: policySeedValue.maxPercent },
  };
  const policy = parsePolicy(written);
  return {
    input: {
      policy,
      inventory,
      usage,
      protection: (image) => (protectedIds.has(image.id) ? 'operator pin' : undefined),
      now: NOW,
    },
    policy,
    written,
    protectedIds,
    excludedIds,
  };
};

const world = fc
  .tuple(policySeed, fc.array(imageSeed, { maxLength: 300, size: 'large' }))
  .map(([policyValue, seeds]) => buildWorld(policyValue, seeds));

// --- the spec's rules, written independently of the planner ---------------------------------------

const inScope = (world: World, image: Image): boolean =>
  image.provider === world.policy.provider && world.policy.regions.includes(image.region);

const createdMs = (image: Image): number =>
  image.createdAt === undefined ? Number.NaN : Date.parse(image.createdAt);

const APPLIER = 'arn:aws:iam::123456789012:user/applier';

/** Why the delete queue's schema would refuse the message apply queues to retire `image`. */
const queueRefusal = (
  policy: Policy,
  image: Omit<Image, 'details'>,
  planId = 'plan-000000000000000000000000',
): string | undefined =>
  runMessageRefusal(
    runMessageOf(image, {
      planId,
      runId: 'run-00000000000000000000',
      force: policy.force === true,
      identity: APPLIER,
    }),
  );

/**
 * What the selection matches: custom, an ID and fields the delete queue takes, a selected status
 * (never unknown), the name.
 */
const isSelected = (policy: Policy, image: Image): boolean =>
  image.kind === 'custom' &&
  !image.id.startsWith(MALFORMED_ID_PREFIX) &&
  queueRefusal(policy, image) === undefined &&
  image.status !== 'unknown' &&
  (policy.select.status === undefined || policy.select.status.includes(image.status)) &&
  (policy.select.name === undefined || matchesGlob(policy.select.name, image.name));

const isExcluded = (world: World, image: Image): boolean =>
  world.excludedIds.has(
    world.policy.provider === 'modelarts' ? image.id.toLowerCase() : image.id,
  ) || (world.policy.exclude?.names ?? []).some((glob) => matchesGlob(glob, image.name));

const isInUse = (world: World, image: Image): boolean =>
  (world.input.usage.get(imageKey(image)) ?? []).length > 0;

/** `left` ranks newer than `right` in its family: later creation (both dated here), then key. */
const ranksNewer = (left: Image, right: Image): boolean => {
  const leftTime = createdMs(left);
  const rightTime = createdMs(right);
  return leftTime !== rightTime ? leftTime > rightTime : imageKey(left) < imageKey(right);
};

const byKey = (plan: Plan) =>
  new Map(plan.decisions.map((decision) => [imageKey(decision.image), decision]));

const originalImage = (world: World) => {
  const images = new Map(world.input.inventory.map((image) => [imageKey(image), image]));
  return (key: string): Image => {
    const image = images.get(key);
    if (image === undefined) throw new Error(`decision for an image not in the inventory: ${key}`);
    return image;
  };
};

const shuffled = <T>(values: readonly T[], order: readonly number[]): T[] =>
  values
    .map((value, index) => ({ value, rank: order[index % Math.max(order.length, 1)] ?? 0, index }))
    .sort((left, right) => left.rank - right.rank || right.index - left.index)
    .map((entry) => entry.value);

const unlimited = (policy: Policy): Policy => ({
  ...policy,
  limits: { maxDeletions: 100_000, maxPercent: 100 },
});

describe('planRetirement, for any generated world', () => {
  it('gives every in-scope image exactly one decision, and no other image any; totals agree', () => {
    fc.assert(
      fc.property(world, (generated) => {
        const plan = planRetirement(generated.input);

        const expected = generated.input.inventory
          .filter((image) => inScope(generated, image))
          .map(imageKey)
          .sort();
        const decided = plan.decisions.map((decision) => imageKey(decision.image)).sort();
        expect(decided).toEqual(expected);
        expect(planSchema.safeParse(plan).success).toBe(true);
        const count = (kind: string) => plan.decisions.filter((d) => d.decision === kind).length;
        expect(plan.totals).toMatchObject({
          images: expected.length,
          retire: count('retire'),
          keep: count('keep'),
          deferred: count('deferred'),
        });
      }),
      { numRuns: 500 },
    );
  });

  it('never retires a system, shared, protected, excluded, unselected, busy, in-use, too new or undated image', () => {
    fc.assert(
      fc.property(world, (generated) => {
        const plan = planRetirement(generated.input);
        const image = originalImage(generated);
        const olderThanMs = (generated.policy.select.olderThanDays ?? 0) * DAY_MS;

        for (const decision of plan.decisions) {
          const original = image(imageKey(decision.image));
          if (original.kind === 'system' || original.kind === 'shared') {
            expect(decision).toMatchObject({ decision: 'keep', reason: original.kind });
          }
          if (decision.decision !== 'retire') continue;
          expect(decision.reason).toBe('retire');
          expect(original.kind).toBe('custom');
          expect(generated.protectedIds.has(original.id)).toBe(false);
          expect(isExcluded(generated, original)).toBe(false);
          expect(isSelected(generated.policy, original)).toBe(true);
          expect(original.status).not.toBe('creating');
          expect(isInUse(generated, original)).toBe(false);
          expect(Number.isNaN(createdMs(original))).toBe(false);
          expect(NOW.getTime() - createdMs(original)).toBeGreaterThanOrEqual(olderThanMs);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('retires at most the limits allow, oldest first; the limits only turn retire into deferred', () => {
    fc.assert(
      fc.property(world, (generated) => {
        const plan = planRetirement(generated.input);
        const free = planRetirement({ ...generated.input, policy: unlimited(generated.policy) });
        const { maxDeletions, maxPercent } = generated.policy.limits;

        expect(plan.totals.retire).toBeLessThanOrEqual(maxDeletions);
        expect(plan.totals.retire * 100).toBeLessThanOrEqual(
          maxPercent * plan.totals.images + 1e-6,
        );
        // Without limits, exactly the retired and deferred images would be retired.
        const limited = byKey(plan);
        for (const decision of free.decisions) {
          const withLimits = limited.get(imageKey(decision.image));
          if (decision.decision === 'retire') {
            expect(['retire', 'deferred']).toContain(withLimits?.decision);
          } else {
            expect(withLimits?.reason).toBe(decision.reason);
          }
        }
        // No deferred image is older than a retired one.
        const retired = plan.decisions.filter((d) => d.decision === 'retire');
        const deferred = plan.decisions.filter((d) => d.decision === 'deferred');
        const newestRetired = Math.max(...retired.map((d) => Date.parse(d.image.createdAt ?? '')));
        for (const decision of deferred) {
          expect(Date.parse(decision.image.createdAt ?? '')).toBeGreaterThanOrEqual(newestRetired);
        }
        // Deferring happens only when the limits bind, and then they are used up.
        if (deferred.length > 0) {
          expect(plan.limits.bound).toBe(true);
          expect(plan.totals.retire).toBe(plan.limits.allowed);
        }
      }),
      { numRuns: 400 },
    );
  });

  it('never retires one of the N newest selected available images of a family (per region)', () => {
    fc.assert(
      fc.property(world, (generated) => {
        const newest = generated.policy.keep?.newestPerFamily ?? 0;
        const plan = planRetirement(generated.input);
        const image = originalImage(generated);
        // Only usable images take the N places: a newer failed build must not push out the
        // last working one.
        const rankable = generated.input.inventory.filter(
          (candidate) =>
            inScope(generated, candidate) &&
            isSelected(generated.policy, candidate) &&
            candidate.status === 'available' &&
            !Number.isNaN(createdMs(candidate)),
        );

        for (const decision of plan.decisions) {
          if (decision.decision !== 'retire') continue;
          const retired = image(imageKey(decision.image));
          if (retired.status !== 'available') continue;
          const newerInFamily = rankable.filter(
            (other) =>
              other.region === retired.region &&
              familyOf(other) === familyOf(retired) &&
              ranksNewer(other, retired),
          );
          expect(newerInFamily.length).toBeGreaterThanOrEqual(newest);
        }
      }),
      { numRuns: 400 },
    );
  });

  it('when the limits do not bind, an image of another family changes no other decision', () => {
    fc.assert(
      fc.property(world, imageSeed, fc.boolean(), (generated, seed, keepLimits) => {
        const policy = keepLimits ? generated.policy : unlimited(generated.policy);
        const before = planRetirement({ ...generated.input, policy });
        const newcomer = {
          ...buildImage({ ...seed, otherProvider: false }, 100_000, policy.provider),
          name: policy.provider === 'bcc' ? `zz-new-${seed.version}` : 'zz-new',
        };
        const after = planRetirement({
          ...generated.input,
          policy,
          inventory: [...generated.input.inventory, newcomer],
        });
        if (before.limits.bound || after.limits.bound) return;

        const afterByKey = byKey(after);
        for (const decision of before.decisions) {
          expect(afterByKey.get(imageKey(decision.image))).toEqual(decision);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('is deterministic: the same inputs in any order give the same plan, plan ID included', () => {
    fc.assert(
      fc.property(
        world,
        fc.array(fc.integer(), { minLength: 1, maxLength: 50 }),
        (generated, order) => {
          const first = planRetirement(generated.input);
          const again = planRetirement(generated.input);
          const reordered = planRetirement({
            ...generated.input,
            inventory: shuffled(generated.input.inventory, order),
            usage: new Map(shuffled([...generated.input.usage], order)),
          });

          expect(again).toEqual(first);
          expect(reordered).toEqual(first);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('retires nothing the delete queue would refuse: each retire decision’s run message passes its schema', () => {
    fc.assert(
      fc.property(world, (generated) => {
        const plan = planRetirement(generated.input);

        for (const decision of plan.decisions) {
          if (decision.decision !== 'retire') continue;
          expect(
            queueRefusal(plan.policy, decision.image, plan.planId),
            imageKey(decision.image),
          ).toBeUndefined();
        }
      }),
      { numRuns: 500 },
    );
  });

  it('gives the same plan, plan ID included, for the policy with its lists written in any order', () => {
    fc.assert(
      fc.property(
        world,
        fc.array(fc.integer(), { minLength: 1, maxLength: 50 }),
        (generated, order) => {
          const { written } = generated;
          const reordered = parsePolicy({
            ...written,
            regions: shuffled(written.regions, order),
            select: {
              ...written.select,
              ...(written.select.status === undefined
                ? {}
                : { status: shuffled(written.select.status, order) }),
            },
            exclude: {
              ids: shuffled(written.exclude?.ids ?? [], order),
              ...(written.exclude?.names === undefined
                ? {}
                : { names: shuffled(written.exclude.names, order) }),
            },
          });

          expect(planRetirement({ ...generated.input, policy: reordered })).toEqual(
            planRetirement(generated.input),
          );
        },
      ),
      { numRuns: 300 },
    );
  });

  it('makes plans apply takes as made: the decisions are those its policy gives its own images', () => {
    fc.assert(
      fc.property(world, (generated) => {
        expect(alterationOf(planRetirement(generated.input))).toBeUndefined();
      }),
      { numRuns: 500 },
    );
  });
});
