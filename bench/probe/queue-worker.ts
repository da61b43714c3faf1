// One Lambda instance of the queue consumer: the deployed SQS handler (functions/sqs/delete-image.ts,
// bundled like the function), invoked in this process with one batch at a time, as Lambda does. The
// driver (bench/queue.ts) sends `{type: 'batch', id, records}` over IPC and gets back
// `{type: 'done', id, failed: [messageId...], outcomes, upstream: {ms, calls}}`, counted from the
// records' own log lines (which otherwise go nowhere).

import type { SQSRecord } from 'aws-lambda';
import { handler } from '../../functions/sqs/delete-image.js';
import { setLogSink } from '../../lib/log/log.js';
import { lambdaContext } from '../../scripts/lambda-events.js';

let outcomes: Record<string, number> = {};
/** Time in upstream exchanges and their number, from the records' EMF metrics. */
let upstream = { ms: 0, calls: 0 };
const count = (key: string): void => {
  outcomes[key] = (outcomes[key] ?? 0) + 1;
};
setLogSink((line) => {
  if (!line.includes('"message ')) return;
  const outcome = /"outcome":"([^"]+)"/.exec(line)?.[1] ?? 'unknown';
  const error = /"error":"([^"]+)"/.exec(line)?.[1];
  count(error === undefined ? outcome : `${outcome}:${error}`);
  upstream.ms += Number(/"UpstreamLatency":([0-9.]+)/.exec(line)?.[1] ?? 0);
  upstream.calls += Number(/"UpstreamCalls":(\d+)/.exec(line)?.[1] ?? 0);
});

interface BatchMessage {
  type: 'batch';
  id: number;
  records: SQSRecord[];
}

process.on('message', (message: BatchMessage) => {
  if (message.type !== 'batch') return;
  outcomes = {};
  upstream = { ms: 0, calls: 0 };
  // The consumer's timeout in serverless.yml.
  handler({ Records: message.records }, lambdaContext(60_000)).then(
    (response) => {
      process.send?.({
        type: 'done',
        id: message.id,
        failed: response.batchItemFailures.map((failure) => failure.itemIdentifier),
        outcomes,
        upstream,
      });
    },
    (error: unknown) => {
      process.send?.({ type: 'error', id: message.id, error: String(error) });
    },
  );
});
process.on('disconnect', () => process.exit(0));
process.send?.({ type: 'ready' });
