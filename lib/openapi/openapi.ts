// The HTTP API's OpenAPI 3.1 document, generated from the zod schemas the handlers use: the
// Image / show / DeleteResult bodies (lib/images/image.ts), the path and query validation
// (lib/validation.ts, lib/triggers/http.ts), the error body (lib/triggers/http.ts) and the error
// table (lib/errors.ts) for the status codes. Nothing here is a hand-kept copy of a schema.
//
// `npm run openapi` writes it to docs/openapi.json (a test fails when that file is stale);
// GET /openapi.json serves it (functions/http/openapi.ts).

import packageJson from '../../package.json' with { type: 'json' };
import {
  ERROR_NAMES,
  ERROR_TABLE,
  type ErrorName,
  INTERNAL_ERROR,
  type OperationName,
} from '../errors/error-table.js';
import { deleteResultSchema, imageSchema, showResultSchema } from '../images/image.js';
import { usageResultSchema } from '../images/usage.js';
import { allClouds } from '../providers/registry.js';
import { planSchema } from '../retirement/plan.js';
import { policySchema } from '../retirement/policy.js';
import { applyAcceptedSchema, runDocumentSchema } from '../retirement/ports.js';
import { ISO_INSTANT_EXAMPLES } from '../schema/iso-time.js';
import * as z from '../schema/zod.js';
import {
  deleteQuerySchema,
  errorBodySchema,
  showQuerySchema,
  usageQuerySchema,
} from '../triggers/http.js';
import {
  listInputSchema,
  planRefSchema,
  runRefSchema,
  showInputSchema,
} from '../validation/inputs.js';

/** A page of images: what the list route answers. */
const imageListSchema = z.object({
  images: z.array(imageSchema),
  /** Present when there is more: pass it back as `cursor` with the same provider, region, filter and limit. */
  nextCursor: z.optional(z.string()),
});

type JsonSchema = Record<string, unknown>;

interface TableRow {
  name: string;
  code: string;
  httpStatus: number;
}

/** The table's rows an operation can raise, and the generic one for a bug. */
const errorsOf = (operation: OperationName): TableRow[] => [
  ...ERROR_NAMES.filter((name: ErrorName) =>
    (ERROR_TABLE[name].raisedBy as readonly OperationName[]).includes(operation),
  ).map((name) => ({
    name,
    code: ERROR_TABLE[name].code,
    httpStatus: ERROR_TABLE[name].httpStatus,
  })),
  INTERNAL_ERROR,
];

/** zod's JSON Schema without the document-level keys (`$schema`, `$id`) a component must not carry. */
const bare = (schema: JsonSchema): JsonSchema => {
  const { $schema: _schema, $id: _id, ...rest } = schema;
  return rest;
};

const ref = (name: string): JsonSchema => ({ $ref: `#/components/schemas/${name}` });

/** The named schemas, with references between them. */
const componentSchemas = (): Record<string, JsonSchema> => {
  const registry = z.registry<{ id: string }>();
  registry.add(imageSchema, { id: 'Image' });
  registry.add(showResultSchema, { id: 'ShowResult' });
  registry.add(deleteResultSchema, { id: 'DeleteResult' });
  registry.add(imageListSchema, { id: 'ImageList' });
  registry.add(usageResultSchema, { id: 'UsageResult' });
  registry.add(errorBodySchema(), { id: 'ErrorBody' });
  registry.add(planSchema, { id: 'Plan' });
  registry.add(applyAcceptedSchema, { id: 'ApplyAccepted' });
  registry.add(runDocumentSchema, { id: 'RunDocument' });
  const { schemas } = z.toJSONSchema(registry, {
    target: 'draft-2020-12',
    uri: (id) => `#/components/schemas/${id}`,
  });
  const named = Object.fromEntries(
    Object.entries(schemas).map(([name, schema]) => [name, bare(schema as JsonSchema)]),
  );
  return {
    ...named,
    // What callers send: fields with defaults are optional (the rest is what the API answers).
    Policy: bare(
      z.toJSONSchema(policySchema, { io: 'input', target: 'draft-2020-12' }) as JsonSchema,
    ),
    // What API Gateway itself answers (no or a bad signature: 403; its throttling: 429).
    GatewayError: {
      type: 'object',
      properties: { message: { type: 'string' } },
      required: ['message'],
      description: "API Gateway's own error body, before the function runs.",
    },
  };
};

/** The error body with `code` narrowed to the codes of one status. */
const errorBodyWith = (codes: readonly [string, ...string[]]): JsonSchema =>
  bare(
    z.toJSONSchema(
      z.object({ error: z.extend(errorBodySchema().shape.error, { code: z.enum(codes) }) }),
      { target: 'draft-2020-12' },
    ) as JsonSchema,
  );

const json = (schema: JsonSchema) => ({ 'application/json': { schema } });

/** The error responses of an operation, one per status, each listing its codes. */
const errorResponses = (operation: OperationName): Record<string, JsonSchema> => {
  const errors = errorsOf(operation);
  const statuses = [...new Set(errors.map((error) => error.httpStatus))].sort((a, b) => a - b);
  const responses: Record<string, JsonSchema> = {};
  for (const status of statuses) {
    const here = errors.filter((error) => error.httpStatus === status);
    const codes = here.map((error) => error.code) as [string, ...string[]];
    const names = here.map((error) => `\`${error.code}\` (${error.name})`).join(', ');
    const body = errorBodyWith(codes);
    const viaGateway = status === 403;
    responses[String(status)] = {
      description: viaGateway
        ? `${names}; or API Gateway's \`{"message": "Forbidden"}\` when the request is not signed with SigV4 by a principal allowed to invoke it.`
        : names,
      content: json(viaGateway ? { oneOf: [body, ref('GatewayError')] } : body),
      ...(here.some(
        (error) => error.name in ERROR_TABLE && ERROR_TABLE[error.name as ErrorName].retryAfter,
      )
        ? {
            headers: {
              'Retry-After': {
                description: 'Seconds to wait before trying again.',
                schema: { type: 'integer', minimum: 0 },
              },
            },
          }
        : {}),
    };
  }
  if (responses['403'] === undefined) {
    responses['403'] = {
      description:
        'API Gateway: the request is not signed with SigV4 by a principal allowed to invoke it.',
      content: json(ref('GatewayError')),
    };
  }
  responses['429'] = {
    description: "API Gateway's throttling (the stage's rate or burst limit).",
    content: json(ref('GatewayError')),
  };
  return responses;
};

/** Query parameters from a strict zod object: one parameter per property (`descriptions` first). */
const queryParameters = (
  schema: z.ZodMiniType,
  descriptions: Record<string, string> = {},
): JsonSchema[] => {
  const object = bare(z.toJSONSchema(schema, { io: 'input' }) as JsonSchema) as {
    properties: Record<string, JsonSchema>;
    required?: string[];
  };
  return Object.entries(object.properties).map(([name, property]) => ({
    name,
    in: 'query',
    required: object.required?.includes(name) ?? false,
    description: descriptions[name] ?? QUERY_DESCRIPTIONS[name] ?? '',
    schema: property,
  }));
};

/** What createdBefore and createdAfter take (lib/schema/iso-time.ts). */
const ISO_TIME_DESCRIPTION = `an ISO 8601 date (midnight UTC), or date and time of day (hh, hh:mm, hh:mm:ss, fractions of a second; or their basic forms hhmm, hhmmss) with Z or an offset (±hh, ±hh:mm, ±hhmm), e.g. ${ISO_INSTANT_EXAMPLES}. In a URL query, write the + of an offset as %2B.`;

const QUERY_DESCRIPTIONS: Record<string, string> = {
  region:
    "The provider's region; default: the provider's configured default region. Only regions of the provider's endpoint table (or any, with an endpoint override).",
  force: 'ModelArts only: also delete the image content in SWR.',
  dryRun: 'Run every check and delete nothing.',
  kind: 'Only images of this kind.',
  status: 'Only images in one of these statuses (comma-separated, e.g. `available,failed`).',
  name: 'Only images whose name matches this glob (`*` any run of characters, `?` one).',
  createdBefore: `Only images created before this time: ${ISO_TIME_DESCRIPTION}`,
  createdAfter: `Only images created after this time: ${ISO_TIME_DESCRIPTION}`,
  limit: 'At most this many images (1 to 1000, default 100).',
  cursor:
    "The previous page's `nextCursor`: valid only with the same provider, region, filter and limit (else 400).",
};

/** The list route's query: the task input's filter fields, as query strings. */
const listQueryParameters = (): JsonSchema[] => {
  const input = bare(z.toJSONSchema(listInputSchema(), { io: 'input' }) as JsonSchema) as {
    properties: Record<string, JsonSchema>;
  };
  return Object.entries(input.properties)
    .filter(([name]) => name !== 'provider')
    .map(([name, property]) => ({
      name,
      in: 'query',
      required: false,
      description: QUERY_DESCRIPTIONS[name] ?? '',
      schema: name === 'status' ? { type: 'string' } : property,
      ...(name === 'status' ? { explode: false, style: 'form' } : {}),
    }));
};

/** `provider` and `imageId` from the input schema the handlers validate with. */
const pathParameters = (): JsonSchema[] => {
  const input = bare(z.toJSONSchema(showInputSchema(), { io: 'input' }) as JsonSchema) as {
    properties: Record<string, JsonSchema>;
  };
  const clouds = allClouds();
  const formats = clouds.map((cloud) => `${cloud.key}: ${cloud.imageId.description}`).join('; ');
  return [
    {
      name: 'provider',
      in: 'path',
      required: true,
      description: 'The cloud holding the image.',
      schema: { type: 'string', enum: clouds.map((cloud) => cloud.key) },
    },
    {
      name: 'imageId',
      in: 'path',
      required: true,
      description: `The provider's image ID (${formats}).`,
      schema: input.properties.imageId,
    },
  ];
};

/** `{planId}` or `{runId}`, from the schema the handlers validate with. */
const refParameter = (schema: z.ZodMiniType, name: string, description: string): JsonSchema => {
  const object = bare(z.toJSONSchema(schema, { io: 'input' }) as JsonSchema) as {
    properties: Record<string, JsonSchema>;
  };
  return { name, in: 'path', required: true, description, schema: object.properties[name] };
};

/** The `{planId}` of the read and apply routes. */
const planIdParameter = (): JsonSchema =>
  refParameter(planRefSchema, 'planId', 'The plan ID (`plan-` and 24 hex digits).');

const location = (what: string): JsonSchema => ({
  Location: { description: `The ${what}'s path.`, schema: { type: 'string' } },
});

const UNKNOWN_PARAMETERS =
  'Unknown query parameters are refused (400), so that a typo can never change what a request does.';

export type OpenApiDocument = Record<string, unknown> & { openapi: '3.1.0' };

/** The OpenAPI 3.1 document of the HTTP API. */
export const buildOpenApiDocument = (): OpenApiDocument => ({
  openapi: '3.1.0',
  info: {
    title: 'cloud-image-functions',
    version: packageJson.version,
    summary:
      'Show, list and delete machine images at Huawei Cloud ModelArts and Baidu BCC; plan and apply their retirement.',
    description: `${packageJson.description} Every route requires IAM authorization (SigV4, service \`execute-api\`) when deployed. Errors are \`{"error": {"code", "message", "requestId"}}\`, plus \`upstreamRequestId\` when the provider sent one; the codes per status are those of the spec's error table (${ERROR_NAMES.join(', ')}).`,
  },
  servers: [
    {
      url: 'https://{apiId}.execute-api.{region}.amazonaws.com',
      description: 'Deployed (API Gateway HTTP API, IAM authorization)',
      variables: {
        apiId: { default: 'api-id', description: 'The HTTP API id (osls info)' },
        region: { default: 'eu-central-1' },
      },
    },
    { url: 'http://127.0.0.1:3000', description: '`npm start` (no authorization locally)' },
  ],
  security: [{ sigv4: [] }],
  paths: {
    '/images/{provider}/{imageId}': {
      parameters: pathParameters(),
      get: {
        operationId: 'showImage',
        summary: 'Show an image',
        description: UNKNOWN_PARAMETERS,
        parameters: queryParameters(showQuerySchema()),
        responses: {
          '200': { description: 'The image, normalised.', content: json(ref('ShowResult')) },
          ...errorResponses('show'),
        },
      },
      delete: {
        operationId: 'deleteImage',
        summary: 'Delete an image',
        description: `Built-in, shared and operator-protected images are refused (403) before anything is deleted; an image still being created is 409. Over HTTP a missing image is a 404 (queues and workflows get \`already-absent\`). ${UNKNOWN_PARAMETERS}`,
        parameters: queryParameters(deleteQuerySchema()),
        responses: {
          '200': {
            description: '`deleted` or `dry-run`, with the image.',
            content: json(ref('DeleteResult')),
          },
          ...errorResponses('delete'),
        },
      },
    },
    '/images/{provider}': {
      parameters: [pathParameters()[0]],
      get: {
        operationId: 'listImages',
        summary: 'List images',
        description: `One page of the provider's images in a region, filtered; follow \`nextCursor\` to page through (each image exactly once while the list does not change: a listing is consistent page by page, and an image deleted or created on ModelArts between two of its upstream pages may make it miss one or hand one out again). A listing running out of time answers what it has with a cursor to go on. ${UNKNOWN_PARAMETERS}`,
        parameters: listQueryParameters(),
        responses: {
          '200': { description: 'A page of images.', content: json(ref('ImageList')) },
          ...errorResponses('list'),
        },
      },
    },
    '/images/{provider}/{imageId}/usage': {
      parameters: pathParameters(),
      get: {
        operationId: 'imageUsage',
        summary: 'What uses an image',
        description: `ModelArts notebooks or BCC instances running the image, found by scanning their lists. \`complete: false\` (with \`nextCursor\`) when the scan ran out of time, or its list kept moving while it read it (a list that moved is read again from its start, twice at most): then \`inUse: false\` only means none found so far. ${UNKNOWN_PARAMETERS}`,
        parameters: queryParameters(usageQuerySchema(), {
          cursor:
            "The previous answer's `nextCursor` (a scan cut short by time): valid only with the same provider, image and region (else 400).",
        }),
        responses: {
          '200': { description: 'The usage.', content: json(ref('UsageResult')) },
          ...errorResponses('usage'),
        },
      },
    },
    '/retirements/plans': {
      post: {
        operationId: 'createPlan',
        summary: 'Plan a retirement policy',
        description:
          'Lists the images the policy selects, checks each one for use, and decides per image: `retire`, `keep` or `deferred`, each with its reason. Deletes nothing. The plan is stored (and a `Retirement Planned` event published); `complete: false` when an inventory or usage scan ran out of time, or its list kept moving while it read it (a list that moved is read again from its start, twice at most): then nothing it could not see is retired.',
        requestBody: {
          required: true,
          description: 'The policy (JSON, at most 256 KiB).',
          content: json(ref('Policy')),
        },
        responses: {
          '201': {
            description: 'The plan.',
            headers: location('plan'),
            content: json(ref('Plan')),
          },
          ...errorResponses('plan'),
        },
      },
    },
    '/retirements/plans/{planId}': {
      parameters: [planIdParameter()],
      get: {
        operationId: 'getPlan',
        summary: 'Read a plan',
        description:
          'The stored plan as JSON, or with `Accept: text/html` the self-contained report for people to review (totals, every decision and its reason).',
        responses: {
          '200': {
            description: 'The plan.',
            content: {
              ...json(ref('Plan')),
              'text/html': { schema: { type: 'string', description: 'The plan report.' } },
            },
          },
          ...errorResponses('read-plan'),
        },
      },
    },
    '/retirements/plans/{planId}/apply': {
      parameters: [planIdParameter()],
      post: {
        operationId: 'applyPlan',
        summary: 'Apply a plan',
        description:
          'Queues one delete per `retire` decision and answers at once with the run. Each image is checked again before it is deleted (changed since the plan, now in use, or protected: `skipped` with the reason); every decision ends in exactly one outcome and one event. Applying a plan again starts a run that deletes nothing already deleted.',
        responses: {
          '202': {
            description: 'The run, accepted.',
            headers: location('run'),
            content: json(ref('ApplyAccepted')),
          },
          ...errorResponses('apply'),
        },
      },
    },
    '/retirements/runs/{runId}': {
      parameters: [refParameter(runRefSchema, 'runId', 'The run ID (`run-` and 20 hex digits).')],
      get: {
        operationId: 'getRun',
        summary: 'Follow a run',
        description: 'The run (counts, status) and every outcome recorded so far.',
        responses: {
          '200': { description: 'The run.', content: json(ref('RunDocument')) },
          ...errorResponses('read-run'),
        },
      },
    },
    '/openapi.json': {
      get: {
        operationId: 'openApiDocument',
        summary: 'This document',
        responses: {
          '200': {
            description: 'The OpenAPI 3.1 document of this API.',
            content: json({ type: 'object' }),
          },
          '400': {
            description:
              '`INVALID_REQUEST` (InvalidRequest): a query parameter or a body (this route takes neither).',
            content: json(errorBodyWith(['INVALID_REQUEST'])),
          },
          '403': {
            description: 'API Gateway: the request is not signed with SigV4.',
            content: json(ref('GatewayError')),
          },
        },
      },
    },
  },
  components: {
    schemas: componentSchemas(),
    securitySchemes: {
      sigv4: {
        type: 'apiKey',
        name: 'Authorization',
        in: 'header',
        description:
          'AWS Signature Version 4 for the service `execute-api` (e.g. `awscurl --service execute-api`); the caller needs `execute-api:Invoke` on the route.',
        'x-amazon-apigateway-authtype': 'awsSigv4',
      },
    },
  },
});
