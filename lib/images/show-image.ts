// show(provider, imageId, region?) → Image.

import type { Image } from './image.js';
import { providerInRegion } from './provider-in-region.js';
import type { CallContext, ProviderLookup } from './provider-port.js';

export interface ImageRef {
  provider: string;
  imageId: string;
  region?: string | undefined;
}

export interface ShowDeps {
  providers: ProviderLookup;
  context: CallContext;
}

export const showImage = async (input: ImageRef, deps: ShowDeps): Promise<Image> => {
  const { provider, region } = await providerInRegion(deps, input.provider, input.region);
  return provider.show(input.imageId, region, deps.context);
};
