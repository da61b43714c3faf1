// Control API routes over the records: images (with delete counts, readiness, shares and
// references), notebooks and instances. The route list is in control.ts.

import * as z from 'zod';
import type { RecordStore } from './record-store.js';
import type { EmulatorState } from './state.js';
import type { BccImageRecord, ModelArtsImageRecord, ProviderKey } from './types.js';

export interface ControlReply {
  status: number;
  body?: unknown;
}

/** The request body: parsed JSON (undefined when empty) or not JSON at all. */
export type ControlBody = { ok: true; value: unknown } | { ok: false };

export const badRequest = (error: string, issues?: unknown): ControlReply => ({
  status: 400,
  body: issues === undefined ? { error } : { error, issues },
});
export const notFound: ControlReply = { status: 404, body: { error: 'not found' } };
export const noContent: ControlReply = { status: 204 };

const providerSchema = z.enum(['modelarts', 'bcc']);
const imageSchema = z
  .object({ id: z.string().min(1).optional(), status: z.string(), type: z.string() })
  .passthrough();
const notebookSchema = z
  .object({
    id: z.string().min(1).optional(),
    name: z.string().optional(),
    status: z.string().optional(),
    image: z.object({ id: z.string().min(1) }).passthrough(),
    // The IAM user who owns it (absent: the demo user): ListNotebooks shows only the caller's.
    user: z
      .object({ id: z.string().min(1) })
      .passthrough()
      .optional(),
  })
  .passthrough();
const instanceSchema = z
  .object({
    id: z.string().min(1).optional(),
    name: z.string().optional(),
    status: z.string().optional(),
    imageId: z.string().min(1),
  })
  .passthrough();
const readyAfterSchema = z.object({ gets: z.number().int().min(0) }).strict();
const sharesSchema = z.object({ sharedWith: z.array(z.string().min(1)) }).strict();
const referenceSchema = z
  .object({
    id: z.string().min(1).optional(),
    name: z.string().optional(),
    status: z.string().optional(),
  })
  .strict();

const parsed = <T>(
  body: ControlBody,
  schema: z.ZodType<T>,
  what: string,
): { ok: true; value: T } | { ok: false; reply: ControlReply } => {
  if (!body.ok) return { ok: false, reply: badRequest('body is not JSON') };
  const result = schema.safeParse(body.value);
  return result.success
    ? { ok: true, value: result.data }
    : { ok: false, reply: badRequest(`invalid ${what}`, result.error.issues) };
};

/** GET (list or one), PUT (upsert, id from the path) and DELETE on one store. */
const recordRoutes = <R extends { id: string }>(
  store: RecordStore<R>,
  schema: z.ZodType<object>,
  what: string,
  method: string,
  id: string | undefined,
  body: ControlBody,
): ControlReply => {
  if (id === undefined) return method === 'GET' ? { status: 200, body: store.list() } : notFound;
  switch (method) {
    case 'GET': {
      const record = store.get(id);
      return record === undefined ? notFound : { status: 200, body: record };
    }
    case 'PUT': {
      const input = parsed(body, schema, what);
      if (!input.ok) return input.reply;
      const given: unknown = Reflect.get(input.value, 'id');
      if (given !== undefined && given !== id)
        return badRequest('record id differs from the path id');
      store.set({ ...input.value, id } as unknown as R);
      return { status: 200, body: store.get(id) };
    }
    case 'DELETE':
      return store.delete(id) ? noContent : notFound;
    default:
      return notFound;
  }
};

export const handleNotebooks = (
  state: EmulatorState,
  method: string,
  segments: readonly string[],
  body: ControlBody,
): ControlReply =>
  segments.length > 1
    ? notFound
    : recordRoutes(state.notebooks, notebookSchema, 'notebook record', method, segments[0], body);

export const handleInstances = (
  state: EmulatorState,
  method: string,
  segments: readonly string[],
  body: ControlBody,
): ControlReply =>
  segments.length > 1
    ? notFound
    : recordRoutes(state.instances, instanceSchema, 'instance record', method, segments[0], body);

export const handleImages = (
  state: EmulatorState,
  method: string,
  segments: readonly string[],
  body: ControlBody,
): ControlReply => {
  const [providerText, id, action, ...extra] = segments;
  const provider = providerSchema.safeParse(providerText);
  if (!provider.success || extra.length > 0) return notFound;
  const key: ProviderKey = provider.data;
  const store: RecordStore<ModelArtsImageRecord> | RecordStore<BccImageRecord> =
    key === 'modelarts' ? state.modelarts : state.bcc;
  if (action === undefined) {
    return recordRoutes<ModelArtsImageRecord | BccImageRecord>(
      store as RecordStore<ModelArtsImageRecord | BccImageRecord>,
      imageSchema,
      'image record',
      method,
      id,
      body,
    );
  }
  if (id === undefined) return notFound;

  switch (`${method} ${action}`) {
    case 'GET delete-count':
      return { status: 200, body: { deleteCount: state.deleteCount(key, id) } };
    case 'POST ready-after': {
      const input = parsed(body, readyAfterSchema, 'ready-after');
      if (!input.ok) return input.reply;
      state.readyAfterGets(key, id, input.value.gets);
      return noContent;
    }
    case 'PUT shares': {
      if (key !== 'bcc') return notFound;
      const input = parsed(body, sharesSchema, 'shares');
      if (!input.ok) return input.reply;
      state.bcc.share(id, input.value.sharedWith);
      return noContent;
    }
    case 'GET references':
      return { status: 200, body: state.referencesTo(key, id) };
    case 'POST references': {
      const input = parsed(
        body.ok && body.value === undefined ? { ok: true, value: {} } : body,
        referenceSchema,
        'reference',
      );
      if (!input.ok) return input.reply;
      const created = state.referenceImage(key, id, input.value);
      return created === undefined ? notFound : { status: 201, body: created };
    }
    default:
      return notFound;
  }
};
