// The HTTP control API under `/_emulator/`, for tests that run the emulator in another process.
// No signature needed; control requests are not recorded. Every reply is JSON (or empty for 204).
// This list is the one reference for it:
//
//   GET    /_emulator/health                              → {"ok": true}
//   POST   /_emulator/reset                               → 204 (as started: records re-seeded; faults,
//                                                            requests, lockouts, rate counters cleared;
//                                                            settings and rate limits as configured)
//   GET    /_emulator/settings                            → {"modelartsOffset", "rateLimit", "seed"}
//   GET    /_emulator/modelarts-offset                    → {"mode": "records" | "pages"}
//   PUT    /_emulator/modelarts-offset  body: {"mode"}     → 200 {"mode"}
//   POST   /_emulator/seed      body: SeedSpec             → 200 StateCounts (records = demo + generated)
//   GET    /_emulator/rate-limit                          → {"limits": RateLimitOptions, "counters": [RateLimitCounter]}
//   PUT    /_emulator/rate-limit  body: RateLimitOptions   → 200 {"limits"} ({} = no limit)
//   DELETE /_emulator/rate-limit/counters                 → 204
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
//   GET    /_emulator/images/{provider}/{id}/references   → [notebook | instance] using the image
//   POST   /_emulator/images/{provider}/{id}/references   body: {"id"?, "name"?, "status"?}
//                                                          → 201 the new notebook (modelarts) or
//                                                            instance (bcc) using it | 404
//   GET    /_emulator/notebooks                           → [NotebookRecord]
//   GET    /_emulator/notebooks/{id}                      → NotebookRecord | 404
//   PUT    /_emulator/notebooks/{id}  body: NotebookRecord → 200 record (needs "image": {"id"};
//                                                          "user": {"id"} for another IAM user's)
//   DELETE /_emulator/notebooks/{id}                      → 204 | 404
//   GET    /_emulator/instances                           → [BccInstanceRecord]
//   GET    /_emulator/instances/{id}                      → BccInstanceRecord | 404
//   PUT    /_emulator/instances/{id}  body: BccInstanceRecord → 200 record (needs "imageId")
//   DELETE /_emulator/instances/{id}                      → 204 | 404

import * as z from 'zod';
import {
  badRequest,
  type ControlBody,
  type ControlReply,
  handleImages,
  handleInstances,
  handleNotebooks,
  noContent,
  notFound,
} from './control-records.js';
import { parseFault } from './faults.js';
import { modelArtsOffsetModeSchema, rateLimitOptionsSchema, seedSpecSchema } from './options.js';
import type { RunningEmulator } from './running-emulator.js';

export type { ControlReply } from './control-records.js';

const offsetBodySchema = z.object({ mode: modelArtsOffsetModeSchema }).strict();

const parseJson = (text: string): ControlBody => {
  if (text.trim() === '') return { ok: true, value: undefined };
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
};

/** Parse the body with `schema`, then act on it. */
const withBody = <T>(
  body: ControlBody,
  schema: z.ZodType<T>,
  what: string,
  act: (value: T) => ControlReply,
): ControlReply => {
  if (!body.ok) return badRequest('body is not JSON');
  const parsed = schema.safeParse(body.value ?? {});
  return parsed.success ? act(parsed.data) : badRequest(`invalid ${what}`, parsed.error.issues);
};

/** The control routes, as the index at `GET /_emulator/` lists them (the header above explains each). */
export const CONTROL_ROUTES: readonly string[] = [
  'GET /_emulator/health',
  'POST /_emulator/reset',
  'GET /_emulator/settings',
  'GET /_emulator/modelarts-offset',
  'PUT /_emulator/modelarts-offset',
  'POST /_emulator/seed',
  'GET /_emulator/rate-limit',
  'PUT /_emulator/rate-limit',
  'DELETE /_emulator/rate-limit/counters',
  'GET /_emulator/faults',
  'POST /_emulator/faults',
  'DELETE /_emulator/faults',
  'GET /_emulator/requests',
  'DELETE /_emulator/requests',
  'GET /_emulator/images/{provider}',
  'GET /_emulator/images/{provider}/{id}',
  'PUT /_emulator/images/{provider}/{id}',
  'DELETE /_emulator/images/{provider}/{id}',
  'GET /_emulator/images/{provider}/{id}/delete-count',
  'POST /_emulator/images/{provider}/{id}/ready-after',
  'PUT /_emulator/images/bcc/{id}/shares',
  'GET /_emulator/images/{provider}/{id}/references',
  'POST /_emulator/images/{provider}/{id}/references',
  'GET /_emulator/notebooks',
  'GET /_emulator/notebooks/{id}',
  'PUT /_emulator/notebooks/{id}',
  'DELETE /_emulator/notebooks/{id}',
  'GET /_emulator/instances',
  'GET /_emulator/instances/{id}',
  'PUT /_emulator/instances/{id}',
  'DELETE /_emulator/instances/{id}',
];

export const handleControl = (
  emulator: RunningEmulator,
  method: string,
  segments: readonly string[],
  bodyText: string,
): ControlReply => {
  const [resource, ...rest] = segments;
  const body = parseJson(bodyText);

  switch (`${method} ${resource ?? ''}${rest.length > 0 ? `/${rest.join('/')}` : ''}`) {
    case 'GET ':
      // What the banner names as the control API: the routes, so that the address leads somewhere.
      return { status: 200, body: { routes: CONTROL_ROUTES } };
    case 'GET health':
      return { status: 200, body: { ok: true } };
    case 'POST reset':
      emulator.reset();
      return noContent;
    case 'GET settings':
      return {
        status: 200,
        body: {
          modelartsOffset: emulator.settings.modelartsOffset,
          rateLimit: emulator.rateLimit.limits,
          seed: emulator.state.configuredSeed,
        },
      };
    case 'GET modelarts-offset':
      return { status: 200, body: { mode: emulator.settings.modelartsOffset } };
    case 'PUT modelarts-offset':
      return withBody(body, offsetBodySchema, 'offset mode', ({ mode }) => {
        emulator.settings.modelartsOffset = mode;
        return { status: 200, body: { mode } };
      });
    case 'POST seed':
      return withBody(body, seedSpecSchema, 'seed', (spec) => ({
        status: 200,
        body: emulator.seed(spec),
      }));
    case 'GET rate-limit':
      return {
        status: 200,
        body: { limits: emulator.rateLimit.limits, counters: emulator.rateLimit.counters() },
      };
    case 'PUT rate-limit':
      return withBody(body, rateLimitOptionsSchema, 'rate limit', (limits) => {
        emulator.rateLimit.set(limits);
        return { status: 200, body: { limits: emulator.rateLimit.limits } };
      });
    case 'DELETE rate-limit/counters':
      emulator.rateLimit.clearCounters();
      return noContent;
    case 'GET faults':
      return { status: 200, body: emulator.faults.list() };
    case 'POST faults': {
      if (!body.ok) return badRequest('body is not JSON');
      try {
        return { status: 201, body: emulator.faults.inject(parseFault(body.value)) };
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
    default:
      break;
  }
  switch (resource) {
    case 'images':
      return handleImages(emulator.state, method, rest, body);
    case 'notebooks':
      return handleNotebooks(emulator.state, method, rest, body);
    case 'instances':
      return handleInstances(emulator.state, method, rest, body);
    default:
      return notFound;
  }
};
