// Checks against the OpenAPI document: the document itself (the official 3.1 schema, through
// @seriousme/openapi-schema-validator), every Schema Object in it (JSON Schema 2020-12, ajv), and
// an HTTP response (status documented, content type, body against the response schema, documented
// headers present). Shared by the in-process and the `npm start` tests.

import { Validator } from '@seriousme/openapi-schema-validator';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';

type Json = Record<string, unknown>;

export interface HttpAnswer {
  statusCode?: number | undefined;
  headers?: Record<string, string | number | boolean> | undefined;
  body?: string | undefined;
}

export interface Conformance {
  validateDocument(
    document: object,
  ): Promise<{ valid: boolean; errors?: unknown; version: string }>;
  /** How many Schema Objects the document holds (each compiled and meta-validated). */
  schemaCount(): number;
  /** The error codes a response schema allows at that status ([] when none). */
  errorCodes(path: string, method: string, status: string): string[];
  /** Throws, saying why, unless the response is one the document describes. */
  expectConforms(path: string, method: string, response: HttpAnswer): void;
}

const BASE = 'https://cloud-image-functions.test/openapi.json';

const pointer = (...segments: string[]): string =>
  segments
    .map((segment) => encodeURIComponent(segment.replace(/~/g, '~0').replace(/\//g, '~1')))
    .join('/');

const at = (value: unknown, ...keys: string[]): unknown => {
  let current = value;
  for (const key of keys) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Json)[key];
  }
  return current;
};

/** Pointers (from the document root) of every Schema Object outside components. */
const schemaPointers = (document: Json): string[][] => {
  const found: string[][] = [];
  const parameters = (base: string[], list: unknown) => {
    if (!Array.isArray(list)) return;
    list.forEach((_, index) => {
      found.push([...base, 'parameters', String(index), 'schema']);
    });
  };
  for (const [path, item] of Object.entries((document.paths ?? {}) as Json)) {
    parameters(['paths', path], at(item, 'parameters'));
    for (const method of ['get', 'put', 'post', 'delete', 'patch', 'head', 'options']) {
      const operation = at(item, method);
      if (operation === undefined) continue;
      const base = ['paths', path, method];
      parameters(base, at(operation, 'parameters'));
      for (const [status, response] of Object.entries((at(operation, 'responses') ?? {}) as Json)) {
        for (const type of Object.keys((at(response, 'content') ?? {}) as Json)) {
          found.push([...base, 'responses', status, 'content', type, 'schema']);
        }
        for (const header of Object.keys((at(response, 'headers') ?? {}) as Json)) {
          found.push([...base, 'responses', status, 'headers', header, 'schema']);
        }
      }
    }
  }
  return found;
};

export const openApiConformance = (document: object): Conformance => {
  const root = document as Json;
  // strict: false, because the document as a whole is not a schema (openapi, paths, ...); every
  // Schema Object in it is meta-validated against 2020-12 below.
  const ajv = new Ajv2020({
    strict: false,
    allErrors: true,
    // The two formats the document uses, checked (ajv only knows them through a plugin).
    formats: {
      date: /^\d{4}-\d{2}-\d{2}$/,
      'date-time': (value: string) =>
        /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(value) &&
        !Number.isNaN(Date.parse(value)),
    },
  });
  ajv.addSchema({ ...structuredClone(root), $id: BASE });

  const schemas = [
    ...Object.keys((at(root, 'components', 'schemas') ?? {}) as Json).map((name) => [
      'components',
      'schemas',
      name,
    ]),
    ...schemaPointers(root),
  ];
  const compiled = new Map<string, ValidateFunction>();
  for (const segments of schemas) {
    const schema = at(root, ...segments);
    if (!ajv.validateSchema(schema as object)) {
      throw new Error(`${segments.join(' > ')} is not JSON Schema 2020-12: ${ajv.errorsText()}`);
    }
    const key = pointer(...segments);
    compiled.set(key, ajv.compile({ $ref: `${BASE}#/${key}` }));
  }

  const operationOf = (path: string, method: string): Json => {
    const operation = at(root, 'paths', path, method);
    if (operation === undefined)
      throw new Error(`${method.toUpperCase()} ${path} is not documented`);
    return operation as Json;
  };

  return {
    validateDocument: async (candidate) => {
      const validator = new Validator();
      const result = await validator.validate(structuredClone(candidate) as Json);
      return { ...result, version: validator.version };
    },

    schemaCount: () => compiled.size,

    errorCodes: (path, method, status) => {
      const schema = at(
        operationOf(path, method),
        'responses',
        status,
        'content',
        'application/json',
        'schema',
      );
      if (schema === undefined) return [];
      const variants = (at(schema, 'oneOf') as unknown[] | undefined) ?? [schema];
      return variants.flatMap(
        (variant) =>
          (at(variant, 'properties', 'error', 'properties', 'code', 'enum') as string[]) ?? [],
      );
    },

    expectConforms: (path, method, response) => {
      const status = String(response.statusCode ?? 200);
      const documented = at(operationOf(path, method), 'responses', status) as Json | undefined;
      if (documented === undefined) {
        throw new Error(`${method.toUpperCase()} ${path}: status ${status} is not documented`);
      }
      const headers = Object.fromEntries(
        Object.entries(response.headers ?? {}).map(([name, value]) => [
          name.toLowerCase(),
          String(value),
        ]),
      );
      const contentType = (headers['content-type'] ?? '').split(';')[0]?.trim() ?? '';
      const content = (documented.content ?? {}) as Json;
      if (!(contentType in content)) {
        throw new Error(
          `${method.toUpperCase()} ${path} ${status}: content type '${contentType}' is not documented (${Object.keys(content).join(', ')})`,
        );
      }
      const validate = compiled.get(
        pointer('paths', path, method, 'responses', status, 'content', contentType, 'schema'),
      );
      if (validate === undefined) throw new Error(`no schema for ${method} ${path} ${status}`);
      const body: unknown =
        contentType === 'application/json' ? JSON.parse(response.body ?? 'null') : response.body;
      if (!validate(body)) {
        throw new Error(
          `${method.toUpperCase()} ${path} ${status}: the body does not conform: ${ajv.errorsText(validate.errors)}\n${response.body}`,
        );
      }
      for (const [name, header] of Object.entries((documented.headers ?? {}) as Json)) {
        const value = headers[name.toLowerCase()];
        if (value === undefined) {
          throw new Error(`${method.toUpperCase()} ${path} ${status}: header ${name} is missing`);
        }
        if (at(header, 'schema', 'type') === 'integer' && !/^\d+$/.test(value)) {
          throw new Error(
            `${method.toUpperCase()} ${path} ${status}: header ${name} is not an integer: ${value}`,
          );
        }
      }
    },
  };
};
