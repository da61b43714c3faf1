// The two operations of the spec, independent of trigger and provider. Delete is safe by
// construction: it looks first, refuses protected and busy images before any delete is sent,
// honours dryRun, and treats an image that is already gone as done.

import type { ServiceConfig } from '../config.js';
import { ImageBusy, ImageNotFound, ImageProtected, type ProviderKey } from '../errors.js';
import type { CallContext, ImageProvider } from '../providers/provider.js';
import type { DeleteInput, ShowInput } from '../validation.js';
import type { DeleteResult, Image } from './image.js';

export interface OperationDeps {
  providers: Readonly<Record<ProviderKey, ImageProvider>>;
  protection: Pick<
    ServiceConfig,
    'protectedImageIds' | 'protectedNamePatterns' | 'protectedNameGlobs'
  >;
  context: CallContext;
}

export const showImage = async (input: ShowInput, deps: OperationDeps): Promise<Image> => {
  const provider = deps.providers[input.provider];
  const region = await provider.resolveRegion(input.region, deps.context.deadline.signal);
  return provider.show(input.imageId, region, deps.context);
};

/** Throws ImageProtected or ImageBusy when this image must not be deleted now. */
export const assertDeletable = (image: Image, protection: OperationDeps['protection']): void => {
  const label = `${image.provider} image ${image.id} (${image.name})`;
  if (image.kind === 'system') {
    throw new ImageProtected(`${label} is a system/built-in image and cannot be deleted`);
  }
  if (image.kind === 'shared') {
    throw new ImageProtected(
      `${label} is shared with this account by another; only its owner can delete it`,
    );
  }
  if (protection.protectedImageIds.has(image.id)) {
    throw new ImageProtected(`${label} is protected by the operator (PROTECTED_IMAGE_IDS)`);
  }
  const index = protection.protectedNamePatterns.findIndex((pattern) => pattern.test(image.name));
  if (index >= 0) {
    throw new ImageProtected(
      `${label} is protected by the operator (name matches '${protection.protectedNameGlobs[index]}')`,
    );
  }
  if (image.status === 'creating') {
    throw new ImageBusy(`${label} is still being created (${image.providerStatus})`);
  }
};

export const deleteImage = async (
  input: DeleteInput,
  deps: OperationDeps,
): Promise<DeleteResult> => {
  const provider = deps.providers[input.provider];
  const region = await provider.resolveRegion(input.region, deps.context.deadline.signal);

  let image: Image;
  try {
    image = await provider.show(input.imageId, region, deps.context);
  } catch (error) {
    if (error instanceof ImageNotFound) return { outcome: 'already-absent' };
    throw error;
  }
  if (image.status === 'deleted') return { outcome: 'already-absent', image };

  assertDeletable(image, deps.protection);
  if (input.dryRun === true) return { outcome: 'dry-run', image };

  try {
    const final = await provider.remove(image, { force: input.force ?? false }, deps.context);
    // A final record of another image than the one we deleted describes nothing we did.
    const same = final !== undefined && final.id.toLowerCase() === image.id.toLowerCase();
    return { outcome: 'deleted', image: same ? final : image };
  } catch (error) {
    if (error instanceof ImageNotFound) {
      // After more than one attempt, an earlier one whose reply was lost (reset, timeout) may
      // have deleted it: the image we just looked at is gone because of this call.
      const retried = (error.upstream?.attempts ?? 1) > 1;
      // Otherwise gone between our look and our delete (a concurrent retry, another caller):
      // done all the same.
      return { outcome: retried ? 'deleted' : 'already-absent', image };
    }
    throw error;
  }
};
