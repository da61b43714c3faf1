// One cold start, in a fresh `node` process (plain JavaScript: nothing but Node runs before the
// import being measured).
//
//   node cold-probe.mjs import <file or package>...   import them, in order, and report the time
//   node cold-probe.mjs show|delete <bundle>           import a function bundle and complete one
//                                                      ModelArts show (or delete) through its
//                                                      handler (the environment carries
//                                                      credentials and endpoint)
//
// Prints one line `@@probe {json}` and exits at once (the HTTP agent's keep-alive would otherwise
// hold the process open): importMs (the imports), showMs (the first invocation), coldMs (import +
// first invocation), sinceStartMs (process time origin to the end).
import { randomUUID } from 'node:crypto';
import { isAbsolute } from 'node:path';
import { pathToFileURL } from 'node:url';

const [mode, ...targets] = process.argv.slice(2);
const specifier = (target) => (isAbsolute(target) ? pathToFileURL(target).href : target);

const started = performance.now();
const modules = [];
for (const target of targets) modules.push(await import(specifier(target)));
const imported = performance.now();

let status;
if (mode === 'show' || mode === 'delete') {
  const method = mode === 'show' ? 'GET' : 'DELETE';
  const imageId = process.env.BENCH_IMAGE_ID ?? '';
  const path = `/images/modelarts/${imageId}`;
  const now = Date.now();
  const event = {
    version: '2.0',
    routeKey: `${method} /images/{provider}/{imageId}`,
    rawPath: path,
    rawQueryString: '',
    headers: { host: 'localhost' },
    pathParameters: { provider: 'modelarts', imageId },
    isBase64Encoded: false,
    requestContext: {
      accountId: '000000000000',
      apiId: 'bench',
      domainName: 'localhost',
      domainPrefix: 'localhost',
      http: {
        method,
        path,
        protocol: 'HTTP/1.1',
        sourceIp: '127.0.0.1',
        userAgent: 'bench',
      },
      requestId: randomUUID(),
      routeKey: `${method} /images/{provider}/{imageId}`,
      stage: '$default',
      time: new Date(now).toUTCString(),
      timeEpoch: now,
    },
  };
  const end = now + 29_500;
  const context = {
    callbackWaitsForEmptyEventLoop: false,
    functionName: 'bench',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:eu-central-1:000000000000:function:bench',
    memoryLimitInMB: '512',
    awsRequestId: randomUUID(),
    logGroupName: '/aws/lambda/bench',
    logStreamName: 'bench',
    getRemainingTimeInMillis: () => Math.max(0, end - Date.now()),
  };
  const result = await modules[0].handler(event, context);
  status = result.statusCode;
}
const done = performance.now();

process.stdout.write(
  `\n@@probe ${JSON.stringify({
    mode,
    status,
    importMs: imported - started,
    showMs: done - imported,
    coldMs: done - started,
    sinceStartMs: done,
  })}\n`,
  () => process.exit(mode !== 'import' && status !== 200 ? 2 : 0),
);
