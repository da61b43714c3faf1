// ModelArts credentials: the `modelarts` section of the secret (AK/SK, optional security token,
// a project ID per region, the default region) or, without a secret, the official SDK's variables.

import {
  type CredentialSection,
  credentialText,
  REGION_PATTERN,
  requireRegionName,
  requireVariables,
} from '../../credentials/credential-section.js';
import * as z from '../../schema/zod.js';

export interface ModelArtsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  securityToken?: string | undefined;
  /** Project ID per region. */
  projects: Readonly<Record<string, string>>;
  defaultRegion: string;
}

const text = z.string().check(z.minLength(1));
const region = text.check(z.regex(REGION_PATTERN));

const sectionSchema = z
  .object({
    accessKeyId: credentialText,
    secretAccessKey: credentialText,
    securityToken: z.optional(credentialText),
    projects: z.record(region, credentialText).check(
      z.refine((projects) => Object.keys(projects).length > 0, {
        message: 'must list at least one region',
      }),
    ),
    defaultRegion: region,
  })
  .check(
    z.refine((value) => Object.hasOwn(value.projects, value.defaultRegion), {
      message: 'has no project in modelarts.projects',
      path: ['defaultRegion'],
    }),
  );

const REQUIRED = [
  'HUAWEICLOUD_SDK_AK',
  'HUAWEICLOUD_SDK_SK',
  'HUAWEICLOUD_SDK_PROJECT_ID',
  'HUAWEICLOUD_REGION',
] as const;

export const modelArtsCredentials: CredentialSection<ModelArtsCredentials, typeof sectionSchema> = {
  key: 'modelarts',
  schema: sectionSchema,
  // The section's schema is the credentials' shape: the parsed section is them.
  fromSecret: (parsed) => parsed,
  variables: [...REQUIRED, 'HUAWEICLOUD_SDK_SECURITY_TOKEN'],
  fromEnv: (values) => {
    const [accessKeyId, secretAccessKey, projectId, regionName] = requireVariables(
      REQUIRED,
      values,
    ) as [string, string, string, string];
    requireRegionName('HUAWEICLOUD_REGION', regionName);
    return {
      accessKeyId,
      secretAccessKey,
      securityToken: values[REQUIRED.length],
      projects: { [regionName]: projectId },
      defaultRegion: regionName,
    };
  },
};
