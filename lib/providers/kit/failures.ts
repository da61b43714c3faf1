// How a cloud's replies are read, from its description: which replies the retry layer retries
// (rejected credentials once, throttling and 500/502/503/504 with backoff), and what a final
// non-2xx reply means (its failure rules, in order; then any 5xx is UpstreamUnavailable and
// anything else UpstreamBadResponse).

import type { ErrorName, OperationName } from '../../errors/error-table.js';
import { errorNamed, type ImageError, type UpstreamFacts } from '../../errors/errors.js';
import type { Verdict } from '../../http/retry.js';
import type { RawResponse } from '../../http/transport.js';
import type { CloudDescription, FailureRule, ProviderError } from './cloud.js';
import { quote, redacted } from './reply.js';

/** Statuses the retry layer retries (other 5xx answers are final: retrying 501 changes nothing). */
export const RETRIED_SERVER_STATUSES: ReadonlySet<number> = new Set([500, 502, 503, 504]);

/**
 * The cloud's gateway or service gave up waiting (ModelArts documents 408 `ModelArts.6100`): retried
 * as a server fault is, and `UpstreamUnavailable` when it persists.
 */
const REQUEST_TIMEOUT = 408;

type Protocol = CloudDescription<unknown, unknown>['protocol'];

/**
 * What the clouds document as an error code (`ModelArts.6797`, `APIG.0308`, `NoSuchObject`) and a
 * request id: anything else in those fields (text, a key echoed back, a line break) is not
 * repeated into an answer, a log line or an event.
 */
const CODE_SHAPE = /^[A-Za-z0-9._:-]{1,64}$/;
const REQUEST_ID_SHAPE = /^[A-Za-z0-9._:/+=-]{1,128}$/;

const shaped = (value: string | undefined, shape: RegExp): string | undefined =>
  value !== undefined && shape.test(value) ? value : undefined;

/** The cloud's error reply, its code and request id kept only when they look like one. */
const errorOf = (protocol: Protocol, body: string): ProviderError => {
  const error = protocol.parseError(body);
  return {
    ...error,
    code: shaped(error.code, CODE_SHAPE),
    requestId: shaped(error.requestId, REQUEST_ID_SHAPE),
  };
};

export const classifyReply = (protocol: Protocol, response: RawResponse): Verdict => {
  if (response.status >= 200 && response.status < 300) return { kind: 'final' };
  const { code } = errorOf(protocol, response.body);
  if (
    protocol.authStatuses.includes(response.status) ||
    (code !== undefined && protocol.authCodes.has(code))
  ) {
    return { kind: 'auth', code };
  }
  if (response.status === 429 || (code !== undefined && protocol.throttleCodes.has(code))) {
    return { kind: 'throttled', code };
  }
  if (RETRIED_SERVER_STATUSES.has(response.status) || response.status === REQUEST_TIMEOUT) {
    return { kind: 'transient', code };
  }
  return { kind: 'final' };
};

/** The reply's request id: its header, else the error body's (read only when needed). */
const requestIdIn = (
  protocol: Protocol,
  response: RawResponse,
  error: () => ProviderError,
): string | undefined =>
  shaped(response.headers[protocol.requestIdHeader], REQUEST_ID_SHAPE) ?? error().requestId;

export const requestIdOf = (protocol: Protocol, response: RawResponse): string | undefined =>
  requestIdIn(protocol, response, () => errorOf(protocol, response.body));

const matches = (
  rule: FailureRule,
  status: number,
  code: string | undefined,
  operation: OperationName,
): boolean =>
  (rule.operations === undefined || rule.operations.includes(operation)) &&
  (rule.status === undefined || rule.status.includes(status)) &&
  (rule.codes === undefined || (code !== undefined && rule.codes.has(code))) &&
  (rule.codePattern === undefined || (code !== undefined && rule.codePattern.test(code)));

export interface FailureSubject {
  key: string;
  label: string;
  operation: OperationName;
  /** The image the call was about, when it was about one. */
  imageId?: string | undefined;
  attempts: number;
  secrets: readonly (string | undefined)[];
}

const message = (
  name: ErrorName,
  subject: FailureSubject,
  status: number,
  error: ProviderError,
  quoted: string,
  /** The code is one the cloud gives for credentials or signatures (not for a permission). */
  credentialCode: boolean,
): string => {
  const code = error.code ?? '';
  const what = subject.imageId === undefined ? '' : ` image ${subject.imageId}`;
  switch (name) {
    case 'ImageNotFound':
      return `${subject.key}${what} does not exist`;
    case 'UpstreamAuthFailed':
      // The gateway's own text can echo request details: keep only its code. A 403 is as often a
      // permission the key lacks (ModelArts' ListAllNotebooks, say) as a refused signature.
      return status === 403 && !credentialCode
        ? `${subject.label} refused our key the ${subject.operation} call${what ? ` for${what}` : ''} (${code || `HTTP ${status}`}): check the key's permissions, the credentials and the clock`
        : `${subject.label} rejected our credentials or signature (${code || `HTTP ${status}`})`;
    case 'ImageBusy':
      return `${subject.label} cannot ${subject.operation}${what} now${quoted}`;
    case 'ImageProtected':
      return `${subject.label} refuses to ${subject.operation}${what}${quoted}`;
    case 'UpstreamUnavailable':
      return `${subject.label} answered ${subject.operation} with HTTP ${status}${code ? ` ${code}` : ''}`;
    default:
      return `${subject.label} answered ${subject.operation} with HTTP ${status}${code ? ` ${code}` : ''}, which it does not document`;
  }
};

/** The error a final non-2xx reply is, by the cloud's failure rules. */
export const failureOf = (
  protocol: Protocol,
  response: RawResponse,
  subject: FailureSubject,
): ImageError => {
  const raw = errorOf(protocol, response.body);
  // The cloud's code and request id go into our message, answer and log line: a cloud that put a
  // credential or signature of ours there must not make us repeat it (their shape alone allows it).
  const clean = (value: string | undefined) =>
    value === undefined ? undefined : redacted(value, subject.secrets);
  const error = { ...raw, code: clean(raw.code) };
  const { status } = response;
  const upstream: UpstreamFacts = {
    provider: subject.key,
    status,
    code: error.code,
    requestId: clean(requestIdIn(protocol, response, () => raw)),
    attempts: subject.attempts,
  };
  const rule = protocol.rules.find((candidate) =>
    matches(candidate, status, error.code, subject.operation),
  );
  const name: ErrorName =
    rule?.error ?? (status >= 500 && status < 600 ? 'UpstreamUnavailable' : 'UpstreamBadResponse');
  const quoted = rule?.quote === true ? quote(error.message, subject.secrets) : '';
  const credentialCode = error.code !== undefined && protocol.authCodes.has(error.code);
  return errorNamed(name, message(name, subject, status, error, quoted, credentialCode), {
    upstream,
  });
};
