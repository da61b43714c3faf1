// Signatures per second of our signers and of the official SDK signers, each on its own normal
// path: ours as the exchange calls it (a fresh Date per request), Huawei's AKSKSigner as HcClient
// calls it (no X-Sdk-Date given: it reads the clock with moment and adds the header itself),
// Baidu's Auth as BceBaseClient.createSignature calls it (Date.now(), x-bce-date set, a new Auth,
// the default headers to sign). Before anything is timed, both are checked to give the same
// signature for the same inputs at a fixed time.

import sdk from '@baiducloud/sdk';
import { AKSKSigner } from '@huaweicloud/huaweicloud-sdk-core/auth/AKSKSigner.js';
import { BasicCredentials } from '@huaweicloud/huaweicloud-sdk-core/auth/BasicCredentials.js';
import { DEMO_BCC, DEMO_MODELARTS } from '../emulator/demo.js';
import { formatBceTimestamp, signBceAuthV1 } from '../lib/signing/bce-auth-v1.js';
import { formatSdkDate, signSdkHmacSha256 } from '../lib/signing/huawei-sdk-hmac.js';
import type { OutboundRequest } from '../lib/wire/outbound-request.js';
import { BCC_IMAGE_ID, IMAGE_ID } from './lib/fixtures.js';
import { median } from './lib/stats.js';

const NOW = new Date('2026-01-15T10:20:30Z');

interface Signer {
  name: string;
  /** Signs input `i` and returns its Authorization header. */
  sign(i: number): string;
}

interface Contest {
  scheme: string;
  inputs: number;
  /** Normal paths, timed. */
  ours: Signer;
  official: Signer;
  /** The same signers at the fixed time NOW, for the equality check only. */
  oursAtNow: Signer;
  officialAtNow: Signer;
  /** The part of the two Authorization headers that must be equal. */
  comparable(authorization: string): string;
}

// ---------------------------------------------------------------------------------------------
// Huawei SDK-HMAC-SHA256: ModelArts show, and delete with force (query + JSON body).

const huaweiOrigin = 'https://modelarts.cn-north-4.myhuaweicloud.com';
const huaweiPath = `/v1/${DEMO_MODELARTS.projectId}/images/${IMAGE_ID}`;
const huaweiInputs: OutboundRequest[] = [
  {
    method: 'GET',
    origin: huaweiOrigin,
    path: huaweiPath,
    query: [],
    headers: { 'Content-Type': 'application/json' },
    body: '',
  },
  {
    method: 'DELETE',
    origin: huaweiOrigin,
    path: huaweiPath,
    query: [['force', 'true']],
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ is_force: true }),
  },
];
const huaweiCredentials = {
  accessKeyId: DEMO_MODELARTS.accessKeyId,
  secretAccessKey: DEMO_MODELARTS.secretAccessKey,
  projectId: DEMO_MODELARTS.projectId,
};
const sdkHuaweiCredentials = new BasicCredentials()
  .withAk(DEMO_MODELARTS.accessKeyId)
  .withSk(DEMO_MODELARTS.secretAccessKey)
  .withProjectId(DEMO_MODELARTS.projectId);
// The official signer's input for the same requests: what HcClient hands it (headers incl. the
// date and project id it adds, the query as an object, the body as the object it stringifies).
const sdkHuaweiInputs = huaweiInputs.map((input) => ({
  method: input.method,
  endpoint: `${input.origin}${input.path}`,
  queryParams: Object.fromEntries(input.query),
  headers: {
    ...input.headers,
    'X-Sdk-Date': formatSdkDate(NOW),
    'X-Project-Id': DEMO_MODELARTS.projectId,
  },
  data: input.body === '' ? undefined : (JSON.parse(input.body) as object),
}));

// HcClient's own request: no X-Sdk-Date, so AKSKSigner takes the time itself.
const sdkHuaweiNormalInputs = sdkHuaweiInputs.map((input) => {
  const { 'X-Sdk-Date': _date, ...headers } = input.headers;
  return { ...input, headers };
});

const huawei: Contest = {
  scheme: 'Huawei SDK-HMAC-SHA256',
  inputs: huaweiInputs.length,
  ours: {
    name: 'signSdkHmacSha256 (new Date() per request)',
    sign: (i) =>
      signSdkHmacSha256(huaweiInputs[i] as OutboundRequest, huaweiCredentials, new Date())
        .Authorization ?? '',
  },
  official: {
    name: '@huaweicloud/huaweicloud-sdk-core AKSKSigner.sign (no X-Sdk-Date: its own clock)',
    sign: (i) => {
      const input = sdkHuaweiNormalInputs[i];
      if (input === undefined) throw new RangeError(`no input ${i}`);
      const signed: Record<string, unknown> = AKSKSigner.sign(
        { ...input, headers: { ...input.headers } },
        sdkHuaweiCredentials,
      );
      return String(signed.Authorization);
    },
  },
  oursAtNow: {
    name: 'signSdkHmacSha256 at NOW',
    sign: (i) =>
      signSdkHmacSha256(huaweiInputs[i] as OutboundRequest, huaweiCredentials, NOW).Authorization ??
      '',
  },
  officialAtNow: {
    name: 'AKSKSigner.sign with X-Sdk-Date NOW',
    sign: (i) => {
      const input = sdkHuaweiInputs[i];
      if (input === undefined) throw new RangeError(`no input ${i}`);
      const signed: Record<string, unknown> = AKSKSigner.sign(input, sdkHuaweiCredentials);
      return String(signed.Authorization);
    },
  },
  comparable: (authorization) => authorization,
};

// ---------------------------------------------------------------------------------------------
// Baidu bce-auth-v1: BCC show and delete.

const bccHost = 'bcc.bj.baidubce.com';
const bccInputs: OutboundRequest[] = (['GET', 'DELETE'] as const).map((method) => ({
  method,
  origin: `https://${bccHost}`,
  path: `/v2/image/${BCC_IMAGE_ID}`,
  query: [],
  headers: { 'Content-Type': 'application/json; charset=utf-8' },
  body: '',
}));
const bccCredentials = {
  accessKeyId: DEMO_BCC.accessKeyId,
  secretAccessKey: DEMO_BCC.secretAccessKey,
};
const bceAuth = new sdk.Auth(DEMO_BCC.accessKeyId, DEMO_BCC.secretAccessKey);
const seconds = Math.floor(NOW.getTime() / 1000);
const sdkBccHeaders = {
  host: bccHost,
  'Content-Type': 'application/json; charset=utf-8',
  'x-bce-date': formatBceTimestamp(NOW),
};

const baidu: Contest = {
  scheme: 'Baidu bce-auth-v1',
  inputs: bccInputs.length,
  ours: {
    name: 'signBceAuthV1 (new Date() per request)',
    sign: (i) =>
      signBceAuthV1(bccInputs[i] as OutboundRequest, bccCredentials, new Date()).Authorization ??
      '',
  },
  official: {
    name: '@baiducloud/sdk as BceBaseClient.createSignature calls Auth.generateAuthorization',
    sign: (i) => {
      const input = bccInputs[i] as OutboundRequest;
      const revisionTimestamp = Date.now();
      const headers: Record<string, string> = {
        host: bccHost,
        'Content-Type': 'application/json; charset=utf-8',
        'x-bce-date': new Date(revisionTimestamp).toISOString().replace(/\.\d+Z$/, 'Z'),
      };
      return new sdk.Auth(DEMO_BCC.accessKeyId, DEMO_BCC.secretAccessKey).generateAuthorization(
        input.method,
        input.path,
        {},
        headers,
        revisionTimestamp / 1000,
      );
    },
  },
  oursAtNow: {
    name: 'signBceAuthV1 at NOW',
    sign: (i) =>
      signBceAuthV1(bccInputs[i] as OutboundRequest, bccCredentials, NOW).Authorization ?? '',
  },
  officialAtNow: {
    name: '@baiducloud/sdk Auth.generateAuthorization at NOW',
    sign: (i) => {
      const input = bccInputs[i] as OutboundRequest;
      return bceAuth.generateAuthorization(
        input.method,
        input.path,
        {},
        sdkBccHeaders,
        seconds,
        1800,
        ['host', 'content-type'],
      );
    },
  },
  // The SDK lists the signed headers in its own order; the signature itself must match.
  comparable: (authorization) => authorization.split('/').at(-1) ?? '',
};

// ---------------------------------------------------------------------------------------------

export interface SigningRun {
  oursPerSecond: number;
  officialPerSecond: number;
  ratio: number;
}

export interface SigningSummary {
  scheme: string;
  ours: string;
  official: string;
  iterationsPerRun: number;
  runs: SigningRun[];
  median: SigningRun;
}

/** Seconds to sign `iterations` inputs (cycling through them). */
const timeBatch = (signer: Signer, iterations: number, inputs: number): number => {
  let sink = 0;
  const started = performance.now();
  for (let i = 0; i < iterations; i++) sink += signer.sign(i % inputs).length;
  const seconds = (performance.now() - started) / 1000;
  if (sink === 0) throw new Error(`${signer.name} produced nothing`);
  return seconds;
};

/**
 * Each run alternates the two signers in short batches (about `batchMs` each, `batches` of each),
 * so that a change in machine load lands on both alike; the rate is total signatures / total time.
 */
const contest = (
  subject: Contest,
  options: { runs: number; batches: number; batchMs: number; warmupMs: number },
): SigningSummary => {
  for (let i = 0; i < subject.inputs; i++) {
    const ours = subject.comparable(subject.oursAtNow.sign(i));
    const official = subject.comparable(subject.officialAtNow.sign(i));
    if (ours !== official) {
      throw new Error(`${subject.scheme}: input ${i} signs differently:\n${ours}\n${official}`);
    }
  }
  // Warm-up (JIT) of both for about `warmupMs`, then size the batches on the slower signer.
  const warmUntil = performance.now() + options.warmupMs;
  while (performance.now() < warmUntil) {
    timeBatch(subject.ours, 500, subject.inputs);
    timeBatch(subject.official, 500, subject.inputs);
  }
  const slowestPerSecond = Math.min(
    2_000 / timeBatch(subject.ours, 2_000, subject.inputs),
    2_000 / timeBatch(subject.official, 2_000, subject.inputs),
  );
  const batch = Math.max(100, Math.round((slowestPerSecond * options.batchMs) / 1000));
  const results: SigningRun[] = [];
  for (let run = 0; run < options.runs; run++) {
    let oursSeconds = 0;
    let officialSeconds = 0;
    for (let b = 0; b < options.batches; b++) {
      if ((run + b) % 2 === 0) {
        oursSeconds += timeBatch(subject.ours, batch, subject.inputs);
        officialSeconds += timeBatch(subject.official, batch, subject.inputs);
      } else {
        officialSeconds += timeBatch(subject.official, batch, subject.inputs);
        oursSeconds += timeBatch(subject.ours, batch, subject.inputs);
      }
    }
    const ours = (batch * options.batches) / oursSeconds;
    const official = (batch * options.batches) / officialSeconds;
    results.push({ oursPerSecond: ours, officialPerSecond: official, ratio: ours / official });
  }
  return {
    scheme: subject.scheme,
    ours: subject.ours.name,
    official: subject.official.name,
    iterationsPerRun: batch * options.batches,
    runs: results,
    median: {
      oursPerSecond: median(results.map((run) => run.oursPerSecond)),
      officialPerSecond: median(results.map((run) => run.officialPerSecond)),
      ratio: median(results.map((run) => run.ratio)),
    },
  };
};

export const SIGNING_TARGET = 3;

export const signing = (options: {
  runs: number;
  batches: number;
  batchMs: number;
  warmupMs: number;
}): SigningSummary[] => [contest(huawei, options), contest(baidu, options)];
