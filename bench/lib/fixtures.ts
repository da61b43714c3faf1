// What every section shares: the demo credentials as the functions' environment, the ModelArts
// request the handlers send, and that request signed once for the bare client.

import { DEMO_BCC, DEMO_MODELARTS, SEEDED } from '../../emulator/demo.js';
import { signSdkHmacSha256 } from '../../lib/signing/huawei-sdk-hmac.js';
import { type HttpMethod, type OutboundRequest, wireUrl } from '../../lib/wire/outbound-request.js';

export const IMAGE_ID = SEEDED.modelarts.custom;
export const BCC_IMAGE_ID = SEEDED.bcc.custom;

/** The function's environment for ModelArts through the loopback upstream, credentials included. */
export const functionEnv = (origin: string): Record<string, string> => ({
  HUAWEICLOUD_SDK_AK: DEMO_MODELARTS.accessKeyId,
  HUAWEICLOUD_SDK_SK: DEMO_MODELARTS.secretAccessKey,
  HUAWEICLOUD_SDK_PROJECT_ID: DEMO_MODELARTS.projectId,
  HUAWEICLOUD_REGION: DEMO_MODELARTS.region,
  BCE_ACCESS_KEY_ID: DEMO_BCC.accessKeyId,
  BCE_SECRET_ACCESS_KEY: DEMO_BCC.secretAccessKey,
  BCE_REGION: DEMO_BCC.region,
  MODELARTS_ENDPOINT: origin,
  LOG_LEVEL: 'info',
});

/** The name of the credentials secret the loopback upstream serves (see secretEnv). */
export const BENCH_SECRET_ID = 'cloud-image-functions/bench';

/** The credentials secret's value, as Secrets Manager returns it (the shape lib/credentials.ts reads). */
export const benchSecretString = (): string =>
  JSON.stringify({
    modelarts: {
      accessKeyId: DEMO_MODELARTS.accessKeyId,
      secretAccessKey: DEMO_MODELARTS.secretAccessKey,
      projects: { [DEMO_MODELARTS.region]: DEMO_MODELARTS.projectId },
      defaultRegion: DEMO_MODELARTS.region,
    },
    bcc: {
      accessKeyId: DEMO_BCC.accessKeyId,
      secretAccessKey: DEMO_BCC.secretAccessKey,
      defaultRegion: DEMO_BCC.region,
    },
  });

/**
 * The deployed configuration: credentials from the Secrets Manager secret (the loopback upstream
 * answers GetSecretValue too), the function's AWS credentials from the environment as Lambda
 * provides them. The first call loads the Secrets Manager client and reads the secret.
 */
export const secretEnv = (origin: string): Record<string, string> => ({
  IMAGE_CREDENTIALS_SECRET_ID: BENCH_SECRET_ID,
  AWS_REGION: 'eu-central-1',
  AWS_ACCESS_KEY_ID: 'AKIDBENCHBENCHBENCH0',
  AWS_SECRET_ACCESS_KEY: 'bench-secret-access-key-not-real',
  AWS_SESSION_TOKEN: 'bench-session-token',
  AWS_ENDPOINT_URL_SECRETS_MANAGER: origin,
  AWS_EC2_METADATA_DISABLED: 'true',
  MODELARTS_ENDPOINT: origin,
  LOG_LEVEL: 'info',
});

/** The request the ModelArts adapter sends for show (GET) or a plain delete (DELETE). */
export const modelArtsRequest = (origin: string, method: HttpMethod): OutboundRequest => ({
  method,
  origin,
  path: `/v1/${DEMO_MODELARTS.projectId}/images/${IMAGE_ID}`,
  query: [],
  headers: { 'Content-Type': 'application/json' },
  body: '',
});

export interface WireRequest {
  url: string;
  method: HttpMethod;
  headers: Record<string, string>;
}

/** The request exactly as the adapter would put it on the wire, signed once, now. */
export const signedWireRequest = (origin: string, method: HttpMethod): WireRequest => {
  const request = modelArtsRequest(origin, method);
  const signed = signSdkHmacSha256(
    request,
    {
      accessKeyId: DEMO_MODELARTS.accessKeyId,
      secretAccessKey: DEMO_MODELARTS.secretAccessKey,
      projectId: DEMO_MODELARTS.projectId,
    },
    new Date(),
  );
  return { url: wireUrl(request), method, headers: { ...request.headers, ...signed } };
};
