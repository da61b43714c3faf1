// The HTTP control API under `/_emulator/`, for tests that run the emulator in another process.
// No signature needed. Every reply is JSON (or empty for 204).
//
//   GET    /_emulator/health                              → {"ok": true}
//   POST   /_emulator/reset                               → 204 (images re-seeded; faults, requests, lockouts cleared)
//   GET    /_emulator/faults                              → [InjectedFault]
//   POST   /_emulator/faults          body: Fault         → 201 InjectedFault | 400 {"error","issues"}
//   DELETE /_emulator/faults                              → 204
//   GET    /_emulator/requests                            → [RecordedRequest]
//   DELETE /_emulator/requests                            → 204
//   GET    /_emulator/images/{provider}                   → [record]
//   GET    /_emulator/images/{provider}/{id}              → record | 404
//   PUT    /_emulator/images/{provider}/{id}  body: record → 200 record (id filled from the path)
//   DELETE /_emulator/images/{provider}/{id}              → 204 | 404 (removed; not counted as a delete)
//   GET    /_emulator/images/{provider}/{id}/delete-count → {"deleteCount": n}
//   POST   /_emulator/images/{provider}/{id}/ready-after  body: {"gets": n} → 204
//   PUT    /_emulator/images/bcc/{id}/shares  body: {"sharedWith": [account...]} → 204

import { z } from 'zod';
import { parseFault } from './faults.js';
import type { RunningEmulator } from './server.js';
import type { BccImageRecord, ModelArtsImageRecord, ProviderKey } from './types.js';

export interface ControlReply {
  status: number;
  body?: unknown;
}

const providerSchema = z.enum(['modelarts', 'bcc']);
const recordSchema = z
  .object({ id: z.string().min(1).optional(), status: z.string(), type: z.string() })
  .passthrough();
const readyAfterSchema = z.object({ gets: z.number().int().min(0) }).strict();
const sharesSchema = z.object({ sharedWith: z.array(z.string().min(1)) }).strict();

const badRequest = (error: string, issues?: unknown): ControlReply => ({
  status: 400,
  body: issues === undefined ? { error } : { error, issues },
});
const notFound: ControlReply = { status: 404, body: { error: 'not found' } };
const noContent: ControlReply = { status: 204 };

const parseJson = (text: string): { ok: true; value: unknown } | { ok: false } => {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
};

export const handleControl = (
  emulator: RunningEmulator,
  method: string,
  segments: readonly string[],
  bodyText: string,
): ControlReply => {
  const [resource, ...rest] = segments;
  const body = (): { ok: true; value: unknown } | { ok: false } =>
    bodyText.trim() === '' ? { ok: true, value: undefined } : parseJson(bodyText);

  switch (`${method} ${resource ?? ''}${rest.length > 0 ? '/*' : ''}`) {
    case 'GET health':
      return { status: 200, body: { ok: true } };
    case 'POST reset':
      emulator.reset();
      return noContent;
    case 'GET faults':
      return { status: 200, body: emulator.faults.list() };
    case 'POST faults': {
      const parsed = body();
      if (!parsed.ok) return badRequest('body is not JSON');
      try {
        return { status: 201, body: emulator.faults.inject(parseFault(parsed.value)) };
      } catch (error) {
        return badRequest(
          'invalid fault',
          error instanceof z.ZodError ? error.issues : String(error),
        );
      }
    }
    case 'DELETE faults':
      emulator.faults.clear();
      return noContent;
    case 'GET requests':
      return { status: 200, body: emulator.requests };
    case 'DELETE requests':
      emulator.requests.length = 0;
      return noContent;
    case 'GET images/*':
    case 'PUT images/*':
    case 'POST images/*':
    case 'DELETE images/*':
      return handleImages(emulator, method, rest, body);
    default:
      return notFound;
  }
};

const handleImages = (
  emulator: RunningEmulator,
  method: string,
  segments: readonly string[],
  body: () => { ok: true; value: unknown } | { ok: false },
): ControlReply => {
  const [providerText, id, action, ...extra] = segments;
  const provider = providerSchema.safeParse(providerText);
  if (!provider.success || extra.length > 0) return notFound;
  const key: ProviderKey = provider.data;
  const { state } = emulator;
  const store = key === 'modelarts' ? state.modelarts : state.bcc;

  if (id === undefined) {
    return method === 'GET' ? { status: 200, body: store.list() } : notFound;
  }
  const parsedBody = (): { ok: true; value: unknown } | { ok: false; reply: ControlReply } => {
    const parsed = body();
    return parsed.ok ? parsed : { ok: false, reply: badRequest('body is not JSON') };
  };

  switch (`${method} ${action ?? ''}`) {
    case 'GET ': {
      const record = store.get(id);
      return record === undefined ? notFound : { status: 200, body: record };
    }
    case 'PUT ': {
      const parsed = parsedBody();
      if (!parsed.ok) return parsed.reply;
      const record = recordSchema.safeParse(parsed.value);
      if (!record.success) return badRequest('invalid image record', record.error.issues);
      if (record.data.id !== undefined && record.data.id !== id) {
        return badRequest('record id differs from the path id');
      }
      const full = { ...record.data, id };
      if (key === 'modelarts') state.modelarts.set(full as ModelArtsImageRecord);
      else state.bcc.set(full as BccImageRecord);
      return { status: 200, body: store.get(id) };
    }
    case 'DELETE ':
      return store.delete(id) ? noContent : notFound;
    case 'GET delete-count':
      return { status: 200, body: { deleteCount: state.deleteCount(key, id) } };
    case 'POST ready-after': {
      const parsed = parsedBody();
      if (!parsed.ok) return parsed.reply;
      const options = readyAfterSchema.safeParse(parsed.value);
      if (!options.success) return badRequest('expected {"gets": n}', options.error.issues);
      state.readyAfterGets(key, id, options.data.gets);
      return noContent;
    }
    case 'PUT shares': {
      if (key !== 'bcc') return notFound;
      const parsed = parsedBody();
      if (!parsed.ok) return parsed.reply;
      const options = sharesSchema.safeParse(parsed.value);
      if (!options.success)
        return badRequest('expected {"sharedWith": [...]}', options.error.issues);
      state.bcc.share(id, options.data.sharedWith);
      return noContent;
    }
    default:
      return notFound;
  }
};
