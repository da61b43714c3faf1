// One inventory operation in a fresh process (so that its peak memory is its own), through the
// deployed handlers against the emulator:
//   list   the list task handler (functions/task/list-images.ts), page after page (limit 1000, the
//          most a page may hold) through nextCursor until the whole region is listed
//   plan   the plan route (functions/http/create-plan.ts): the whole inventory and its usage, the
//          planner, the plan stored (local directory)
// Prints `@@inventory {json}`: images, invocations, elapsed ms, RSS and heap before and at peak.

import { handler as createPlan } from '../../functions/http/create-plan.js';
import { handler as listTask } from '../../functions/task/list-images.js';
import { setLogSink } from '../../lib/log/log.js';
import { lambdaContext } from '../../scripts/lambda-events.js';

const mode = process.argv[2] ?? 'list';
setLogSink(() => {});

let heapPeak = 0;
const sampleHeap = (): void => {
  heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed);
};
const sampler = setInterval(sampleHeap, 5);
const rssBefore = process.memoryUsage().rss;
const heapBefore = process.memoryUsage().heapUsed;
const started = performance.now();
let images = 0;
let invocations = 0;
let detail: Record<string, unknown> = {};

if (mode === 'list') {
  let cursor: string | undefined;
  do {
    const page = await listTask(
      { provider: 'modelarts', limit: 1000, ...(cursor === undefined ? {} : { cursor }) },
      lambdaContext(30_000),
    );
    invocations += 1;
    images += page.images.length;
    cursor = page.nextCursor;
    sampleHeap();
  } while (cursor !== undefined);
} else {
  const policy = {
    name: 'bench-retire-old',
    provider: 'modelarts',
    regions: [process.env.HUAWEICLOUD_REGION ?? 'cn-north-4'],
    select: { olderThanDays: 90 },
    keep: { newestPerFamily: 2 },
    limits: { maxDeletions: 100_000, maxPercent: 100 },
  };
  const body = JSON.stringify(policy);
  const result = await createPlan(
    {
      version: '2.0',
      routeKey: 'POST /retirements/plans',
      rawPath: '/retirements/plans',
      rawQueryString: '',
      headers: { host: 'localhost', 'content-type': 'application/json' },
      body,
      isBase64Encoded: false,
      requestContext: {
        accountId: '000000000000',
        apiId: 'bench',
        domainName: 'localhost',
        domainPrefix: 'localhost',
        http: {
          method: 'POST',
          path: '/retirements/plans',
          protocol: 'HTTP/1.1',
          sourceIp: '127.0.0.1',
          userAgent: 'bench',
        },
        requestId: 'bench-plan',
        routeKey: 'POST /retirements/plans',
        stage: '$default',
        time: new Date().toUTCString(),
        timeEpoch: Date.now(),
      },
    },
    lambdaContext(29_000),
  );
  invocations = 1;
  if (result.statusCode !== 201)
    throw new Error(`plan answered ${result.statusCode}: ${result.body}`);
  const plan = JSON.parse(result.body ?? '{}') as {
    complete?: boolean;
    summary?: Record<string, unknown>;
    decisions?: unknown[];
  };
  images = plan.decisions?.length ?? 0;
  detail = {
    complete: plan.complete,
    summary: plan.summary,
    planBytes: (result.body ?? '').length,
  };
}
const elapsedMs = performance.now() - started;
clearInterval(sampler);
sampleHeap();
process.stdout.write(
  `\n@@inventory ${JSON.stringify({
    mode,
    images,
    invocations,
    elapsedMs,
    rssBeforeBytes: rssBefore,
    maxRssBytes: process.resourceUsage().maxRSS * 1024,
    heapBeforeBytes: heapBefore,
    heapPeakBytes: heapPeak,
    ...detail,
  })}\n`,
  () => process.exit(0),
);
