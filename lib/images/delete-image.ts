// delete(provider, imageId, region?, force?, dryRun?) → DeleteResult. Safe by construction: it
// looks first, refuses what must not be deleted before any delete is sent (system, shared,
// operator-protected, unknown kinds, being created), honours dryRun, and treats an image that is
// already gone as done.

import { ImageBusy, ImageNotFound, ImageProtected, UpstreamTimeout } from '../errors/errors.js';
import type { DeleteResult, Image } from './image.js';
import { describeReferences, type UsageScanner } from './image-usage.js';
import type { Protection } from './protection.js';
import { providerInRegion } from './provider-in-region.js';
import type { CallContext, ImageProvider, ProviderLookup } from './provider-port.js';
import type { ImageRef } from './show-image.js';

export interface DeleteRequest extends ImageRef {
  force?: boolean | undefined;
  dryRun?: boolean | undefined;
  /**
   * What the caller saw when it decided (a retirement plan): an image whose status, name or
   * update time differs now is refused (ImageBusy) rather than deleted on stale grounds.
   */
  expected?: { status: string; name: string; updatedAt?: string | undefined } | undefined;
}

export interface DeleteDeps {
  providers: ProviderLookup;
  protection: Protection;
  context: CallContext;
  usage: UsageScanner;
}

/** Throws ImageProtected or ImageBusy when this image must not be deleted now. */
export const assertDeletable = (
  image: Image,
  provider: ImageProvider,
  protection: Protection,
): void => {
  const label = `${image.provider} image ${image.id} (${image.name})`;
  if (image.kind === 'system') {
    throw new ImageProtected(`${label} is a system/built-in image and cannot be deleted`);
  }
  if (image.kind === 'shared') {
    throw new ImageProtected(
      `${label} is shared with this account by another; only its owner can delete it`,
    );
  }
  if (image.kind !== 'custom') {
    // Unknown means keep: a type the cloud added after this was written is never deleted.
    throw new ImageProtected(
      `${label} is of a kind this service does not recognise (${String(image.details.type ?? 'unknown')}); it is kept`,
    );
  }
  const protectedBy = protection(image, provider.canonicalId);
  if (protectedBy !== undefined) throw new ImageProtected(`${label} is ${protectedBy}`);
  if (image.status === 'creating') {
    throw new ImageBusy(`${label} is still being created (${image.providerStatus})`);
  }
  if (image.status === 'unknown') {
    // Unknown means keep: a state the cloud added after this was written may be one that must not
    // be deleted (being copied, exported, ...).
    throw new ImageProtected(
      `${label} is in a state this service does not recognise (${image.providerStatus.slice(0, 64)}); it is kept`,
    );
  }
};

/** Throws ImageBusy naming what changed since the caller looked. */
const assertUnchanged = (image: Image, expected: NonNullable<DeleteRequest['expected']>): void => {
  const changes = [
    image.status !== expected.status ? `status ${expected.status} → ${image.status}` : undefined,
    image.name !== expected.name ? `name ${expected.name} → ${image.name}` : undefined,
    (image.updatedAt ?? '') !== (expected.updatedAt ?? '')
      ? `updated ${expected.updatedAt ?? 'never'} → ${image.updatedAt ?? 'never'}`
      : undefined,
  ].filter((change) => change !== undefined);
  if (changes.length > 0) {
    throw new ImageBusy(
      `${image.provider} image ${image.id} changed since the plan (${changes.join(', ')}); plan again`,
      { field: 'expected' },
    );
  }
};

/**
 * Throws ImageBusy naming what uses the image. Fails closed: a scan that failed throws its error,
 * one that ran out of time is UpstreamTimeout, and nothing is deleted either way.
 */
const assertUnused = async (
  image: Image,
  provider: ImageProvider,
  deps: DeleteDeps,
  lookedAt: number,
) => {
  // Only a scan that started after this delete began looking: one a batch or run made earlier
  // would miss what came into use since.
  const index = await deps.usage(provider, image.region, deps.context, lookedAt);
  const label = `${image.provider} image ${image.id} (${image.name})`;
  const references = index.usesOf(provider.usageKeysOf(image));
  if (references.length > 0) {
    throw new ImageBusy(`${label} is in use by ${describeReferences(references)}`);
  }
  if (!index.complete) {
    throw new UpstreamTimeout(
      `could not find out in the time left whether ${label} is in use; nothing was deleted (repeat the request)`,
    );
  }
};

/** The image as it is after our delete: status `deleted`, the provider's last record in details. */
const deletedImage = (image: Image): Image => ({ ...image, status: 'deleted' });

export interface DeleteHooks {
  /** The image as shown before any check (what an audit record keeps of it). */
  seen?: (image: Image) => void;
  /** Called once every check has passed, just before the delete is sent (never for a dry run). */
  beforeRemove?: (image: Image) => Promise<void>;
}

export const deleteImage = async (
  input: DeleteRequest,
  deps: DeleteDeps,
  hooks: DeleteHooks = {},
): Promise<DeleteResult> => {
  const { provider, region } = await providerInRegion(deps, input.provider, input.region);

  const lookedAt = performance.now();
  let image: Image;
  try {
    image = await provider.show(input.imageId, region, deps.context);
  } catch (error) {
    if (error instanceof ImageNotFound) return { outcome: 'already-absent' };
    throw error;
  }
  hooks.seen?.(image);
  if (image.status === 'deleted') return { outcome: 'already-absent', image };

  if (input.expected !== undefined) assertUnchanged(image, input.expected);
  assertDeletable(image, provider, deps.protection);
  await assertUnused(image, provider, deps, lookedAt);
  if (input.dryRun === true) {
    return { outcome: 'dry-run', image, usage: { inUse: false, references: [] } };
  }

  await hooks.beforeRemove?.(image);
  try {
    const final = await provider.remove(image, { force: input.force ?? false }, deps.context);
    // A final record of another image than the one we deleted describes nothing we did.
    const same =
      final !== undefined && provider.canonicalId(final.id) === provider.canonicalId(image.id);
    return { outcome: 'deleted', image: deletedImage(same ? final : image) };
  } catch (error) {
    if (error instanceof ImageNotFound) {
      // After more than one attempt, an earlier one whose reply was lost (reset, timeout) may
      // have deleted it: the image we just looked at is gone because of this call.
      const retried = (error.upstream?.attempts ?? 1) > 1;
      // Otherwise gone between our look and our delete (a concurrent retry, another caller):
      // done all the same.
      return retried
        ? { outcome: 'deleted', image: deletedImage(image) }
        : { outcome: 'already-absent', image };
    }
    throw error;
  }
};
