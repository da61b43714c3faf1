// The planner: a pure function from (policy, complete inventory, usage, operator protections, clock)
// to a plan. No I/O and no clock of its own, so the same inputs always give the same plan.
//
// Every image of the policy's provider in its regions gets exactly one decision; its reason is the
// first of REASON_PRECEDENCE that applies:
//   system → shared → protected (operator) → excluded (policy) → not-selected → busy → in-use →
//   newest-in-family → too-new → over-limit → retire.
// Unknown means keep: an unknown kind or status is never selected (even when a policy lists
// `unknown`), nor is an image the delete queue could not take (an ID outside its cloud's format, a
// field longer than its run message takes); an unknown creation time is too new. Only `available`
// images take a family's places.
// The cost is one sort per family plus one sort of the candidates and one of the decisions.

import { UpstreamBadResponse } from '../errors/errors.js';
import { matchesGlob } from '../images/glob.js';
import type { Image } from '../images/image.js';
import { withoutDetails } from '../images/image-fields.js';
import type { UsageReference } from '../images/usage.js';
import { type Cloud, canonicalId, findCloud } from '../providers/registry.js';
import { familyOf } from './family.js';
import {
  type Decision,
  decisionFor,
  type Plan,
  type PlanTotals,
  REASON_PRECEDENCE,
  type RetirementReason,
} from './plan.js';
import { planIdOf } from './plan-id.js';
import type { Policy } from './policy.js';
import { RUN_MESSAGE_MAX_LENGTH } from './run-message-limits.js';

export interface PlanInput {
  readonly policy: Policy;
  /** Every image of the policy's provider in its regions (others are ignored), complete. */
  readonly inventory: readonly Image[];
  /**
   * What uses each image, keyed by imageKey(image), from a complete scan: an image with no entry
   * (or an empty one) is not in use. A caller that could not scan must not plan (fail closed).
   */
  readonly usage: ReadonlyMap<string, readonly UsageReference[]>;
  /** The operator's protection of an image: why it is protected, or undefined. */
  readonly protection: (image: Image) => string | undefined;
  /** The plan's clock: ages are measured from it and it becomes the plan's createdAt. */
  readonly now: Date;
  readonly createdBy?: string;
}

const DAY_MS = 86_400_000;
/** How many usage references a decision's detail names before summarising the rest. */
const REFERENCES_NAMED = 3;

/** An image's identity within a provider: `region/id`, the ID as its provider compares IDs. */
export const imageKey = (image: Pick<Image, 'provider' | 'region' | 'id'>): string =>
  `${image.region}/${canonicalId(image.provider, image.id)}`;

/** Code-unit order: the same on every machine and locale (localeCompare is not). */
const compareText = (left: string, right: string): number =>
  left < right ? -1 : left > right ? 1 : 0;

/** The size the provider reports (ModelArts `size`), when it is a usable number. */
const sizeOf = (image: Image): number | undefined => {
  const size = image.details.size;
  return typeof size === 'number' && Number.isFinite(size) && size >= 0 ? size : undefined;
};

interface Entry {
  readonly image: Image;
  readonly key: string;
  readonly family: string;
  /** Creation time in epoch ms; NaN when unknown. */
  readonly created: number;
  /** Passes the selection (custom, status, name): the images a family ranks. */
  selected: boolean;
  reason?: RetirementReason;
  detail?: string;
  references?: readonly UsageReference[];
}

/** Newest first (an unknown creation time first: the decisions' order), then by key. */
const newestFirst = (left: Entry, right: Entry): number => {
  const leftTime = Number.isNaN(left.created) ? Number.POSITIVE_INFINITY : left.created;
  const rightTime = Number.isNaN(right.created) ? Number.POSITIVE_INFINITY : right.created;
  if (leftTime !== rightTime) return rightTime > leftTime ? 1 : -1;
  return compareText(left.key, right.key);
};

/** Oldest first, then by key: the order in which the limits let candidates be retired. */
const oldestFirst = (left: Entry, right: Entry): number =>
  left.created !== right.created ? left.created - right.created : compareText(left.key, right.key);

const describeReferences = (references: readonly UsageReference[]): string => {
  const named = references
    .slice(0, REFERENCES_NAMED)
    .map(
      (reference) => `${reference.type} ${reference.name} (${reference.id}, ${reference.status})`,
    );
  const more = references.length - named.length;
  return `used by ${named.join(', ')}${more > 0 ? ` and ${more} more` : ''}`;
};

const ordinal = (rank: number): string => {
  const tens = rank % 100;
  const suffix =
    tens >= 11 && tens <= 13 ? 'th' : ({ 1: 'st', 2: 'nd', 3: 'rd' }[rank % 10] ?? 'th');
  return `${rank}${suffix}`;
};

/**
 * The first field of the image, carried by the run message apply would queue to retire it
 * (apply-plan.ts runMessageOf), that is longer than the delete queue takes; undefined: none.
 */
const overlongField = (
  image: Image,
  key: string,
): { field: string; length: number; max: number } | undefined => {
  const { imageId, imageKey: keyMax, expected } = RUN_MESSAGE_MAX_LENGTH;
  const fields: ReadonlyArray<readonly [string, string | undefined, number]> = [
    ['id', image.id, imageId],
    ['imageKey', key, keyMax],
    ['status', image.status, expected.status],
    ['name', image.name, expected.name],
    ['updatedAt', image.updatedAt, expected.updatedAt],
  ];
  for (const [field, value, max] of fields) {
    if (value !== undefined && value.length > max) return { field, length: value.length, max };
  }
  return undefined;
};

/** What deciding an image alone needs besides the image: the policy's inputs and ID rules. */
interface AloneContext {
  readonly input: PlanInput;
  readonly excludedIds: ReadonlySet<string>;
  /** The IDs a delete of this cloud takes (the registry's format); undefined: none is known. */
  readonly idFormat: Cloud['imageId'] | undefined;
}

/** The reasons that need no other image: system through in-use, and whether it is selected. */
const decideAlone = (entry: Entry, { input, excludedIds, idFormat }: AloneContext): void => {
  const { image, key } = entry;
  const { select, exclude } = input.policy;
  // An unknown status is never selected, listed or not: a delete refuses that state (unknown means
  // keep), so a plan retiring it would promise what no run does, and take a deletion of the limits.
  const statusSelected =
    image.status !== 'unknown' &&
    (select.status === undefined || select.status.includes(image.status));
  // Likewise an ID outside the cloud's format, or a field longer than the run message takes: the
  // delete queue and apply refuse such a message, so the run could only record it failed, and it
  // would take a deletion of the limits. It is not-selected (the closed list has no other reason
  // for "this service cannot act on it", the same as for an unknown status), not protected: that
  // reason is the operator's.
  const idDeletable = idFormat?.pattern.test(image.id) === true;
  const overlong = overlongField(image, key);
  entry.selected =
    image.kind === 'custom' &&
    statusSelected &&
    idDeletable &&
    overlong === undefined &&
    (select.name === undefined || matchesGlob(select.name, image.name));

  if (image.kind === 'system') {
    entry.reason = 'system';
    entry.detail = 'built-in image';
    return;
  }
  if (image.kind === 'shared') {
    entry.reason = 'shared';
    entry.detail = 'shared with other accounts';
    return;
  }
  const protection = input.protection(image);
  if (protection !== undefined) {
    entry.reason = 'protected';
    entry.detail = protection;
    return;
  }
  if (excludedIds.has(key)) {
    entry.reason = 'excluded';
    entry.detail = 'exclude.ids';
    return;
  }
  const excludedBy = exclude?.names?.find((glob) => matchesGlob(glob, image.name));
  if (excludedBy !== undefined) {
    entry.reason = 'excluded';
    entry.detail = `exclude.names: ${excludedBy}`;
    return;
  }
  if (!entry.selected) {
    entry.reason = 'not-selected';
    entry.detail =
      image.kind !== 'custom'
        ? `kind ${image.kind}: only custom images are retired`
        : image.status === 'unknown'
          ? `status unknown (${image.providerStatus.slice(0, 64)}) is not one this service recognises: kept`
          : !idDeletable
            ? `image ID is not ${idFormat?.description ?? 'of a known format'} (the ${image.provider} ID format): no delete could name it, so it is kept`
            : overlong !== undefined
              ? `${overlong.field} is ${overlong.length} characters, more than the ${overlong.max} the delete queue takes: no delete could be queued for it, so it is kept`
              : !statusSelected
                ? `status ${image.status} is not selected`
                : `name does not match ${select.name}`;
    return;
  }
  if (image.status === 'creating') {
    entry.reason = 'busy';
    entry.detail = 'still being created';
    return;
  }
  const references = input.usage.get(key) ?? [];
  if (references.length > 0) {
    entry.reason = 'in-use';
    entry.detail = describeReferences(references);
    entry.references = references;
  }
};

/**
 * newest-in-family: in each region and family, the N newest selected `available` images: the
 * versions people can use. An image of any other status takes no place (a newer failed build
 * must not leave the last working image retireable); its own rules decide it (unknown: never
 * selected; creating: busy; failed, error, ...: retired when selected). An undated image takes no
 * place either: it is kept anyway (too-new), and ranking it would retire one of the N newest dated
 * versions whenever it is in fact older than they are.
 */
const keepNewestPerFamily = (entries: readonly Entry[], newest: number): void => {
  if (newest <= 0) return;
  const families = new Map<string, Map<string, Entry[]>>();
  for (const entry of entries) {
    if (!entry.selected || entry.image.status !== 'available' || Number.isNaN(entry.created)) {
      continue;
    }
    let byFamily = families.get(entry.image.region);
    if (byFamily === undefined) {
      byFamily = new Map();
      families.set(entry.image.region, byFamily);
    }
    const members = byFamily.get(entry.family);
    if (members === undefined) byFamily.set(entry.family, [entry]);
    else members.push(entry);
  }
  for (const byFamily of families.values()) {
    for (const members of byFamily.values()) {
      members.sort(newestFirst);
      members.slice(0, newest).forEach((entry, index) => {
        if (entry.reason !== undefined) return;
        entry.reason = 'newest-in-family';
        entry.detail = `${ordinal(index + 1)} newest available of family ${entry.family} (keeps ${newest})`;
      });
    }
  }
};

const ageInDays = (entry: Entry, now: number): number => Math.floor((now - entry.created) / DAY_MS);

/** too-new: younger than select.olderThanDays, or of unknown age. */
const keepTooNew = (entry: Entry, policy: Policy, now: number): void => {
  if (entry.reason !== undefined) return;
  if (Number.isNaN(entry.created)) {
    entry.reason = 'too-new';
    entry.detail = 'creation time unknown';
    return;
  }
  const olderThanDays = policy.select.olderThanDays;
  if (olderThanDays !== undefined && now - entry.created < olderThanDays * DAY_MS) {
    entry.reason = 'too-new';
    entry.detail = `${ageInDays(entry, now)} days old; retired after ${olderThanDays}`;
  }
};

/**
 * floor(percent% of count), exact for the decimal the policy wrote: binary arithmetic would make
 * 0.29% × 10,000 28.999… (one too few) and any epsilon that mends it lets 33.3333333333% of 3
 * round up to 1 (one too many). The number's shortest decimal form is read as digits and a scale.
 */
const percentOf = (percent: number, count: number): number => {
  const [, whole = '0', fraction = '', exponent = '0'] =
    /^(\d+)(?:\.(\d+))?(?:e([+-]?\d+))?$/.exec(String(percent)) ?? [];
  const digits = BigInt(`${whole}${fraction}`) * BigInt(count);
  const scale = fraction.length - Number(exponent);
  const result =
    scale >= 0 ? digits / (100n * 10n ** BigInt(scale)) : (digits * 10n ** BigInt(-scale)) / 100n;
  return Number(result);
};

/** min(maxDeletions, floor(maxPercent% of the images decided)). */
export const allowedDeletions = (limits: Policy['limits'], images: number): number =>
  Math.min(limits.maxDeletions, percentOf(limits.maxPercent, images));

/** A plan's totals, counted from its decisions. */
export const countTotals = (decisions: readonly Decision[]): PlanTotals => {
  const byReason = Object.fromEntries(REASON_PRECEDENCE.map((reason) => [reason, 0])) as Record<
    RetirementReason,
    number
  >;
  const totals = { images: decisions.length, retire: 0, keep: 0, deferred: 0 };
  let bytes = 0;
  let sizesKnown = true;
  for (const decision of decisions) {
    byReason[decision.reason] += 1;
    totals[decision.decision] += 1;
    if (decision.decision === 'retire') {
      if (decision.size === undefined) sizesKnown = false;
      else bytes += decision.size;
    }
  }
  return sizesKnown ? { ...totals, byReason, bytes } : { ...totals, byReason };
};

const sortDecisions = (entries: Entry[]): Entry[] =>
  entries.sort(
    (left, right) =>
      compareText(left.image.region, right.image.region) ||
      compareText(left.family, right.family) ||
      newestFirst(left, right),
  );

export const planRetirement = (input: PlanInput): Plan => {
  const { policy } = input;
  const now = input.now.getTime();
  if (Number.isNaN(now)) throw new TypeError('planRetirement: `now` is not a valid date');
  const regions = new Set(policy.regions);
  const normaliseId = (id: string): string => canonicalId(policy.provider, id);
  // The cloud's ID format, as the registry holds it (the queue and apply check the same one).
  const idFormat = findCloud(policy.provider)?.imageId;
  const excludedIds = new Set<string>();
  for (const region of policy.regions) {
    for (const id of policy.exclude?.ids ?? []) excludedIds.add(`${region}/${normaliseId(id)}`);
  }

  const entries: Entry[] = [];
  const seen = new Set<string>();
  for (const image of input.inventory) {
    if (image.provider !== policy.provider || !regions.has(image.region)) continue;
    const key = imageKey(image);
    if (seen.has(key)) {
      // A complete inventory lists each image once; a repeated one means paging went wrong.
      throw new UpstreamBadResponse(`the inventory lists image ${key} more than once`, {
        upstream: { provider: policy.provider },
      });
    }
    seen.add(key);
    const created = image.createdAt === undefined ? Number.NaN : Date.parse(image.createdAt);
    const entry: Entry = { image, key, family: familyOf(image), created, selected: false };
    decideAlone(entry, { input, excludedIds, idFormat });
    entries.push(entry);
  }

  keepNewestPerFamily(entries, policy.keep?.newestPerFamily ?? 0);
  for (const entry of entries) keepTooNew(entry, policy, now);

  // The limits retire the oldest candidates first and defer the rest to a later plan.
  const candidates = entries.filter((entry) => entry.reason === undefined).sort(oldestFirst);
  const allowed = allowedDeletions(policy.limits, entries.length);
  candidates.forEach((entry, index) => {
    if (index < allowed) {
      entry.reason = 'retire';
      entry.detail = `${ageInDays(entry, now)} days old`;
    } else {
      entry.reason = 'over-limit';
      entry.detail = `the limits allow ${allowed} of ${candidates.length} (maxDeletions ${policy.limits.maxDeletions}, maxPercent ${policy.limits.maxPercent} of ${entries.length} images)`;
    }
  });

  const decisions: Decision[] = sortDecisions(entries).map((entry) => {
    const reason = entry.reason;
    // Every entry has a reason by now; should one not, fail rather than guess (never retire).
    if (reason === undefined) throw new Error(`planRetirement: no reason for ${entry.key}`);
    const size = sizeOf(entry.image);
    return {
      image: withoutDetails(entry.image),
      decision: decisionFor(reason),
      reason,
      family: entry.family,
      ...(entry.detail === undefined ? {} : { detail: entry.detail }),
      ...(entry.references === undefined ? {} : { references: [...entry.references] }),
      ...(size === undefined ? {} : { size }),
    };
  });

  const warnings = (policy.exclude?.ids ?? [])
    .filter((id) => !policy.regions.some((region) => seen.has(`${region}/${normaliseId(id)}`)))
    .map(
      (id) =>
        `exclude.ids: ${id} matches no image of ${policy.provider} in ${policy.regions.join(', ')}`,
    );

  return {
    planId: planIdOf(policy, decisions),
    policy,
    createdAt: input.now.toISOString(),
    ...(input.createdBy === undefined ? {} : { createdBy: input.createdBy }),
    complete: true,
    limits: { allowed, wouldRetire: candidates.length, bound: candidates.length > allowed },
    totals: countTotals(decisions),
    warnings,
    decisions,
  };
};

/**
 * The plan when the inventory or usage could not be read in full: it decides nothing rather than
 * decide on a partial view (an image it did not see could be the newest of its family, or in use).
 */
export const incompletePlan = (
  policy: Policy,
  now: Date,
  reason: string,
  createdBy?: string,
): Plan => {
  const decisions: Decision[] = [];
  return {
    planId: planIdOf(policy, decisions),
    policy,
    createdAt: now.toISOString(),
    ...(createdBy === undefined ? {} : { createdBy }),
    complete: false,
    incomplete: reason,
    limits: { allowed: 0, wouldRetire: 0, bound: false },
    totals: countTotals(decisions),
    warnings: [],
    decisions,
  };
};
