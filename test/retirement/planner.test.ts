// The planner, by example: each reason of the spec, the precedence between them, families, the
// limits and the plan's shape. Every example plans a real policy (parsed) over normalised images.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UpstreamBadResponse } from '../../lib/errors/errors.js';
import type { Image } from '../../lib/images/image.js';
import { IMAGE_STATUSES } from '../../lib/images/image-fields.js';
import { familyOf } from '../../lib/retirement/family.js';
import { type Plan, planSchema, REASON_PRECEDENCE } from '../../lib/retirement/plan.js';
import { planIdOf } from '../../lib/retirement/plan-id.js';
import { alterationOf } from '../../lib/retirement/plan-integrity.js';
import {
  allowedDeletions,
  countTotals,
  imageKey,
  planRetirement,
} from '../../lib/retirement/planner.js';
import type { Policy } from '../../lib/retirement/policy.js';
import { localPlanStore } from '../../lib/stores/plan-store.js';
import {
  bccImage,
  daysAgo,
  modelartsImage,
  NOW,
  notebook,
  planInput,
  policyOf,
} from './fixtures.js';

const plan = (
  policy: Policy,
  inventory: readonly Image[],
  extra: Parameters<typeof planInput>[2] = {},
): Plan => planRetirement(planInput(policy, inventory, extra));

/** The decision of one image, found by its ID. */
const decisionOf = (result: Plan, image: Image) => {
  const found = result.decisions.find((decision) => decision.image.id === image.id);
  if (found === undefined) throw new Error(`no decision for ${image.id}`);
  return found;
};

const reasonOf = (result: Plan, image: Image): string => decisionOf(result, image).reason;

/**
 * An image in a status this service does not recognise, older than a failed one, and a policy
 * that lists both statuses with room for one deletion.
 */
const unknownStatusListed = () => ({
  unknown: modelartsImage({ status: 'unknown', providerStatus: 'FROZEN', createdAt: daysAgo(300) }),
  stale: modelartsImage({ status: 'failed', createdAt: daysAgo(200) }),
  policy: policyOf({
    select: { status: ['unknown', 'failed'] },
    limits: { maxDeletions: 1, maxPercent: 100 },
  }),
});

describe('the reasons, in precedence order', () => {
  it('are exactly the spec list, system first and retire last', () => {
    expect(REASON_PRECEDENCE).toEqual([
      'system',
      'shared',
      'protected',
      'excluded',
      'not-selected',
      'busy',
      'in-use',
      'newest-in-family',
      'too-new',
      'over-limit',
      'retire',
    ]);
  });
});

describe('each reason', () => {
  it('retire: an old, selected, unused custom image', () => {
    const image = modelartsImage({ createdAt: daysAgo(120) });

    const result = plan(policyOf({ select: { olderThanDays: 90 } }), [image]);

    expect(decisionOf(result, image)).toMatchObject({
      decision: 'retire',
      reason: 'retire',
      detail: '120 days old',
    });
  });

  it('system: a built-in image is kept', () => {
    const image = modelartsImage({ kind: 'system' });

    expect(decisionOf(plan(policyOf(), [image]), image)).toMatchObject({
      decision: 'keep',
      reason: 'system',
    });
  });

  it('shared: an image shared with other accounts is kept', () => {
    const image = bccImage({ kind: 'shared' });

    const result = plan(policyOf({ provider: 'bcc', regions: ['bj'] }), [image]);

    expect(decisionOf(result, image)).toMatchObject({ decision: 'keep', reason: 'shared' });
  });

  it('protected: the operator protection is kept, with its reason as the detail', () => {
    const image = modelartsImage({ name: 'prod-base' });

    const result = plan(policyOf(), [image], {
      protection: (candidate) =>
        candidate.name.startsWith('prod-') ? 'matches operator pattern prod-*' : undefined,
    });

    expect(decisionOf(result, image)).toMatchObject({
      decision: 'keep',
      reason: 'protected',
      detail: 'matches operator pattern prod-*',
    });
  });

  it('excluded: by ID (ModelArts UUIDs in any case) and by name glob, naming the glob', () => {
    const byId = modelartsImage({ id: 'ABCDEF01-0000-4000-8000-000000000001' });
    const byName = modelartsImage({ name: 'train-golden' });
    const policy = policyOf({
      exclude: { ids: ['abcdef01-0000-4000-8000-000000000001'], names: ['*-golden'] },
    });

    const result = plan(policy, [byId, byName]);

    expect(decisionOf(result, byId)).toMatchObject({ reason: 'excluded', detail: 'exclude.ids' });
    expect(decisionOf(result, byName)).toMatchObject({
      reason: 'excluded',
      detail: 'exclude.names: *-golden',
    });
  });

  it('excluded: BCC IDs compare exactly (m-Abc is not m-abc)', () => {
    const image = bccImage({ id: 'm-Abc' });
    const policy = policyOf({ provider: 'bcc', regions: ['bj'], exclude: { ids: ['m-abc'] } });

    expect(reasonOf(plan(policy, [image]), image)).toBe('retire');
  });

  it('not-selected: another kind, another name, another status; an unknown kind is never retired', () => {
    const other = modelartsImage({ kind: 'other' });
    const otherName = modelartsImage({ name: 'serve-api', status: 'failed' });
    const otherStatus = modelartsImage({ name: 'train-bert', status: 'available' });
    const policy = policyOf({ select: { name: 'train-*', status: ['failed', 'error'] } });

    const result = plan(policy, [other, otherName, otherStatus]);

    expect(decisionOf(result, other)).toMatchObject({
      decision: 'keep',
      reason: 'not-selected',
      detail: 'kind other: only custom images are retired',
    });
    expect(decisionOf(result, otherName).detail).toBe('name does not match train-*');
    expect(decisionOf(result, otherStatus).detail).toBe('status available is not selected');
  });

  it('not-selected: status unknown, even when the policy lists it (a delete refuses that state)', () => {
    const { unknown, stale, policy } = unknownStatusListed();

    const listed = plan(policy, [unknown, stale]);

    expect(reasonOf(plan(policyOf(), [unknown]), unknown)).toBe('not-selected');
    expect(decisionOf(listed, unknown)).toMatchObject({
      decision: 'keep',
      reason: 'not-selected',
      detail: 'status unknown (FROZEN) is not one this service recognises: kept',
    });
    // The one deletion the limits allow goes to an image a run can delete.
    expect(reasonOf(listed, stale)).toBe('retire');
  });

  it.each([
    ['bcc', 'img-7f3a', 'bj', "'m-' followed by 1 to 32 letters and digits"],
    ['modelarts', 'train-resnet-v3', 'cn-north-4', 'a UUID'],
  ] as const)(
    'not-selected: a listed %s image whose ID %s no delete could take is kept, and takes none of the limits',
    (provider, id, region, format) => {
      // Prepare: an old image listed with an ID outside its cloud's format (the delete queue and
      // apply refuse such an ID), an older well-formed one, and room for one deletion.
      const build = provider === 'bcc' ? bccImage : modelartsImage;
      const malformed = build({ id, createdAt: daysAgo(300) });
      const stale = build({ createdAt: daysAgo(200) });
      const policy = policyOf({
        provider,
        regions: [region],
        limits: { maxDeletions: 1, maxPercent: 100 },
      });

      // Act
      const result = plan(policy, [malformed, stale]);

      // Assess
      expect(decisionOf(result, malformed)).toMatchObject({
        decision: 'keep',
        reason: 'not-selected',
        detail: `image ID is not ${format} (the ${provider} ID format): no delete could name it, so it is kept`,
      });
      expect(reasonOf(result, stale)).toBe('retire');
      expect(result.limits).toEqual({ allowed: 1, wouldRetire: 1, bound: false });
    },
  );

  it.each([
    ['name', 1_025, { name: `train-${'x'.repeat(1_019)}` }, 1_024],
    // A cloud registered at run time may hand over an update time that is no ISO 8601 time.
    ['updatedAt', 65, { updatedAt: `2025-01-01T00:00:00.000Z ${'x'.repeat(40)}` }, 64],
  ] as const)(
    'not-selected: an image whose %s is longer than the delete queue takes is kept, and takes none of the limits',
    (field, length, overrides, max) => {
      // Prepare: an old image whose run message (expected.name, expected.updatedAt) the delete
      // queue's schema would refuse, an older well-formed one, and room for one deletion.
      const overlong = modelartsImage({ ...overrides, createdAt: daysAgo(300) });
      const stale = modelartsImage({ createdAt: daysAgo(200) });
      const policy = policyOf({ limits: { maxDeletions: 1, maxPercent: 100 } });

      // Act
      const result = plan(policy, [overlong, stale]);

      // Assess
      expect(decisionOf(result, overlong)).toMatchObject({
        decision: 'keep',
        reason: 'not-selected',
        detail: `${field} is ${length} characters, more than the ${max} the delete queue takes: no delete could be queued for it, so it is kept`,
      });
      expect(reasonOf(result, stale)).toBe('retire');
      expect(result.limits).toEqual({ allowed: 1, wouldRetire: 1, bound: false });
    },
  );

  it('busy: an image still being created is kept', () => {
    const image = modelartsImage({ status: 'creating' });

    expect(decisionOf(plan(policyOf(), [image]), image)).toMatchObject({
      decision: 'keep',
      reason: 'busy',
    });
  });

  it('in-use: kept, with its references in the decision and named in the detail', () => {
    const image = modelartsImage();
    const references = [notebook('nb-1'), notebook('nb-2'), notebook('nb-3'), notebook('nb-4')];

    const result = plan(policyOf(), [image], { usage: new Map([[imageKey(image), references]]) });

    expect(decisionOf(result, image)).toMatchObject({
      decision: 'keep',
      reason: 'in-use',
      references,
      detail:
        'used by notebook notebook-nb-1 (nb-1, RUNNING), notebook notebook-nb-2 (nb-2, RUNNING), notebook notebook-nb-3 (nb-3, RUNNING) and 1 more',
    });
  });

  it('in-use: an empty reference list is not use', () => {
    const image = modelartsImage();

    const result = plan(policyOf(), [image], { usage: new Map([[imageKey(image), []]]) });

    expect(reasonOf(result, image)).toBe('retire');
  });

  it('newest-in-family: the N newest of each family are kept, the older ones retired', () => {
    const versions = [10, 20, 30, 40].map((age) =>
      modelartsImage({ name: 'train-resnet', createdAt: daysAgo(age) }),
    );
    const otherFamily = modelartsImage({ name: 'train-bert', createdAt: daysAgo(50) });

    const result = plan(policyOf({ keep: { newestPerFamily: 2 } }), [...versions, otherFamily]);

    expect(versions.map((image) => reasonOf(result, image))).toEqual([
      'newest-in-family',
      'newest-in-family',
      'retire',
      'retire',
    ]);
    expect(decisionOf(result, versions[1] as Image).detail).toBe(
      '2nd newest available of family train-resnet (keeps 2)',
    );
    expect(reasonOf(result, otherFamily)).toBe('newest-in-family');
  });

  it('newest-in-family: each region keeps its own N newest', () => {
    const north = modelartsImage({ region: 'cn-north-4', createdAt: daysAgo(100) });
    const south = modelartsImage({ region: 'cn-south-1', createdAt: daysAgo(300) });
    const policy = policyOf({
      regions: ['cn-north-4', 'cn-south-1'],
      keep: { newestPerFamily: 1 },
    });

    const result = plan(policy, [north, south]);

    expect(reasonOf(result, north)).toBe('newest-in-family');
    expect(reasonOf(result, south)).toBe('newest-in-family');
  });

  it('newest-in-family: equal creation times rank by image key; an undated version takes no place of the N (it is kept anyway)', () => {
    const sameTime = daysAgo(100);
    const first = modelartsImage({
      id: '00000000-0000-4000-8000-00000000000a',
      createdAt: sameTime,
    });
    const second = modelartsImage({
      id: '00000000-0000-4000-8000-00000000000b',
      createdAt: sameTime,
    });
    const undated = modelartsImage({ createdAt: undefined });

    const keepOne = plan(policyOf({ keep: { newestPerFamily: 1 } }), [second, first]);
    const keepTwo = plan(policyOf({ keep: { newestPerFamily: 2 } }), [second, first, undated]);

    expect(reasonOf(keepOne, first)).toBe('newest-in-family');
    expect(reasonOf(keepOne, second)).toBe('retire');
    // Keep the 2 newest: whether the undated image is newer or older than both, the 2 newest are kept.
    expect(reasonOf(keepTwo, undated)).toBe('too-new');
    expect(reasonOf(keepTwo, first)).toBe('newest-in-family');
    expect(reasonOf(keepTwo, second)).toBe('newest-in-family');
  });

  it('newest-in-family: protected, excluded or used versions count among the N; versions being created do not', () => {
    const creating = modelartsImage({ status: 'creating', createdAt: daysAgo(1) });
    const protectedNewest = modelartsImage({ name: 'train-resnet', createdAt: daysAgo(10) });
    const next = modelartsImage({ createdAt: daysAgo(20) });
    const older = modelartsImage({ createdAt: daysAgo(30) });

    const result = plan(
      policyOf({ keep: { newestPerFamily: 2 } }),
      [creating, protectedNewest, next, older],
      { protection: (image) => (image.id === protectedNewest.id ? 'pinned' : undefined) },
    );

    expect(reasonOf(result, creating)).toBe('busy');
    expect(reasonOf(result, protectedNewest)).toBe('protected');
    expect(reasonOf(result, next)).toBe('newest-in-family');
    expect(reasonOf(result, older)).toBe('retire');
  });

  it('newest-in-family: only selected images rank (another status is not a version to keep)', () => {
    const failedNewest = modelartsImage({ status: 'failed', createdAt: daysAgo(10) });
    const available = modelartsImage({ status: 'available', createdAt: daysAgo(20) });
    const policy = policyOf({ select: { status: ['available'] }, keep: { newestPerFamily: 1 } });

    const result = plan(policy, [failedNewest, available]);

    expect(reasonOf(result, failedNewest)).toBe('not-selected');
    expect(reasonOf(result, available)).toBe('newest-in-family');
  });

  it('newest-in-family: a newer failed build takes no place (the N kept are the N newest available)', () => {
    // Prepare: the last working image of a family, an older one, and a newer build that failed.
    const failedBuild = modelartsImage({
      status: 'failed',
      providerStatus: 'CREATE_FAILED',
      createdAt: daysAgo(10),
    });
    const working = modelartsImage({ createdAt: daysAgo(100) });
    const olderWorking = modelartsImage({ createdAt: daysAgo(200) });
    const policy = policyOf({
      select: { status: ['available', 'failed', 'error'] },
      keep: { newestPerFamily: 1 },
    });

    // Act
    const result = plan(policy, [failedBuild, working, olderWorking]);

    // Assess
    expect(decisionOf(result, working)).toMatchObject({
      reason: 'newest-in-family',
      detail: '1st newest available of family train-resnet (keeps 1)',
    });
    expect(reasonOf(result, failedBuild)).toBe('retire');
    expect(reasonOf(result, olderWorking)).toBe('retire');
  });

  it.each<[Image['status'], string]>([
    ['failed', 'retire'],
    ['error', 'retire'],
    ['unavailable', 'retire'],
    ['deleted', 'retire'],
    ['creating', 'busy'],
    ['unknown', 'not-selected'],
  ])(
    'newest-in-family: a newer %s image takes no place; its own rules decide it (%s)',
    (status, reason) => {
      // Prepare: a policy that selects every status (unknown too), keeping the newest of the family.
      const newer = modelartsImage({ status, providerStatus: 'X', createdAt: daysAgo(10) });
      const working = modelartsImage({ createdAt: daysAgo(100) });
      const policy = policyOf({
        select: { status: [...IMAGE_STATUSES] },
        keep: { newestPerFamily: 1 },
      });

      // Act
      const result = plan(policy, [newer, working]);

      // Assess: the working image keeps its place, and an unknown status is still kept.
      expect(reasonOf(result, working)).toBe('newest-in-family');
      expect(reasonOf(result, newer)).toBe(reason);
    },
  );

  it('too-new: younger than olderThanDays is kept; exactly that old is retired', () => {
    const young = modelartsImage({ createdAt: daysAgo(89.9) });
    const exactly = modelartsImage({ createdAt: daysAgo(90) });

    const result = plan(policyOf({ select: { olderThanDays: 90 } }), [young, exactly]);

    expect(decisionOf(result, young)).toMatchObject({
      decision: 'keep',
      reason: 'too-new',
      detail: '89 days old; retired after 90',
    });
    expect(reasonOf(result, exactly)).toBe('retire');
  });

  it('too-new: an image with no (or an unreadable) creation time is kept, even with no age floor', () => {
    const undated = modelartsImage({ createdAt: undefined });
    const unreadable = modelartsImage({ createdAt: 'yesterday-ish' });

    const result = plan(policyOf(), [undated, unreadable]);

    expect(decisionOf(result, undated)).toMatchObject({
      reason: 'too-new',
      detail: 'creation time unknown',
    });
    expect(reasonOf(result, unreadable)).toBe('too-new');
  });

  it('over-limit: maxDeletions retires the oldest first and defers the rest', () => {
    const images = [100, 400, 200, 300].map((age) => modelartsImage({ createdAt: daysAgo(age) }));

    const result = plan(policyOf({ limits: { maxDeletions: 2, maxPercent: 100 } }), images);

    expect(images.map((image) => decisionOf(result, image).decision)).toEqual([
      'deferred',
      'retire',
      'deferred',
      'retire',
    ]);
    expect(decisionOf(result, images[0] as Image)).toMatchObject({
      reason: 'over-limit',
      detail: 'the limits allow 2 of 4 (maxDeletions 2, maxPercent 100 of 4 images)',
    });
    expect(result.limits).toEqual({ allowed: 2, wouldRetire: 4, bound: true });
  });

  it('over-limit: maxPercent counts every image decided, rounded down', () => {
    const old = [1, 2, 3].map((index) => modelartsImage({ createdAt: daysAgo(300 + index) }));
    const kept = Array.from({ length: 7 }, () => modelartsImage({ kind: 'system' }));

    // 29% of 10 images is 2.9: two may go.
    const result = plan(policyOf({ limits: { maxDeletions: 50, maxPercent: 29 } }), [
      ...old,
      ...kept,
    ]);

    expect(result.totals).toMatchObject({ images: 10, retire: 2, deferred: 1 });
    expect(reasonOf(result, old[0] as Image)).toBe('over-limit');
  });

  it('over-limit: maxPercent 29 of 100 images is 29, not 28 (no binary-fraction loss)', () => {
    const images = Array.from({ length: 100 }, (_, index) =>
      modelartsImage({ createdAt: daysAgo(100 + index) }),
    );

    const result = plan(policyOf({ limits: { maxDeletions: 100, maxPercent: 29 } }), images);

    expect(result.totals.retire).toBe(29);
  });

  it.each([
    [33.3333333333, 3, 0],
    [99.9999999, 1, 0],
    [0.29, 10_000, 29],
    [66.67, 3, 2],
    [1e-7, 1_000_000_000, 1],
    [12.5, 8, 1],
  ])(
    'over-limit: maxPercent %d of %d images allows exactly %d (the decimal as written, rounded down)',
    (maxPercent, images, allowed) => {
      expect(allowedDeletions({ maxDeletions: 2_000_000_000, maxPercent }, images)).toBe(allowed);
    },
  );

  it('over-limit: limits of 0 retire nothing', () => {
    const image = modelartsImage();

    const result = plan(policyOf({ limits: { maxDeletions: 0, maxPercent: 100 } }), [image]);

    expect(decisionOf(result, image).decision).toBe('deferred');
    expect(result.totals.retire).toBe(0);
  });
});

describe('precedence: when two reasons apply, the earlier one wins', () => {
  const old = daysAgo(400);
  it.each<[string, Partial<Image>, { protect?: boolean; exclude?: boolean; use?: boolean }]>([
    ['system', { kind: 'system', status: 'creating' }, { protect: true, exclude: true, use: true }],
    ['shared', { kind: 'shared' }, { protect: true, exclude: true, use: true }],
    ['protected', {}, { protect: true, exclude: true, use: true }],
    ['excluded', { kind: 'other', status: 'creating' }, { exclude: true, use: true }],
    ['not-selected', { kind: 'other', status: 'creating' }, { use: true }],
    ['busy', { status: 'creating', createdAt: undefined }, { use: true }],
    ['in-use', { createdAt: daysAgo(1) }, { use: true }],
    ['newest-in-family', { createdAt: daysAgo(1) }, {}],
  ])('%s', (expected, overrides, flags) => {
    const image = modelartsImage({ createdAt: old, ...overrides });
    const policy = policyOf({
      select: { olderThanDays: 30 },
      keep: { newestPerFamily: 1 },
      exclude: flags.exclude ? { ids: [image.id] } : {},
      limits: { maxDeletions: 0, maxPercent: 0 },
    });

    const result = plan(policy, [image], {
      protection: () => (flags.protect ? 'pinned' : undefined),
      usage: new Map(flags.use ? [[imageKey(image), [notebook('nb')]]] : []),
    });

    expect(reasonOf(result, image)).toBe(expected);
  });

  it('too-new before over-limit, over-limit before retire', () => {
    const young = modelartsImage({ createdAt: daysAgo(1) });
    const old1 = modelartsImage({ createdAt: daysAgo(100) });
    const old2 = modelartsImage({ createdAt: daysAgo(200) });
    const policy = policyOf({
      select: { olderThanDays: 30 },
      limits: { maxDeletions: 1, maxPercent: 100 },
    });

    const result = plan(policy, [young, old1, old2]);

    expect([young, old1, old2].map((image) => reasonOf(result, image))).toEqual([
      'too-new',
      'over-limit',
      'retire',
    ]);
  });
});

describe('families', () => {
  it.each([
    ['bcc', 'web-2024-03-01', 'web'],
    ['bcc', 'web-2024-04-01', 'web'],
    ['bcc', 'web2', 'web'],
    // The rule is literal: the trailing run includes the `64` of amd64.
    ['bcc', 'ubuntu-14.04.1-server-amd64-201506171832', 'ubuntu-14.04.1-server-amd'],
    ['bcc', 'base_v1.2', 'base_v'],
    ['bcc', '2024-03-01', '2024-03-01'],
    ['bcc', 'web', 'web'],
    ['modelarts', 'train-2024-03-01', 'train-2024-03-01'],
  ] as const)('%s %j is family %j', (provider, name, family) => {
    expect(familyOf({ provider, name })).toBe(family);
  });

  it('BCC dated versions of one family: the newest kept, the older retired', () => {
    const march = bccImage({ name: 'web-2024-03-01', createdAt: daysAgo(90) });
    const april = bccImage({ name: 'web-2024-04-01', createdAt: daysAgo(60) });
    const policy = policyOf({ provider: 'bcc', regions: ['bj'], keep: { newestPerFamily: 1 } });

    const result = plan(policy, [march, april]);

    expect(decisionOf(result, april)).toMatchObject({ reason: 'newest-in-family', family: 'web' });
    expect(decisionOf(result, march)).toMatchObject({ reason: 'retire', family: 'web' });
  });
});

describe('the plan', () => {
  it('decides every image of the provider in the regions, and nothing else', () => {
    const inScope = [modelartsImage(), modelartsImage({ region: 'cn-south-1' })];
    const otherRegion = modelartsImage({ region: 'ap-southeast-1' });
    const otherProvider = bccImage();

    const result = plan(policyOf({ regions: ['cn-north-4', 'cn-south-1'] }), [
      ...inScope,
      otherRegion,
      otherProvider,
    ]);

    expect(result.decisions.map((decision) => decision.image.id).sort()).toEqual(
      inScope.map((image) => image.id).sort(),
    );
    expect(result.complete).toBe(true);
  });

  it('refuses an inventory that lists an image twice (ModelArts IDs in any case)', () => {
    const image = modelartsImage({ id: 'abcdef01-0000-4000-8000-000000000001' });
    const again = { ...image, id: image.id.toUpperCase() };

    expect(() => plan(policyOf(), [image, again])).toThrow(UpstreamBadResponse);
  });

  it('keeps the image without the provider record, but with what applying compares', () => {
    const image = modelartsImage({ details: { size: 4096, swr_path: 'swr.example/x' } });

    const decision = decisionOf(plan(policyOf(), [image]), image);

    expect(decision.image).toEqual({
      provider: image.provider,
      region: image.region,
      id: image.id,
      name: image.name,
      status: image.status,
      providerStatus: image.providerStatus,
      kind: image.kind,
      createdAt: image.createdAt,
      updatedAt: image.updatedAt,
    });
    expect(decision.size).toBe(4096);
  });

  it('sorts decisions by region, family, newest first, then image key', () => {
    const images = [
      modelartsImage({ region: 'cn-south-1', name: 'a', createdAt: daysAgo(5) }),
      modelartsImage({ region: 'cn-north-4', name: 'b', createdAt: daysAgo(5) }),
      modelartsImage({ region: 'cn-north-4', name: 'a', createdAt: daysAgo(9) }),
      modelartsImage({ region: 'cn-north-4', name: 'a', createdAt: daysAgo(3) }),
    ];

    const result = plan(policyOf({ regions: ['cn-south-1', 'cn-north-4'] }), images);

    expect(result.decisions.map((decision) => decision.image.id)).toEqual(
      [images[3], images[2], images[1], images[0]].map((image) => image?.id),
    );
  });

  it('totals count decisions and every reason; bytes sums the retired sizes when all are known', () => {
    const retired = [
      modelartsImage({ details: { size: 100 } }),
      modelartsImage({ details: { size: 50 } }),
    ];
    const kept = modelartsImage({ kind: 'system', details: {} });

    const result = plan(policyOf(), [...retired, kept]);

    expect(result.totals).toEqual({
      images: 3,
      retire: 2,
      keep: 1,
      deferred: 0,
      byReason: Object.fromEntries(
        REASON_PRECEDENCE.map((reason) => [
          reason,
          reason === 'retire' ? 2 : reason === 'system' ? 1 : 0,
        ]),
      ),
      bytes: 150,
    });
  });

  it('totals leave bytes out when a retired image has no known size', () => {
    const result = plan(policyOf(), [modelartsImage(), modelartsImage({ details: {} })]);

    expect(result.totals.retire).toBe(2);
    expect(result.totals.bytes).toBeUndefined();
  });

  it('records its clock and creator, and is a valid Plan', () => {
    const result = plan(policyOf(), [modelartsImage()], {
      createdBy: 'arn:aws:iam::123456789012:user/alice',
    });

    expect(result.createdAt).toBe(NOW.toISOString());
    expect(result.createdBy).toBe('arn:aws:iam::123456789012:user/alice');
    expect(planSchema.parse(result)).toEqual(result);
  });

  it('warns about an excluded ID that matches no image', () => {
    const policy = policyOf({ exclude: { ids: ['ffffffff-0000-4000-8000-000000000000'] } });

    const result = plan(policy, [modelartsImage()]);

    expect(result.warnings).toEqual([
      'exclude.ids: ffffffff-0000-4000-8000-000000000000 matches no image of modelarts in cn-north-4',
    ]);
  });

  it('planId: the same inputs give the same ID, whoever asks and in whatever order', () => {
    const images = [modelartsImage(), modelartsImage({ createdAt: daysAgo(3) }), bccImage()];
    const policy = policyOf({ keep: { newestPerFamily: 1 } });

    const first = plan(policy, images, { createdBy: 'alice' });
    const second = plan(policy, [...images].reverse(), { createdBy: 'bob' });

    expect(first.planId).toMatch(/^plan-[0-9a-f]{24}$/);
    expect(second.planId).toBe(first.planId);
    expect(second.decisions).toEqual(first.decisions);
  });

  it('planId: the order in which the policy lists its regions changes nothing', () => {
    // Prepare: one policy written with its regions in two orders, over the same images.
    const images = [
      modelartsImage({ region: 'cn-south-1' }),
      modelartsImage({ region: 'cn-north-4', createdAt: daysAgo(3) }),
    ];
    const exclude = { ids: ['ffffffff-0000-4000-8000-000000000000'] };

    // Act
    const northFirst = plan(policyOf({ regions: ['cn-north-4', 'cn-south-1'], exclude }), images);
    const southFirst = plan(policyOf({ regions: ['cn-south-1', 'cn-north-4'], exclude }), images);

    // Assess: the same plan, warnings included.
    expect(southFirst.planId).toBe(northFirst.planId);
    expect(southFirst).toEqual(northFirst);
  });

  it('planId: the order in which the policy lists its statuses, excluded IDs and name globs changes nothing', () => {
    // Prepare: one policy written with its lists in two orders, over the same images: one image
    // matches two excluded globs (the detail names one), two excluded IDs match no image (two
    // warnings).
    const images = [
      modelartsImage({ name: 'train-golden' }),
      modelartsImage({ name: 'train-resnet', status: 'failed' }),
      modelartsImage({ name: 'train-vit', status: 'error' }),
    ];
    const written = (
      status: Array<'available' | 'failed'>,
      ids: string[],
      names: string[],
    ): Policy => policyOf({ select: { status }, exclude: { ids, names } });
    const idA = 'aaaaaaaa-0000-4000-8000-000000000000';
    const idB = 'bbbbbbbb-0000-4000-8000-000000000000';

    // Act
    const first = plan(
      written(['available', 'failed'], [idA, idB], ['train-g*', '*-golden']),
      images,
    );
    const second = plan(
      written(['failed', 'available'], [idB, idA], ['*-golden', 'train-g*']),
      images,
    );

    // Assess: the same plan, details and warnings included.
    expect(second.planId).toBe(first.planId);
    expect(second).toEqual(first);
    expect(first.warnings).toHaveLength(2);
  });

  it('planId: changes with the policy and with any decision', () => {
    const images = [modelartsImage(), modelartsImage({ createdAt: daysAgo(3) })];
    const base = plan(policyOf(), images);

    const otherPolicy = plan(policyOf({ name: 'renamed' }), images);
    const otherDecision = plan(policyOf(), images, {
      protection: (image) => (image.id === images[0]?.id ? 'pinned' : undefined),
    });

    expect(otherPolicy.planId).not.toBe(base.planId);
    expect(otherDecision.planId).not.toBe(base.planId);
  });
});

describe('imageKey', () => {
  it('is region/id, with ModelArts UUIDs lower-cased and BCC IDs as they are', () => {
    expect(imageKey({ provider: 'modelarts', region: 'cn-north-4', id: 'ABC-D' })).toBe(
      'cn-north-4/abc-d',
    );
    expect(imageKey({ provider: 'bcc', region: 'bj', id: 'm-AbC' })).toBe('bj/m-AbC');
  });
});

describe('a plan made before the planner changed how it decides', () => {
  it('is refused naming the decision, saying it may be an earlier version’s, not only an edit', () => {
    // Prepare: the plan an earlier planner made (an unknown status listed by the policy was
    // retired, taking the one deletion), its ID and totals as that planner stored them.
    const { unknown, stale, policy } = unknownStatusListed();
    const now = plan(policy, [unknown, stale]);
    const decisions = now.decisions.map((decision) =>
      decision.image.id === unknown.id
        ? { ...decision, decision: 'retire' as const, reason: 'retire' as const, detail: undefined }
        : decision.image.id === stale.id
          ? { ...decision, decision: 'deferred' as const, reason: 'over-limit' as const }
          : decision,
    );
    const earlier: Plan = {
      ...now,
      decisions,
      totals: countTotals(decisions),
      planId: planIdOf(now.policy, decisions),
    };

    // Act
    const altered = alterationOf(earlier);

    // Assess
    expect(altered).toBe(
      `its decision for ${imageKey(stale)} is over-limit where its policy gives retire (edited, or made by an earlier version of the planner)`,
    );
  });
});

describe('a plan edited with its ID and totals made anew, or stored under another ID', () => {
  it('is refused when it retires an image outside its policy (another region)', () => {
    // Prepare: a plan of cn-north-4 given one more retire decision, for an image of another
    // region, its totals and digest made anew (the recipe is no secret).
    const policy = policyOf();
    const made = plan(policy, [modelartsImage({ createdAt: daysAgo(300) })]);
    const outside = modelartsImage({ region: 'ap-southeast-1', createdAt: daysAgo(300) });
    const [first] = made.decisions;
    if (first === undefined) throw new Error('the plan decides no image');
    const decisions = [...made.decisions, { ...first, image: { ...first.image, ...outside } }];
    const edited: Plan = {
      ...made,
      decisions,
      totals: countTotals(decisions),
      planId: planIdOf(made.policy, decisions),
    };

    // Act
    const altered = alterationOf(edited);

    // Assess
    expect(altered).toBe('its decisions name images outside its policy');
  });

  it('is refused when only its totals were edited (fewer deletions to confirm than it makes)', () => {
    // Prepare: the digest covers the policy and decisions, not the totals.
    const made = plan(policyOf(), [modelartsImage({ createdAt: daysAgo(300) })]);
    expect(made.totals.retire).toBe(1);
    const edited: Plan = { ...made, totals: { ...made.totals, retire: 0, keep: 1 } };

    // Act
    const altered = alterationOf(edited);

    // Assess
    expect(altered).toBe('its totals do not match its decisions');
  });

  it('is refused when read by another plan\u2019s ID, though it is itself as it was made', () => {
    // Prepare: two plans; one of them stored under the other's ID.
    const one = plan(policyOf({ name: 'one' }), [modelartsImage({ createdAt: daysAgo(300) })]);
    const other = plan(policyOf({ name: 'other' }), [modelartsImage({ createdAt: daysAgo(300) })]);
    expect(alterationOf(one)).toBeUndefined();

    // Act
    const altered = alterationOf(one, other.planId);

    // Assess
    expect(altered).toBe(`it is stored as ${one.planId}`);
  });
});

describe('a plan stored before policies listed their regions sorted', () => {
  it('still verifies: its ID is the digest of its policy as stored, and that policy gives its decisions', async () => {
    // Prepare: the plan an earlier version made of a policy whose regions were kept as written
    // (not in code-unit order), stored as apply will read it.
    const images = [
      modelartsImage({ region: 'cn-south-1' }),
      modelartsImage({ region: 'cn-north-4', createdAt: daysAgo(3) }),
    ];
    const parsed = policyOf({ regions: ['cn-south-1', 'cn-north-4'] });
    const earlier = plan({ ...parsed, regions: ['cn-south-1', 'cn-north-4'] }, images);
    const dir = await mkdtemp(join(tmpdir(), 'cif-planner-regions-'));
    try {
      const plans = localPlanStore({ dir });
      await plans.put(earlier);

      // Act
      const stored = await plans.get(earlier.planId);
      if (stored === undefined) throw new Error('the plan was not stored');

      // Assess: read as it was written (not re-sorted), not taken for an altered plan, and its
      // decisions those of the same policy parsed today.
      expect(stored.policy.regions).toEqual(['cn-south-1', 'cn-north-4']);
      expect(alterationOf(stored, earlier.planId)).toBeUndefined();
      expect(stored.decisions).toEqual(plan(parsed, images).decisions);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('a plan stored before policies listed their statuses, excluded IDs and name globs sorted', () => {
  it('still verifies: its ID is the digest of its policy as stored, and that policy gives its decisions', async () => {
    // Prepare: the plan an earlier version made of a policy whose lists were kept as written (not
    // in code-unit order), stored as apply will read it. Each image matches one glob at most.
    const images = [
      modelartsImage({ name: 'train-golden' }),
      modelartsImage({ name: 'base-pinned', status: 'failed' }),
      modelartsImage({ name: 'train-vit', status: 'failed' }),
      modelartsImage({ name: 'train-resnet', status: 'error' }),
    ];
    const asWritten = {
      select: { status: ['failed', 'available'] as Array<'available' | 'failed'> },
      exclude: {
        ids: ['bbbbbbbb-0000-4000-8000-000000000000', 'aaaaaaaa-0000-4000-8000-000000000000'],
        names: ['train-g*', 'base-*'],
      },
    };
    const parsed = policyOf(asWritten);
    const earlier = plan({ ...parsed, ...asWritten }, images);
    const dir = await mkdtemp(join(tmpdir(), 'cif-planner-lists-'));
    try {
      const plans = localPlanStore({ dir });
      await plans.put(earlier);

      // Act
      const stored = await plans.get(earlier.planId);
      if (stored === undefined) throw new Error('the plan was not stored');

      // Assess: read as it was written (not re-sorted), not taken for an altered plan, and its
      // decisions those of the same policy parsed today.
      expect(stored.policy.select.status).toEqual(['failed', 'available']);
      expect(stored.policy.exclude).toEqual(asWritten.exclude);
      expect(alterationOf(stored, earlier.planId)).toBeUndefined();
      expect(stored.decisions).toEqual(plan(parsed, images).decisions);
      expect(stored.planId).not.toBe(plan(parsed, images).planId);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
