// Where an operation's upstream calls go: the provider of the requested cloud and the region
// (the one asked for, or the provider's default), recorded on the call context for the log line.

import type { CallContext, ImageProvider, ProviderLookup } from './provider-port.js';

export const providerInRegion = async (
  deps: { providers: ProviderLookup; context: CallContext },
  providerKey: string,
  requestedRegion: string | undefined,
): Promise<{ provider: ImageProvider; region: string }> => {
  const provider = deps.providers(providerKey);
  const region = await provider.resolveRegion(
    requestedRegion,
    deps.context.deadline,
    deps.context.regionField,
  );
  deps.context.region = region;
  return { provider, region };
};
