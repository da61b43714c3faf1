// What the local runs (`npm start`, `npm run invoke`, `npm run workflow`) give the functions: the
// configuration in this shell when it names real credentials or endpoints, otherwise the
// provider emulator's URL and the demo credentials it accepts (no cloud or AWS account needed).

import { DEMO_BCC, DEMO_MODELARTS } from '../emulator/demo.js';

/** Any of these set (non-empty) means "use what the environment says", and no emulator. */
export const REAL_CONFIGURATION_VARIABLES = [
  'IMAGE_CREDENTIALS_SECRET_ID',
  'HUAWEICLOUD_SDK_AK',
  'BCE_ACCESS_KEY_ID',
  'MODELARTS_ENDPOINT',
  'BCC_ENDPOINT',
] as const;

/** The real-configuration variables set in `env`; none means the emulator is used. */
export const realConfigurationIn = (env: NodeJS.ProcessEnv): string[] =>
  REAL_CONFIGURATION_VARIABLES.filter((name) => (env[name] ?? '') !== '');

/** Both providers pointed at the emulator at `url`, with the demo credentials. */
export const emulatorEnvironment = (url: string): Record<string, string> => ({
  IMAGE_CREDENTIALS_SECRET_ID: '',
  MODELARTS_ENDPOINT: url,
  BCC_ENDPOINT: url,
  HUAWEICLOUD_SDK_AK: DEMO_MODELARTS.accessKeyId,
  HUAWEICLOUD_SDK_SK: DEMO_MODELARTS.secretAccessKey,
  HUAWEICLOUD_SDK_PROJECT_ID: DEMO_MODELARTS.projectId,
  HUAWEICLOUD_REGION: DEMO_MODELARTS.region,
  BCE_ACCESS_KEY_ID: DEMO_BCC.accessKeyId,
  BCE_SECRET_ACCESS_KEY: DEMO_BCC.secretAccessKey,
  BCE_REGION: DEMO_BCC.region,
});

/**
 * What belongs to real clouds and a deployed stack only, dropped when the emulator is used: session
 * tokens of real credentials, and the stack's resources, so that deletes of demo images never
 * reach a real event bus (the audit trail) and demo plans never a real bucket or table.
 */
export const REAL_ONLY_VARIABLES = [
  'HUAWEICLOUD_SDK_SECURITY_TOKEN',
  'BCE_SESSION_TOKEN',
  'EVENT_BUS_NAME',
  'PLANS_BUCKET',
  'RUNS_TABLE',
  'DELETE_QUEUE_URL',
] as const;
