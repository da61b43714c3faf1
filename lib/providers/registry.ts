// The one list of clouds. Everything that depends on which clouds exist (input validation, the
// composition of providers, the API document, metrics dimensions) asks here. A cloud registered
// at run time (a test's fake cloud, a private build) is served like the built-in ones.

import { bccCloud } from './bcc/cloud.js';
import type { Cloud } from './kit/cloud.js';
import { canonicalImageId } from './kit/cloud-provider.js';
import { modelArtsCloud } from './modelarts/cloud.js';

const clouds = new Map<string, Cloud>([
  [modelArtsCloud.key, modelArtsCloud],
  [bccCloud.key, bccCloud],
]);

let version = 0;

/** Adds a cloud (or replaces the one with its key); returns a function that removes it again. */
export const registerCloud = (cloud: Cloud): (() => void) => {
  const previous = clouds.get(cloud.key);
  clouds.set(cloud.key, cloud);
  version += 1;
  return () => {
    if (clouds.get(cloud.key) !== cloud) return;
    if (previous === undefined) clouds.delete(cloud.key);
    else clouds.set(cloud.key, previous);
    version += 1;
  };
};

export const cloudKeys = (): string[] => [...clouds.keys()];

/** Own entries only, so no input can name something that is not a cloud. */
export const findCloud = (key: string): Cloud | undefined => clouds.get(key);

export const allClouds = (): Cloud[] => [...clouds.values()];

/** Changes whenever the list changes: caches keyed on it (the input schemas) rebuild. */
export const registryVersion = (): number => version;

/** An image ID in the form its cloud compares IDs; as it is for a cloud not registered. */
export const canonicalId = (provider: string, id: string): string => {
  const cloud = findCloud(provider);
  return cloud === undefined ? id : canonicalImageId(cloud.imageId, id);
};

export type { Cloud } from './kit/cloud.js';
export { defineCloud } from './kit/cloud-provider.js';
