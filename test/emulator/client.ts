// Test-side client for the emulator: builds OutboundRequests, signs them with the project's real
// signers, and sends them over node:http on loopback exactly as built.

import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { DEMO_BCC, DEMO_MODELARTS } from '../../emulator/demo.js';
import { bceSignature, signBceAuthV1 } from '../../lib/signing/bce-auth-v1.js';
import {
  formatSdkDate,
  huaweiSignature,
  signSdkHmacSha256,
} from '../../lib/signing/huawei-sdk-hmac.js';
import { type OutboundRequest, wireUrl } from '../../lib/wire/outbound-request.js';

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** Send the request as built; rejects on socket errors and when `timeoutMs` passes without a reply. */
export const send = (request: OutboundRequest, timeoutMs = 2000): Promise<RawResponse> =>
  new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...request.headers };
    if (
      request.body !== '' &&
      !Object.keys(headers).some((h) => h.toLowerCase() === 'content-length')
    ) {
      headers['Content-Length'] = String(Buffer.byteLength(request.body));
    }
    const req = httpRequest(wireUrl(request), { method: request.method, headers, agent: false });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`timeout after ${timeoutMs} ms`)));
    req.on('error', reject);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('aborted', () => reject(new Error('response aborted')));
      res.on('end', () => {
        if (!res.complete) {
          reject(new Error('response incomplete'));
          return;
        }
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        });
      });
    });
    req.end(request.body === '' ? undefined : request.body);
  });

export const json = (response: RawResponse): unknown => JSON.parse(response.body);

export const modelArtsRequest = (
  origin: string,
  method: 'GET' | 'DELETE',
  imageId: string,
  options: {
    projectId?: string;
    query?: ReadonlyArray<readonly [string, string]>;
    body?: string;
    headers?: Record<string, string>;
  } = {},
): OutboundRequest => ({
  method,
  origin,
  path: `/v1/${options.projectId ?? DEMO_MODELARTS.projectId}/images/${imageId}`,
  query: options.query ?? [],
  headers: {
    ...(options.body === undefined ? {} : { 'Content-Type': 'application/json;charset=UTF-8' }),
    ...(options.headers ?? {}),
  },
  body: options.body ?? '',
});

export const bccRequest = (
  origin: string,
  method: 'GET' | 'DELETE',
  imageId: string,
  headers: Record<string, string> = {},
): OutboundRequest => ({
  method,
  origin,
  path: `/v2/image/${imageId}`,
  query: [],
  headers: { 'Content-Type': 'application/json; charset=utf-8', ...headers },
  body: '',
});

/** Signed with SDK-HMAC-SHA256 (every header signed, as the signer does). */
export const signedModelArts = (
  request: OutboundRequest,
  now: Date,
  credentials: { accessKeyId?: string; secretAccessKey?: string; projectId?: string } = {},
): OutboundRequest => ({
  ...request,
  headers: {
    ...request.headers,
    ...signSdkHmacSha256(
      request,
      {
        accessKeyId: credentials.accessKeyId ?? DEMO_MODELARTS.accessKeyId,
        secretAccessKey: credentials.secretAccessKey ?? DEMO_MODELARTS.secretAccessKey,
        projectId: credentials.projectId,
      },
      now,
    ),
  },
});

/** Signed with SDK-HMAC-SHA256 over exactly `signedHeaders` (to test what the gateway demands). */
export const signedModelArtsWith = (
  request: OutboundRequest,
  now: Date,
  signedHeaders: readonly string[],
): OutboundRequest => {
  const sdkDate = formatSdkDate(now);
  const headers = { ...request.headers, 'X-Sdk-Date': sdkDate };
  const signature = huaweiSignature(
    { ...request, headers },
    DEMO_MODELARTS.secretAccessKey,
    sdkDate,
    signedHeaders,
  );
  return {
    ...request,
    headers: {
      ...headers,
      Authorization: `SDK-HMAC-SHA256 Access=${DEMO_MODELARTS.accessKeyId}, SignedHeaders=${signedHeaders.join(';')}, Signature=${signature}`,
    },
  };
};

export const signedBcc = (
  request: OutboundRequest,
  now: Date,
  credentials: { accessKeyId?: string; secretAccessKey?: string } = {},
  options: { expirationSeconds?: number } = {},
): OutboundRequest => ({
  ...request,
  headers: {
    ...request.headers,
    ...signBceAuthV1(
      request,
      {
        accessKeyId: credentials.accessKeyId ?? DEMO_BCC.accessKeyId,
        secretAccessKey: credentials.secretAccessKey ?? DEMO_BCC.secretAccessKey,
      },
      now,
      options,
    ),
  },
});

/** Signed with bce-auth-v1 over exactly `signedHeaders` ([] = the server's default set). */
export const signedBccWith = (
  request: OutboundRequest,
  timestamp: string,
  signedHeaders: readonly string[],
): OutboundRequest => {
  const headers = { ...request.headers, 'x-bce-date': timestamp };
  const prefix = `bce-auth-v1/${DEMO_BCC.accessKeyId}/${timestamp}/1800`;
  const signature = bceSignature(
    { ...request, headers },
    DEMO_BCC.secretAccessKey,
    prefix,
    signedHeaders,
  );
  return {
    ...request,
    headers: { ...headers, Authorization: `${prefix}/${signedHeaders.join(';')}/${signature}` },
  };
};

/** Flip the last hex digit of the signature in the Authorization header. */
export const tamperSignature = (request: OutboundRequest): OutboundRequest => {
  const authorization = request.headers.Authorization ?? '';
  const last = authorization.slice(-1);
  return {
    ...request,
    headers: {
      ...request.headers,
      Authorization: `${authorization.slice(0, -1)}${last === '0' ? '1' : '0'}`,
    },
  };
};

/** Plain request to the control API. */
export const control = async (
  baseUrl: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: unknown }> => {
  const response = await fetch(`${baseUrl}/_emulator/${path}`, {
    method,
    headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text === '' ? undefined : JSON.parse(text) };
};

/** `GET /v1/{project}/{collection}?query` (ModelArts ListImage / ListNotebooks), unsigned. */
export const modelArtsListRequest = (
  origin: string,
  collection: 'images' | 'notebooks' | 'notebooks/all',
  query: ReadonlyArray<readonly [string, string]> = [],
): OutboundRequest => ({
  method: 'GET',
  origin,
  path: `/v1/${DEMO_MODELARTS.projectId}/${collection}`,
  query,
  headers: {},
  body: '',
});

/** `GET /v2/{collection}?query` (BCC image or instance list), unsigned. */
export const bccListRequest = (
  origin: string,
  collection: 'image' | 'instance',
  query: ReadonlyArray<readonly [string, string]> = [],
): OutboundRequest => ({
  method: 'GET',
  origin,
  path: `/v2/${collection}`,
  query,
  headers: { 'Content-Type': 'application/json; charset=utf-8' },
  body: '',
});
