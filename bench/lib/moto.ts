// The bench's moto_server (scripts/moto-server.ts) on a loopback port: Secrets Manager holds the
// credentials secret and EventBridge takes a delete's events, as deployed; pinned to the
// upstreams' core, and over HTTPS when asked.

import { fileURLToPath } from 'node:url';
import { startLatencyProxy } from '../../scripts/latency-proxy.js';
import type { Certificate } from '../../scripts/loopback-certificate.js';
import {
  fetchTrusting,
  MOTO_AWS_ENV,
  type MotoServer,
  startMotoServer,
} from '../../scripts/moto-server.js';

export { MOTO_AWS_ENV };

const SERIALIZED_MOTO = fileURLToPath(new URL('../../scripts/serialized-moto.py', import.meta.url));
export type Moto = MotoServer;

/** Starts moto_server (pinned with `taskset -c <cpu>`, over HTTPS with `tls`) and waits for it. */
export const startMoto = (cpu?: number, tls?: Certificate): Promise<Moto> =>
  startMotoServer({
    command: 'moto_server',
    args: (port) => ['-H', '127.0.0.1', '-p', String(port)],
    cpu,
    tls,
    readyTimeoutMs: 20_000,
  });

/** One AWS JSON-protocol call to moto (no SDK: the bench's own set-up stays out of what it times). */
export const motoCall = async (
  endpoint: string,
  target: string,
  body: Record<string, unknown>,
  ca?: string,
): Promise<unknown> => {
  const response = await fetchTrusting(endpoint, {
    ca,
    method: 'POST',
    headers: {
      'content-type': 'application/x-amz-json-1.1',
      'x-amz-target': target,
      // moto reads the region from the credential scope.
      authorization: `AWS4-HMAC-SHA256 Credential=testing/20260101/${MOTO_AWS_ENV.AWS_REGION}/${target.startsWith('AWSEvents') ? 'events' : 'secretsmanager'}/aws4_request, SignedHeaders=host, Signature=0`,
    },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok)
    throw new Error(`moto ${target}: HTTP ${response.status} ${text.slice(0, 300)}`);
  return text === '' ? {} : JSON.parse(text);
};

/** moto behind a proxy that holds each call: what the apply benches measure against. */
export interface SlowMoto {
  /** The proxy's endpoint: moto answering `latencyMs` later. */
  endpoint: string;
  stop(): Promise<void>;
}

/**
 * moto_server's app one request at a time (scripts/serialized-moto.py: plain moto's SQS send and
 * DynamoDB transactions slow down with what a queue or table holds), pinned to the upstreams'
 * core, behind a proxy adding `latencyMs` to every call (an AWS round trip from a Lambda).
 */
export const startSlowMoto = async (cpu: number, latencyMs: number): Promise<SlowMoto> => {
  const moto = await startMotoServer({
    command: 'python3',
    args: (port) => [SERIALIZED_MOTO, '127.0.0.1', String(port)],
    cpu,
    readyTimeoutMs: 20_000,
  });
  const proxy = await startLatencyProxy(moto.endpoint, latencyMs);
  return {
    endpoint: proxy.endpoint,
    stop: async () => {
      await proxy.close();
      await moto.stop();
    },
  };
};
