// The official Node signer (@huaweicloud/huaweicloud-sdk-core AKSKSigner) as an independent oracle:
// turns an OutboundRequest into the SDK's own request shape and returns its Authorization header.
//
// How AKSKSigner.sign reads its input (auth/AKSKSigner.js, 3.1.211):
// - path: `url.parse(request.endpoint, true).pathname`, taken as *decoded* text and encoded per
//   segment by the signer itself (HcClient substitutes path params unencoded). A string endpoint
//   cannot carry every decoded path: url.parse auto-escapes space, `'`, `^`, `|`, `{`, `}`, `<`, `>`,
//   `"` and backtick (which the signer then encodes again, `%2520`), cuts at `?`/`#` and turns `\`
//   into `/`. url.parse returns a `Url` instance unchanged, so we hand it one whose pathname is the
//   decoded path: the signer's canonicalisation sees exactly what ours does.
// - host: `request.headers.host` (exact key), else `parsedUrl.host`, which keeps an explicit
//   default port (`:443`) where the Host header would not; callers use origins without one.
// - query: `request.queryParams` object; keys sorted raw with `Array.sort()`, array values sorted
//   raw, then each `k=v` encoded. The endpoint's own query is ignored.
// - headers: every header given is signed, values untrimmed; `X-Sdk-Date` and
//   `X-Sdk-Content-Sha256` are read by exact key.
// - body: `JSON.stringify(request.data)` when `data` is truthy, else the empty-body hash.

import { parse, type Url } from 'node:url';
import { AKSKSigner } from '@huaweicloud/huaweicloud-sdk-core/auth/AKSKSigner.js';
import { BasicCredentials } from '@huaweicloud/huaweicloud-sdk-core/auth/BasicCredentials.js';
import { formatSdkDate, type HuaweiSigningCredentials } from '../../lib/signing/huawei-sdk-hmac.js';
import type { OutboundRequest } from '../../lib/wire/outbound-request.js';

const endpointWithDecodedPath = (origin: string, path: string): Url => {
  const endpoint = parse(origin);
  endpoint.pathname = path;
  return endpoint;
};

const queryParams = (query: OutboundRequest['query']): Record<string, string[]> => {
  const grouped = new Map<string, string[]>();
  for (const [key, value] of query) grouped.set(key, [...(grouped.get(key) ?? []), value]);
  return Object.fromEntries(grouped);
};

const jsonData = (body: string): object | undefined => {
  if (body === '') return undefined;
  const data: unknown = JSON.parse(body);
  if (typeof data !== 'object' || data === null || JSON.stringify(data) !== body) {
    throw new Error('the SDK signer can only hash a body that is JSON.stringify of an object');
  }
  return data;
};

/** The Authorization header the official SDK computes for `request` signed at `now`. */
export const officialAuthorization = (
  request: OutboundRequest,
  credentials: HuaweiSigningCredentials,
  now: Date,
): string => {
  const sdkCredentials = new BasicCredentials()
    .withAk(credentials.accessKeyId)
    .withSk(credentials.secretAccessKey)
    .withSecurityToken(credentials.securityToken)
    .withProjectId(credentials.projectId);

  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    headers[name.toLowerCase() === 'host' ? 'host' : name] = value;
  }
  headers['X-Sdk-Date'] = formatSdkDate(now);
  // What BaseCredentials.addAuthHeaders (protected) adds before signing.
  const securityToken = sdkCredentials.getSecurityToken();
  if (securityToken) headers['X-Security-Token'] = securityToken;
  const pathParams: Record<string, unknown> = sdkCredentials.getPathParams();
  const authParam = pathParams[sdkCredentials.getAuthParamName()];
  if (typeof authParam === 'string' && authParam !== '') {
    headers[sdkCredentials.getAuthHeaderName()] = authParam;
  }

  const signed: Record<string, unknown> = AKSKSigner.sign(
    {
      method: request.method,
      endpoint: endpointWithDecodedPath(request.origin, request.path),
      queryParams: queryParams(request.query),
      headers,
      data: jsonData(request.body),
    },
    sdkCredentials,
  );
  const authorization = signed.Authorization;
  if (typeof authorization !== 'string') throw new Error('the SDK returned no Authorization');
  return authorization;
};

/** The official signer fed a plain string endpoint, as HcClient does (for url.parse-safe paths). */
export const officialAuthorizationForUrl = (
  method: string,
  endpoint: string,
  queryParams: Record<string, string | string[]>,
  headers: Record<string, string>,
  credentials: HuaweiSigningCredentials,
): string => {
  const sdkCredentials = new BasicCredentials()
    .withAk(credentials.accessKeyId)
    .withSk(credentials.secretAccessKey);
  const signed: Record<string, unknown> = AKSKSigner.sign(
    { method, endpoint, queryParams, headers },
    sdkCredentials,
  );
  const authorization = signed.Authorization;
  if (typeof authorization !== 'string') throw new Error('the SDK returned no Authorization');
  return authorization;
};
