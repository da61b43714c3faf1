// What every section shares: the demo credentials as the functions' environment, the ModelArts
// request the handlers send, and that request signed once for the bare client.

import { DEMO_BCC, DEMO_MODELARTS, SEEDED } from '../../emulator/demo.js';
import { signSdkHmacSha256 } from '../../lib/signing/huawei-sdk-hmac.js';
import { type HttpMethod, type OutboundRequest, wireUrl } from '../../lib/wire/outbound-request.js';
import { MOTO_AWS_ENV, motoCall } from './moto.js';

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
  POWERTOOLS_SERVICE_NAME: 'cloud-image-functions',
  LOG_LEVEL: 'info',
});

/** The name of the credentials secret the bench creates in moto (see secretEnv). */
export const BENCH_SECRET_ID = 'cloud-image-functions/bench';

/** The event bus the bench creates in moto: a delete publishes its event there, as deployed. */
export const BENCH_EVENT_BUS = 'cloud-image-functions-bench';

/** The credentials secret's value, as Secrets Manager returns it (the shape lib/credentials reads). */
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

/** Creates the secret and the event bus in a fresh moto. */
export const prepareMoto = async (endpoint: string, ca?: string): Promise<void> => {
  await motoCall(
    endpoint,
    'secretsmanager.CreateSecret',
    { Name: BENCH_SECRET_ID, SecretString: benchSecretString() },
    ca,
  );
  await motoCall(endpoint, 'AWSEvents.CreateEventBus', { Name: BENCH_EVENT_BUS }, ca);
};

/**
 * The deployed configuration: credentials from the Secrets Manager secret (moto), the function's
 * AWS identity from the environment as Lambda provides it, and (with `events`) every delete's
 * event published to EventBridge (moto). The first call loads the Secrets Manager client and
 * reads the secret.
 */
export const secretEnv = (
  origin: string,
  motoEndpoint: string,
  events = false,
): Record<string, string> => ({
  ...MOTO_AWS_ENV,
  IMAGE_CREDENTIALS_SECRET_ID: BENCH_SECRET_ID,
  AWS_ENDPOINT_URL_SECRETS_MANAGER: motoEndpoint,
  ...(events
    ? { EVENT_BUS_NAME: BENCH_EVENT_BUS, AWS_ENDPOINT_URL_EVENTBRIDGE: motoEndpoint }
    : {}),
  MODELARTS_ENDPOINT: origin,
  POWERTOOLS_SERVICE_NAME: 'cloud-image-functions',
  LOG_LEVEL: 'info',
});

export type BenchCall = 'show' | 'usage' | 'delete';

/** The request the ModelArts adapter sends for a show, the usage scan's page, or a plain delete. */
export const modelArtsRequest = (origin: string, call: BenchCall): OutboundRequest => ({
  method: call === 'delete' ? 'DELETE' : 'GET',
  origin,
  path:
    call === 'usage'
      ? `/v1/${DEMO_MODELARTS.projectId}/notebooks/all`
      : `/v1/${DEMO_MODELARTS.projectId}/images/${IMAGE_ID}`,
  query:
    call === 'usage'
      ? [
          ['limit', '50'],
          ['offset', '0'],
        ]
      : [],
  headers: { 'Content-Type': 'application/json' },
  body: '',
});

export const BENCH_CREDENTIALS = {
  accessKeyId: DEMO_MODELARTS.accessKeyId,
  secretAccessKey: DEMO_MODELARTS.secretAccessKey,
  projectId: DEMO_MODELARTS.projectId,
};

export interface WireRequest {
  url: string;
  method: HttpMethod;
  headers: Record<string, string>;
}

/** The request exactly as the adapter would put it on the wire, signed once, now. */
export const signedWireRequest = (origin: string, call: BenchCall): WireRequest => {
  const request = modelArtsRequest(origin, call);
  const signed = signSdkHmacSha256(request, BENCH_CREDENTIALS, new Date());
  return {
    url: wireUrl(request),
    method: request.method,
    headers: { ...request.headers, ...signed },
  };
};

/** The upstream requests of one operation: a show is one, a delete looks, scans usage, deletes. */
export const CALLS: Readonly<Record<'show' | 'delete', readonly BenchCall[]>> = {
  show: ['show'],
  delete: ['show', 'usage', 'delete'],
};
