// The HTTP API's shapes (API Gateway HTTP API, payload format 2.0): path and query into operation
// inputs, results and errors into responses. Unknown query parameters are refused: a typo such as
// `dryrun=true` must never turn into a real delete.

import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { INTERNAL_ERROR } from '../errors/error-table.js';
import { InvalidRequest } from '../errors/errors.js';
import { regionSchema } from '../images/name-shapes.js';
import { traceIdOf } from '../runtime/invocation.js';
import { bounded } from '../runtime/request-line.js';
import { jsonTextRefusal, parseJsonText } from '../schema/json-text.js';
import * as z from '../schema/zod.js';
import { parseInput, queryFlagSchema } from '../validation/inputs.js';
import { documentedError, SUCCESS_WORD, type TriggerShape } from './pipeline.js';

export type HttpEvent = APIGatewayProxyEventV2;
export type HttpResult = APIGatewayProxyStructuredResultV2;

// Each route's query schema is built on its first parse: a function builds only its own route's.

export const showQuerySchema = z.builtOnFirstUse(() =>
  z.strictObject({ region: z.optional(regionSchema) }),
);
export const deleteQuerySchema = z.builtOnFirstUse(() =>
  z.strictObject({
    region: z.optional(regionSchema),
    force: z.optional(queryFlagSchema()),
    dryRun: z.optional(queryFlagSchema()),
  }),
);

/**
 * The list route's query. `status=available,failed` is one or more statuses, comma-separated;
 * `limit` a whole number, anything else refused rather than guessed.
 */
export const listQuerySchema = z.builtOnFirstUse(() => {
  const commaList = z.pipe(
    z.pipe(
      z.string(),
      z.transform((value) => value.split(',').map((item) => item.trim())),
    ),
    z.array(z.string()),
  );
  const queryInteger = z.pipe(
    z.string().check(z.regex(/^\d{1,7}$/, 'must be a whole number')),
    z.transform((value) => Number(value)),
  );
  const text = z.optional(z.string());
  return z.strictObject({
    region: z.optional(regionSchema),
    kind: text,
    status: z.optional(commaList),
    name: text,
    createdBefore: text,
    createdAfter: text,
    limit: z.optional(queryInteger),
    cursor: text,
  });
});

export const usageQuerySchema = z.builtOnFirstUse(() =>
  z.strictObject({
    region: z.optional(regionSchema),
    cursor: z.optional(z.string()),
  }),
);

/**
 * The query read with the route's schema, once it is known that no parameter the route takes one
 * value of came twice. API Gateway joins a repeated parameter's values with commas
 * (`dryRun=true&dryRun=true` arrives as `"true,true"`), which the schema would then refuse as a bad
 * value the caller never typed; a repeat is named as such instead. `status`, a list, takes a repeat
 * as more of it; a parameter the route does not take is left to the schema, which names it as
 * unknown.
 */
const parseQuery = <T>(
  schema: z.ZodMiniType<T> & { shape: Record<string, unknown> },
  event: HttpEvent,
): T => {
  const seen = new Set<string>();
  for (const name of new URLSearchParams(event.rawQueryString ?? '').keys()) {
    if (name === 'status' || !Object.hasOwn(schema.shape, name)) continue;
    if (seen.has(name)) {
      throw new InvalidRequest(`${name}: is given more than once; it takes one value`, {
        field: name,
      });
    }
    seen.add(name);
  }
  return parseInput(schema, event.queryStringParameters ?? {});
};

const pathOf = (event: HttpEvent) => ({
  provider: event.pathParameters?.provider,
  imageId: event.pathParameters?.imageId,
});

export const showRequestFromHttp = (event: HttpEvent): Record<string, unknown> => ({
  ...pathOf(event),
  ...refuseBody(event),
  ...parseQuery(showQuerySchema(), event),
});

export const deleteRequestFromHttp = (event: HttpEvent): Record<string, unknown> => ({
  ...pathOf(event),
  ...refuseBody(event),
  ...parseQuery(deleteQuerySchema(), event),
});

/** The query's shape only; the values are validated with the task input's schema next. */
export const listRequestFromHttp = (event: HttpEvent): Record<string, unknown> => ({
  provider: event.pathParameters?.provider,
  ...refuseBody(event),
  ...parseQuery(listQuerySchema(), event),
});

export const usageRequestFromHttp = (event: HttpEvent): Record<string, unknown> => ({
  ...pathOf(event),
  ...refuseBody(event),
  ...parseQuery(usageQuerySchema(), event),
});

/** The retirement routes take no query parameter: `?dryRun=true` on apply must be a 400, not a run. */
const noQuerySchema = z.builtOnFirstUse(() => z.strictObject({}));

/** A route that takes no query parameter (its input is its path, or its body): any is refused. */
export const refuseQuery = (event: HttpEvent): void => {
  parseInput(noQuerySchema(), event.queryStringParameters ?? {});
};

/**
 * A route that takes no body refuses one, so that `{"dryRun": true}` sent as a DELETE's body is a
 * 400, never a real delete (its flags are query parameters). Returns nothing to spread. `why` says
 * where the route's input is instead.
 */
export const refuseBody = (
  event: HttpEvent,
  why = 'its options are query parameters',
): Record<string, never> => {
  if (bodyTextOf(event).trim() !== '') {
    throw new InvalidRequest(`body: this route takes no body (${why})`, { field: 'body' });
  }
  return {};
};

/**
 * A route whose input is its path alone (read a plan or run, apply a plan): no query, no body. Its
 * refusal of a body names no query parameter, since it has none.
 */
export const refuseQueryAndBody = (event: HttpEvent): void => {
  refuseQuery(event);
  refuseBody(event, 'its only input is its path');
};

/** The request body as text (API Gateway may hand it over base64-encoded). */
export const bodyTextOf = (event: HttpEvent): string => {
  const body = event.body ?? '';
  return event.isBase64Encoded === true ? Buffer.from(body, 'base64').toString('utf8') : body;
};

/**
 * A JSON request body (a policy: the plan route's), or InvalidRequest naming `body` (no body, too
 * large, not JSON) or the path of a key written twice, whose value JSON.parse would have guessed.
 */
export const jsonBodyOf = (event: HttpEvent, maxBytes: number): unknown => {
  const text = bodyTextOf(event);
  if (text.trim() === '') throw new InvalidRequest('body: is required', { field: 'body' });
  if (Buffer.byteLength(text, 'utf8') > maxBytes) {
    throw new InvalidRequest(`body: must be at most ${maxBytes} bytes`, { field: 'body' });
  }
  const parsed = parseJsonText(text);
  if (parsed.ok) return parsed.value;
  const { field, message } = jsonTextRefusal(parsed.problem, text, 'body');
  throw new InvalidRequest(message, { field });
};

/**
 * Who signed the request: the caller's IAM ARN, which API Gateway puts in the request context of
 * an IAM-authorized route (absent locally, where serverless-offline authorizes nothing).
 */
export const callerOf = (event: HttpEvent): string | undefined => {
  // Optional as everywhere else here: a direct invocation need not carry a request context.
  const authorizer = (
    event.requestContext as { authorizer?: { iam?: { userArn?: unknown } } } | undefined
  )?.authorizer;
  const arn = authorizer?.iam?.userArn;
  return typeof arn === 'string' && arn !== '' ? arn : undefined;
};

/** An Accept-style header as its values (lower case) with their q-values, in the caller's order. */
const weighted = (header: string): Array<{ value: string; q: number }> =>
  header.split(',').map((part) => {
    const [value = '', ...params] = part.split(';').map((piece) => piece.trim().toLowerCase());
    const q = params.find((param) => param.startsWith('q='));
    const weight = q === undefined ? 1 : Number(q.slice(2));
    return { value, q: Number.isFinite(weight) ? weight : 0 };
  });

/** The highest q the header gives any of `values`, 0 when it names none. */
const weightOf = (entries: ReturnType<typeof weighted>, values: readonly string[]): number =>
  Math.max(0, ...entries.filter((entry) => values.includes(entry.value)).map((entry) => entry.q));

/**
 * The q-value an Accept header gives `type` (`text/html`): that of the most specific range naming
 * it (`text/html`, else `text/*`, else any type, as RFC 9110 says), with the entry that gave it
 * (for ties); q 0 when nothing names it.
 */
const acceptanceOf = (
  entries: ReturnType<typeof weighted>,
  type: string,
): { q: number; index: number } => {
  const ranges = [type, `${type.split('/')[0]}/*`, '*/*'];
  for (const range of ranges) {
    const index = entries.findIndex((entry) => entry.value === range);
    if (index >= 0) return { q: entries[index]?.q ?? 0, index };
  }
  return { q: 0, index: -1 };
};

/**
 * Whether the caller asked for HTML over JSON (a browser does): text/html (or `text/*`) with a
 * q-value above application/json's, or equal and listed first; `q=0` means not at all, and a caller
 * that takes anything alike (curl's default, any type) gets JSON.
 */
export const prefersHtml = (event: HttpEvent): boolean => {
  const entries = weighted(event.headers?.accept ?? event.headers?.Accept ?? '');
  const html = acceptanceOf(entries, 'text/html');
  const json = acceptanceOf(entries, 'application/json');
  if (html.q === 0 || html.q < json.q) return false;
  if (html.q > json.q) return true;
  return html.index < json.index;
};

export const htmlResponse = (
  statusCode: number,
  html: string,
  headers: Record<string, string> = {},
): HttpResult => ({
  statusCode,
  headers: { 'content-type': 'text/html; charset=utf-8', ...headers },
  body: html,
});

/**
 * Bodies larger than this go gzipped to a caller that accepts gzip. Lambda refuses a response over
 * 6 MB, and a plan as JSON passes that at about 15,000 images (3.9 MiB at 10,000); gzipped, such a
 * plan is about a tenth of that.
 */
export const COMPRESS_ABOVE_BYTES = 1_048_576;

/**
 * Whether Accept-Encoding allows gzip: listed with a q-value other than 0, or, when not listed,
 * `*` so (RFC 9110: `*` stands for the codings the header does not name).
 */
export const acceptsGzip = (event: HttpEvent): boolean => {
  const header = event.headers?.['accept-encoding'] ?? event.headers?.['Accept-Encoding'] ?? '';
  const entries = weighted(header);
  const named = entries.some((entry) => entry.value === 'gzip');
  return weightOf(entries, [named ? 'gzip' : '*']) > 0;
};

/**
 * Lambda refuses to return a response larger than this (the whole result as JSON, its body a string
 * in it): API Gateway would answer a bare 500 and the caller learn nothing.
 */
export const LAMBDA_RESPONSE_LIMIT_BYTES = 6_291_456;

/** More than a result's status and headers take, beside its body. */
const RESULT_HEADROOM_BYTES = 65_536;

/** MiB with one decimal, for messages. */
const mebibytes = (bytes: number): string => `${(bytes / 1_048_576).toFixed(1)} MiB`;

/**
 * A large response gzipped (base64, as API Gateway expects binary bodies) for a caller that accepts
 * it. `subject` names what the answer holds, for the refusal of one Lambda could not return (too
 * large as it is, or even gzipped): `InvalidRequest` saying how to ask for it.
 */
export const compressedFor = (
  event: HttpEvent,
  response: HttpResult,
  subject: string,
): HttpResult => {
  const { body } = response;
  if (typeof body !== 'string' || response.isBase64Encoded === true) return response;
  // Added to what the response already varies with (the plan route's Accept: JSON or the report).
  const varies = response.headers?.vary;
  const vary = {
    vary:
      typeof varies === 'string' && varies !== ''
        ? `${varies}, accept-encoding`
        : 'accept-encoding',
  };
  const gzip = Buffer.byteLength(body) > COMPRESS_ABOVE_BYTES && acceptsGzip(event);
  const answer: HttpResult = gzip
    ? {
        ...response,
        headers: { ...response.headers, ...vary, 'content-encoding': 'gzip' },
        // zlib is loaded only when a body is this large, not during every function's INIT.
        body: process.getBuiltinModule('node:zlib').gzipSync(body).toString('base64'),
        isBase64Encoded: true,
      }
    : { ...response, headers: { ...response.headers, ...vary } };
  // Serialising the whole result costs a copy of the body: only near the limit. A character of the
  // body takes up to six bytes in the result (a control character or a lone surrogate is written
  // `\u0001`; CJK takes three), and the status and headers take room of their own.
  const size =
    (answer.body?.length ?? 0) * 6 + RESULT_HEADROOM_BYTES < LAMBDA_RESPONSE_LIMIT_BYTES
      ? 0
      : Buffer.byteLength(JSON.stringify(answer));
  if (size > LAMBDA_RESPONSE_LIMIT_BYTES) {
    throw new InvalidRequest(
      gzip
        ? `${subject}: the answer is ${mebibytes(size)} even gzipped, more than a function may return (${mebibytes(LAMBDA_RESPONSE_LIMIT_BYTES)})`
        : `${subject}: the answer is ${mebibytes(size)}, more than a function may return (${mebibytes(LAMBDA_RESPONSE_LIMIT_BYTES)}); ask for it gzipped (Accept-Encoding: gzip, as curl --compressed sends)`,
    );
  }
  return answer;
};

/**
 * The Lambda request id: unique everywhere (serverless-offline gives every event the same
 * requestContext.requestId) and the one CloudWatch shows beside our log line.
 */
export const requestIdOf = (event: HttpEvent, awsRequestId: string | undefined): string =>
  awsRequestId ?? event.requestContext?.requestId ?? 'unknown';

/** Every error response's body (the OpenAPI document derives its per-status schemas from it). */
export const errorBodySchema = z.builtOnFirstUse(() =>
  z.object({
    error: z.object({
      code: z.string(),
      message: z.string(),
      requestId: z.string(),
      /** The provider's own request id, when it sent one. */
      upstreamRequestId: z.optional(z.string()),
    }),
  }),
);
export type ErrorBody = z.infer<ReturnType<typeof errorBodySchema>>;

/**
 * The response jsonResponse built last, with the value its body serialises (see bodyValueOf).
 * One slot, not a WeakMap: a Lambda process answers one request at a time, and a WeakMap entry
 * per response costs the collector an ephemeron each; anything else falls back to parsing.
 */
let lastBuilt: { response: HttpResult; text: string; value: unknown } | undefined;

export const jsonResponse = (
  statusCode: number,
  body: unknown,
  headers: Record<string, string> = {},
): HttpResult => {
  const text = JSON.stringify(body);
  const response: HttpResult = {
    statusCode,
    headers: { 'content-type': 'application/json', ...headers },
    body: text,
  };
  lastBuilt = { response, text, value: body };
  return response;
};

/**
 * `JSON.parse(response.body)` without parsing: the value jsonResponse serialised, when this is the
 * response it built last and it still carries that serialisation (otherwise the body is parsed).
 */
export const bodyValueOf = (response: HttpResult & { body: string }): unknown => {
  const built = lastBuilt;
  if (built?.response === response) lastBuilt = undefined;
  return built?.response === response && built.text === response.body
    ? built.value
    : JSON.parse(response.body);
};

/** The spec's error body (plus `upstreamRequestId` when known); anything that is not one of our errors is a bug and says nothing more. */
export const errorResponse = (thrown: unknown, requestId: string): HttpResult => {
  const error = documentedError(thrown);
  if (error === undefined) {
    const body: ErrorBody = {
      error: { code: INTERNAL_ERROR.code, message: 'internal error', requestId },
    };
    return jsonResponse(INTERNAL_ERROR.httpStatus, body);
  }
  const headers: Record<string, string> =
    error.retryAfterSeconds === undefined ? {} : { 'retry-after': String(error.retryAfterSeconds) };
  // The provider's own request id, when it sent one, lets an operator trace the call on their side.
  const upstreamRequestId = error.upstream?.requestId;
  const body: ErrorBody = {
    error: {
      code: error.code,
      message: error.message,
      requestId,
      ...(upstreamRequestId === undefined ? {} : { upstreamRequestId }),
    },
  };
  return jsonResponse(error.httpStatus, body, headers);
};

/** API Gateway gives up on an integration at 30 s. */
const HTTP_CAP_MS = 29_000;

export const HTTP_TRIGGER: TriggerShape<HttpEvent, HttpResult> = {
  trigger: 'http',
  capMs: HTTP_CAP_MS,
  fieldsOf: (event, context) => ({
    requestId: requestIdOf(event, context.awsRequestId),
    correlationId: bounded(event.requestContext?.requestId),
    traceId: traceIdOf(bounded(event.headers?.['x-amzn-trace-id'])),
    provider: bounded(event.pathParameters?.provider),
    imageId: bounded(event.pathParameters?.imageId),
    region: bounded(event.queryStringParameters?.region),
    planId: bounded(event.pathParameters?.planId),
    runId: bounded(event.pathParameters?.runId),
    identity: callerOf(event),
  }),
  outcomeOf: (response, operation) => {
    if (response === null || response === undefined || typeof response.body !== 'string') {
      return 'unknown';
    }
    if ((response.statusCode ?? 200) >= 300) return 'unknown';
    if (response.isBase64Encoded === true) return SUCCESS_WORD[operation];
    if (!String(response.headers?.['content-type'] ?? '').startsWith('application/json')) {
      return SUCCESS_WORD[operation];
    }
    const body = bodyValueOf(response as HttpResult & { body: string }) as { outcome?: unknown };
    return typeof body?.outcome === 'string' ? body.outcome : SUCCESS_WORD[operation];
  },
  answer: (request, error, fields) => {
    request.response = errorResponse(error, String(fields.requestId));
  },
};
