// plan(policy) → Plan, stored: reads the whole inventory of the policy's provider in its regions
// and what uses each image (one usage scan per region), hands both to the pure planner with the
// operator's protections and the clock, and keeps the result. When the inventory or usage cannot
// be read in full in the time the call has, or its list keeps moving under the scan (each page is
// checked against the one before: an image skipped would go undecided, and the planner's
// newest-per-family and maxPercent count the whole list), the plan says it is incomplete and
// decides nothing.

import type { Image } from '../images/image.js';
import type { UsageScanner } from '../images/image-usage.js';
import { LIST_RESCANS, scanImages } from '../images/list-images.js';
import type { Protection } from '../images/protection.js';
import type { CallContext, ProviderLookup } from '../images/provider-port.js';
import type { UsageReference } from '../images/usage.js';
import type { Plan } from './plan.js';
import { imageKey, incompletePlan, planRetirement } from './planner.js';
import type { Policy } from './policy.js';
import type { PlanStore } from './ports.js';

export interface PlanDeps {
  providers: ProviderLookup;
  protection: Protection;
  context: CallContext;
  usage: UsageScanner;
  plans: PlanStore;
  now?: () => Date;
}

export interface PlanProgress {
  stage: 'inventory' | 'usage' | 'planning';
  region?: string;
  images: number;
}

export interface PlanOptions {
  /** Who asks: the caller's IAM identity, a schedule, a person at the command line. */
  createdBy?: string | undefined;
  onProgress?: (progress: PlanProgress) => void;
}

export const createPlan = async (
  policy: Policy,
  deps: PlanDeps,
  options: PlanOptions = {},
): Promise<Plan> => {
  const now = deps.now ?? (() => new Date());
  const provider = deps.providers(policy.provider);
  deps.context.provider = policy.provider;
  // Every region first: an unknown or unconfigured one is the caller's mistake, before any scan.
  for (const region of policy.regions) {
    // Named as the policy has it (its `regions`), not as a request's `region`.
    await provider.resolveRegion(region, deps.context.deadline, 'regions');
  }
  const inventory: Image[] = [];
  const usage = new Map<string, readonly UsageReference[]>();
  const incomplete = (reason: string) => incompletePlan(policy, now(), reason, options.createdBy);
  let plan: Plan | undefined;

  for (const region of policy.regions) {
    deps.context.region = region;
    const scanned = await scanImages(provider, region, {}, deps.context, (images) =>
      options.onProgress?.({ stage: 'inventory', region, images: inventory.length + images }),
    );
    if (!scanned.complete) {
      plan = incomplete(
        scanned.moving
          ? `the inventory of ${region} kept moving while it was read (images deleted or created between two pages, read ${1 + LIST_RESCANS} times)`
          : `the inventory of ${region} could not be read in the time left`,
      );
      break;
    }
    options.onProgress?.({
      stage: 'usage',
      region,
      images: inventory.length + scanned.images.length,
    });
    const index = await deps.usage(provider, region, deps.context);
    if (!index.complete) {
      plan = incomplete(
        index.moving === true
          ? `what uses the images of ${region} kept moving while it was read (read ${1 + LIST_RESCANS} times)`
          : `what uses the images of ${region} could not be read in the time left`,
      );
      break;
    }
    for (const image of scanned.images) {
      const references = index.usesOf(provider.usageKeysOf(image));
      if (references.length > 0) usage.set(imageKey(image), references);
      inventory.push(image);
    }
  }

  if (plan === undefined) {
    options.onProgress?.({ stage: 'planning', images: inventory.length });
    plan = planRetirement({
      policy,
      inventory,
      usage,
      protection: (image) => deps.protection(image, provider.canonicalId),
      now: now(),
      createdBy: options.createdBy,
    });
  }
  await deps.plans.put(plan);
  return plan;
};
