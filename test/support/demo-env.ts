// The environment that points the functions at an emulator with the demo credentials, both
// providers: what most handler tests set before calling a handler.

import { DEMO_BCC, DEMO_MODELARTS } from '../../emulator/demo.js';

export const demoEnvironment = (emulatorUrl: string): Record<string, string> => ({
  MODELARTS_ENDPOINT: emulatorUrl,
  HUAWEICLOUD_SDK_AK: DEMO_MODELARTS.accessKeyId,
  HUAWEICLOUD_SDK_SK: DEMO_MODELARTS.secretAccessKey,
  HUAWEICLOUD_SDK_PROJECT_ID: DEMO_MODELARTS.projectId,
  HUAWEICLOUD_REGION: DEMO_MODELARTS.region,
  BCC_ENDPOINT: emulatorUrl,
  BCE_ACCESS_KEY_ID: DEMO_BCC.accessKeyId,
  BCE_SECRET_ACCESS_KEY: DEMO_BCC.secretAccessKey,
  BCE_REGION: DEMO_BCC.region,
});
