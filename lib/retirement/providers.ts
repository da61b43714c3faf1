// What retirement needs to know about each provider, in one place: which providers a policy may
// name, how their image IDs look and compare, and whether `force` means anything for them. When
// these facts come from the provider registry, this is the one file of lib/retirement to change.

import * as z from 'zod';
import { PROVIDERS } from '../images/image.js';

export type RetirementProvider = (typeof PROVIDERS)[number];
export const retirementProviderSchema = z.enum(PROVIDERS);

export interface ProviderRules {
  /** The image ID format, so that a mistyped excluded ID is refused rather than matching nothing. */
  readonly idPattern: RegExp;
  /** For messages: "a UUID". */
  readonly idDescription: string;
  /** UUIDs compare case-insensitively; other IDs as they are. */
  readonly caseInsensitiveIds: boolean;
  /** `force` (also delete the image's stored content) means something for this provider. */
  readonly supportsForce: boolean;
}

// A record over the provider keys, so that a new provider cannot compile without its rules.
const RULES: Record<RetirementProvider, ProviderRules> = {
  modelarts: {
    idPattern: /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i,
    idDescription: 'a UUID',
    caseInsensitiveIds: true,
    supportsForce: true,
  },
  bcc: {
    idPattern: /^m-[A-Za-z0-9]{1,32}$/,
    idDescription: "'m-' followed by 1 to 32 letters and digits",
    caseInsensitiveIds: false,
    supportsForce: false,
  },
};

/** A provider's rules; undefined for a provider retirement does not know. */
export const providerRules = (provider: string): ProviderRules | undefined =>
  Object.hasOwn(RULES, provider) ? RULES[provider as RetirementProvider] : undefined;

/** An image ID in the form its provider compares IDs (as it is for an unknown provider). */
export const canonicalImageId = (provider: string, id: string): string =>
  providerRules(provider)?.caseInsensitiveIds ? id.toLowerCase() : id;
