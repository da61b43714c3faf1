// BCC credentials: the `bcc` section of the secret (AK/SK, optional session token, the default
// region) or, without a secret, the BCE SDK's variables (BCE_REGION defaults to `bj`, as the
// official SDK does). One key serves every region.

import {
  type CredentialSection,
  credentialText,
  REGION_PATTERN,
  requireRegionName,
  requireVariables,
} from '../../credentials/credential-section.js';
import * as z from '../../schema/zod.js';

export interface BccCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string | undefined;
  defaultRegion: string;
}

/** The official BCE SDK's default region. */
export const DEFAULT_BCC_REGION = 'bj';

const text = z.string().check(z.minLength(1));

const sectionSchema = z.object({
  accessKeyId: credentialText,
  secretAccessKey: credentialText,
  sessionToken: z.optional(credentialText),
  defaultRegion: text.check(z.regex(REGION_PATTERN)),
});

const REQUIRED = ['BCE_ACCESS_KEY_ID', 'BCE_SECRET_ACCESS_KEY'] as const;

export const bccCredentials: CredentialSection<BccCredentials, typeof sectionSchema> = {
  key: 'bcc',
  schema: sectionSchema,
  // The section's schema is the credentials' shape: the parsed section is them.
  fromSecret: (parsed) => parsed,
  variables: [...REQUIRED, 'BCE_SESSION_TOKEN', 'BCE_REGION'],
  fromEnv: (values) => {
    const [accessKeyId, secretAccessKey] = requireVariables(REQUIRED, values) as [string, string];
    const regionName = values[3] ?? DEFAULT_BCC_REGION;
    requireRegionName('BCE_REGION', regionName);
    return { accessKeyId, secretAccessKey, sessionToken: values[2], defaultRegion: regionName };
  },
};
