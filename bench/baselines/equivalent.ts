// The equivalent-work baseline: what a careful hand-written client must do for the same show or
// delete, with none of the service's structure (no middleware, no pipeline, no provider port, no
// retry loop). Per invocation: validate the input with zod (zod/mini, as lib/ does); per upstream
// request: sign it afresh, send it through the same undici agent, zod-parse the reply; then
// normalise the image, serialise the response and write one JSON log line carrying an EMF document
// built directly. The handler's distance from this is the cost of its structure; its distance from
// the bare client (one pre-signed request, body read) includes this work too.

import type { Dispatcher } from 'undici';
import { request } from 'undici';
import * as z from 'zod/mini';
import { signSdkHmacSha256 } from '../../lib/signing/huawei-sdk-hmac.js';
import { wireUrl } from '../../lib/wire/outbound-request.js';
import { BENCH_CREDENTIALS, type BenchCall, IMAGE_ID, modelArtsRequest } from '../lib/fixtures.js';

const inputSchema = z.strictObject({
  provider: z.enum(['modelarts', 'bcc']),
  imageId: z
    .string()
    .check(z.regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i)),
  region: z.optional(z.string().check(z.maxLength(64))),
});

const imageSchema = z.looseObject({
  id: z.string().check(z.minLength(1)),
  name: z.string(),
  status: z.string().check(z.minLength(1)),
  type: z.string().check(z.minLength(1)),
  create_at: z.optional(z.number()),
  update_at: z.optional(z.number()),
  swr_path: z.optional(z.string()),
});

const notebooksSchema = z.looseObject({
  data: z.array(
    z.looseObject({
      id: z.string().check(z.minLength(1)),
      image: z.nullish(
        z.looseObject({ id: z.nullish(z.string()), swr_path: z.nullish(z.string()) }),
      ),
    }),
  ),
});

type Sink = (line: string) => void;

const send = async (
  origin: string,
  call: BenchCall,
  dispatcher: Dispatcher,
): Promise<{ body: string; ms: number }> => {
  const started = performance.now();
  const outbound = modelArtsRequest(origin, call);
  const headers = {
    ...outbound.headers,
    ...signSdkHmacSha256(outbound, BENCH_CREDENTIALS, new Date()),
  };
  const response = await request(wireUrl(outbound), {
    method: outbound.method,
    headers,
    dispatcher,
  });
  const body = await response.body.text();
  if (response.statusCode !== 200) throw new Error(`equivalent ${call}: ${response.statusCode}`);
  return { body, ms: performance.now() - started };
};

const STATUS: Record<string, string> = { ACTIVE: 'available', DELETED: 'deleted' };

const normalise = (record: z.infer<typeof imageSchema>) => ({
  provider: 'modelarts',
  region: 'cn-north-4',
  id: record.id,
  name: record.name,
  status: STATUS[record.status] ?? 'unknown',
  providerStatus: record.status,
  kind: record.type === 'DEDICATED' ? 'custom' : 'other',
  createdAt: record.create_at === undefined ? undefined : new Date(record.create_at).toISOString(),
  updatedAt: record.update_at === undefined ? undefined : new Date(record.update_at).toISOString(),
  details: record,
});

const logLine = (
  sink: Sink,
  requestId: string,
  operation: 'show' | 'delete',
  outcome: string,
  latencies: number[],
): void => {
  const latency = latencies.reduce((sum, ms) => sum + ms, 0);
  sink(
    JSON.stringify({
      level: 'info',
      time: new Date().toISOString(),
      message: 'request completed',
      requestId,
      trigger: 'http',
      operation,
      provider: 'modelarts',
      imageId: IMAGE_ID,
      status: 200,
      outcome,
      region: 'cn-north-4',
      durationMs: Math.round(latency),
      upstreamCalls: latencies.length,
      upstreamRetries: 0,
      _aws: {
        Timestamp: Date.now(),
        CloudWatchMetrics: [
          {
            Namespace: 'CloudImageFunctions',
            Dimensions: [
              ['service', 'provider', 'operation', 'outcome'],
              ['service', 'provider', 'operation'],
            ],
            Metrics: [
              { Name: 'Requests', Unit: 'Count' },
              { Name: 'UpstreamLatency', Unit: 'Milliseconds' },
              { Name: 'UpstreamCalls', Unit: 'Count' },
              { Name: 'UpstreamRetries', Unit: 'Count' },
            ],
          },
        ],
      },
      service: 'cloud-image-functions',
      Requests: 1,
      UpstreamLatency: latency,
      UpstreamCalls: latencies.length,
      UpstreamRetries: 0,
    }),
  );
};

export interface EquivalentResult {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

export const equivalentShow = async (
  origin: string,
  dispatcher: Dispatcher,
  sink: Sink,
  requestId: string,
): Promise<EquivalentResult> => {
  inputSchema.parse({ provider: 'modelarts', imageId: IMAGE_ID });
  const reply = await send(origin, 'show', dispatcher);
  const image = normalise(imageSchema.parse(JSON.parse(reply.body)));
  const body = JSON.stringify({ image });
  logLine(sink, requestId, 'show', 'shown', [reply.ms]);
  return { statusCode: 200, headers: { 'content-type': 'application/json' }, body };
};

export const equivalentDelete = async (
  origin: string,
  dispatcher: Dispatcher,
  sink: Sink,
  requestId: string,
): Promise<EquivalentResult> => {
  inputSchema.parse({ provider: 'modelarts', imageId: IMAGE_ID });
  const shown = await send(origin, 'show', dispatcher);
  const image = normalise(imageSchema.parse(JSON.parse(shown.body)));
  if (image.kind !== 'custom' || image.status !== 'available') throw new Error('not deletable');
  const usage = await send(origin, 'usage', dispatcher);
  const inUse = notebooksSchema
    .parse(JSON.parse(usage.body))
    .data.some((notebook) => notebook.image?.id === image.id);
  if (inUse) throw new Error('in use');
  const deleted = await send(origin, 'delete', dispatcher);
  const final = imageSchema.safeParse(JSON.parse(deleted.body));
  const body = JSON.stringify({
    outcome: 'deleted',
    image: { ...(final.success ? normalise(final.data) : image), status: 'deleted' },
  });
  logLine(sink, requestId, 'delete', 'deleted', [shown.ms, usage.ms, deleted.ms]);
  return { statusCode: 200, headers: { 'content-type': 'application/json' }, body };
};
