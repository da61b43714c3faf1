// Where an operation's upstream calls go: the provider of the requested cloud and the region
// (the one asked for, or the provider's default), recorded on the call context for the log line.

import {
  type CallContext,
  fieldCalled,
  type ImageProvider,
  type ProviderLookup,
} from './provider-port.js';

/** The provider's region for this call, resolved from its configuration (its credentials). */
export const regionOf = async (
  deps: { context: CallContext },
  provider: ImageProvider,
  requestedRegion: string | undefined,
): Promise<string> => {
  const region = await provider.resolveRegion(
    requestedRegion,
    deps.context.deadline,
    fieldCalled(deps.context, 'region'),
  );
  deps.context.region = region;
  return region;
};

export const providerInRegion = async (
  deps: { providers: ProviderLookup; context: CallContext },
  providerKey: string,
  requestedRegion: string | undefined,
): Promise<{ provider: ImageProvider; region: string }> => {
  const provider = deps.providers(providerKey);
  return { provider, region: await regionOf(deps, provider, requestedRegion) };
};
