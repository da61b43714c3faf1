// The deployable (minified) bundles of the task and SQS functions, as `npm run build` makes them,
// run by a plain `node` child process against the emulator: the thrown error's `name`, which the
// Lambda runtime reports as errorType and Step Functions matches on, survives minification (the
// classes themselves are renamed).

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SEEDED } from '../../emulator/demo.js';
import { type BuiltBundle, buildBundles } from '../../scripts/build.js';
import { emulatorEnvironment } from '../../scripts/local-environment.js';
import { runChild } from '../support/child.js';
import { sqsRecord } from '../support/events.js';
import { useFixture } from '../support/fixture.js';

const fixture = useFixture({ demoEnv: false });
let work: string;
let bundles: Map<string, BuiltBundle>;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'cif-task-bundles-'));
  const built = await buildBundles(join(work, 'dist'));
  bundles = new Map(built.map((bundle) => [bundle.name, bundle]));
}, 150_000);

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

interface Outcome {
  result?: unknown;
  error?: { name: string; message: string; constructorName: string; stack: string };
}

/** Invokes the bundle's handler once in a fresh `node` process, as the Lambda runtime would. */
const invoke = async (
  functionName: string,
  event: unknown,
  options: { brokenContext?: boolean } = {},
): Promise<Outcome> => {
  const bundle = bundles.get(functionName);
  if (bundle === undefined)
    throw new Error(`no bundle for ${functionName} (is it in serverless.yml?)`);
  const script = join(work, `invoke-${functionName}-${Date.now()}-${Math.random()}.mjs`);
  await writeFile(
    script,
    [
      `const { handler } = await import(${JSON.stringify(pathToFileURL(bundle.file).href)});`,
      'const end = Date.now() + 30000;',
      'const context = {',
      `  awsRequestId: 'bundle-test', functionName: ${JSON.stringify(functionName)},`,
      "  functionVersion: '$LATEST', memoryLimitInMB: '512', logGroupName: 'g', logStreamName: 's',",
      '  callbackWaitsForEmptyEventLoop: true,',
      options.brokenContext === true
        ? "  getRemainingTimeInMillis: () => { throw new TypeError('broken context with sk=secret') },"
        : '  getRemainingTimeInMillis: () => end - Date.now(),',
      '};',
      'try {',
      `  const result = await handler(${JSON.stringify(event)}, context);`,
      "  process.stdout.write('\\nOUTCOME ' + JSON.stringify({ result }) + '\\n');",
      '} catch (error) {',
      // What the Lambda runtime reports: errorType = error.name, errorMessage, trace (stack).
      '  const { name, message, stack } = error;',
      "  process.stdout.write('\\nOUTCOME ' + JSON.stringify({ error: { name, message, constructorName: error.constructor.name, stack } }) + '\\n');",
      '}',
    ].join('\n'),
  );
  const run = await runChild(process.execPath, [script], {
    cwd: work,
    env: {
      PATH: process.env.PATH ?? '',
      AWS_REGION: 'eu-central-1',
      ...emulatorEnvironment(fixture.url),
      LOG_LEVEL: 'silent',
    },
    timeoutMs: 30_000,
  });
  const line = run.stdout.split('\n').find((text) => text.startsWith('OUTCOME '));
  if (run.code !== 0 || line === undefined) {
    throw new Error(`the bundle failed (${run.code}):\n${run.stdout}\n${run.stderr}`);
  }
  return JSON.parse(line.slice('OUTCOME '.length)) as Outcome;
};

describe('minified task bundles in a child node process', () => {
  it('taskShowImage returns {"image": ...}', async () => {
    const outcome = await invoke('taskShowImage', {
      provider: 'modelarts',
      imageId: SEEDED.modelarts.builtIn,
    });
    expect(outcome.result).toMatchObject({ image: { id: SEEDED.modelarts.builtIn } });
  });

  it('taskDeleteImage deletes and returns the DeleteResult', async () => {
    const outcome = await invoke('taskDeleteImage', {
      provider: 'bcc',
      imageId: SEEDED.bcc.custom,
    });
    expect(outcome.result).toMatchObject({ outcome: 'deleted' });
    expect(fixture.emulator.state.deleteCount('bcc', SEEDED.bcc.custom)).toBe(1);
  });

  it.each([
    [
      'taskDeleteImage',
      { provider: 'modelarts', imageId: SEEDED.modelarts.builtIn },
      'ImageProtected',
    ],
    ['taskDeleteImage', { provider: 'bcc', imageId: SEEDED.bcc.creating }, 'ImageBusy'],
    ['taskShowImage', { provider: 'bcc', imageId: 'm-nosuchimage' }, 'ImageNotFound'],
    ['taskShowImage', { provider: 'modelarts', imageId: 'not-a-uuid' }, 'InvalidRequest'],
    [
      'taskDeleteImage',
      { provider: 'bcc', imageId: SEEDED.bcc.custom, force: true },
      'InvalidRequest',
    ],
  ])('%s throws %j as %s', async (fn, event, name) => {
    const outcome = await invoke(fn, event);
    expect(outcome.error?.name).toBe(name);
    // The runtime's `trace` (Step Functions' Cause): no stack frame of the bundle.
    expect(outcome.error?.stack).toBe(`${name}: ${outcome.error?.message}`);
  });

  it('keeps UpstreamThrottled through minification, after one attempt', async () => {
    fixture.emulator.faults.inject({ times: 5, action: { kind: 'status', status: 429 } });

    const outcome = await invoke('taskShowImage', {
      provider: 'modelarts',
      imageId: SEEDED.modelarts.custom,
    });

    expect(outcome.error?.name).toBe('UpstreamThrottled');
    // The class was renamed by the minifier; the name was not.
    expect(outcome.error?.constructorName).not.toBe('UpstreamThrottled');
    expect(fixture.emulator.requests).toHaveLength(1);
  });

  it('keeps UpstreamAuthFailed', async () => {
    fixture.emulator.faults.inject({ times: 5, action: { kind: 'status', status: 401 } });

    const outcome = await invoke('taskDeleteImage', {
      provider: 'modelarts',
      imageId: SEEDED.modelarts.custom,
    });

    expect(outcome.error?.name).toBe('UpstreamAuthFailed');
  });

  it('reports a bug as InternalError, with nothing of the original', async () => {
    const outcome = await invoke(
      'taskShowImage',
      { provider: 'modelarts', imageId: SEEDED.modelarts.custom },
      { brokenContext: true },
    );

    expect(outcome.error).toMatchObject({
      name: 'InternalError',
      message: 'internal error',
      stack: 'InternalError: internal error',
    });
    expect(JSON.stringify(outcome)).not.toMatch(/secret|TypeError/);
  });

  it('sqsDeleteImage answers a partial batch response', async () => {
    const outcome = await invoke('sqsDeleteImage', {
      Records: [
        sqsRecord(
          'ok',
          JSON.stringify({ provider: 'modelarts', imageId: SEEDED.modelarts.custom }),
        ),
        sqsRecord('poison', 'not json'),
      ],
    });

    expect(outcome.result).toEqual({ batchItemFailures: [{ itemIdentifier: 'poison' }] });
    expect(fixture.emulator.state.deleteCount('modelarts', SEEDED.modelarts.custom)).toBe(1);
  });
});
