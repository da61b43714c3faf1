// The local runs the README documents, each in a child process as a person would start them:
// `npm run invoke -- <function> events/<event>.json` and `npm run workflow -- events/...`, with
// no AWS account and none of the service's configuration in the environment, so each run starts
// its own emulator seeded with the demo images. Every sample event in events/ is run once and
// its output checked against what that function answers for that event.

import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SEEDED } from '../../emulator/demo.js';
import { REAL_CONFIGURATION_VARIABLES } from '../../scripts/local-environment.js';
import { type RunResult, runChild } from '../support/child.js';

const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));

/** This environment without any of the service's configuration: the runs use the emulator. */
const bareEnv = (): NodeJS.ProcessEnv => {
  const env: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: 'info' };
  for (const name of [
    ...REAL_CONFIGURATION_VARIABLES,
    'HUAWEICLOUD_SDK_SK',
    'HUAWEICLOUD_SDK_PROJECT_ID',
    'HUAWEICLOUD_REGION',
    'BCE_SECRET_ACCESS_KEY',
    'BCE_REGION',
    'PROTECTED_IMAGE_IDS',
    'PROTECTED_IMAGE_NAME_PATTERNS',
  ]) {
    delete env[name];
  }
  return env;
};

/** `npm run <script> -- <args>`, as the README shows it. */
const npmRun = (script: string, ...args: string[]): Promise<RunResult> =>
  runChild('bash', ['scripts/node24.sh', 'npm', 'run', '--silent', script, '--', ...args], {
    cwd: root,
    env: bareEnv(),
    timeoutMs: 60_000,
  });

/** The same script run directly (what `npm run invoke` runs, without npm's start-up). */
const invoke = (fn: string, eventFile: string, env: NodeJS.ProcessEnv = {}): Promise<RunResult> =>
  runChild(process.execPath, ['--import', 'tsx', 'scripts/invoke.ts', fn, eventFile], {
    cwd: root,
    env: { ...bareEnv(), ...env },
    timeoutMs: 60_000,
  });

/** The JSON printed after `<marker>:` (the result, error or output). */
const printed = <T>(run: RunResult, marker: 'Result' | 'Error' | 'Output' | 'Failed'): T => {
  const at = run.stdout.indexOf(`${marker}:\n`);
  if (at < 0) throw new Error(`no "${marker}:" in the output:\n${run.stdout}\n${run.stderr}`);
  return JSON.parse(run.stdout.slice(at + marker.length + 2)) as T;
};

/** The function's own JSON log lines. */
const logLines = (run: RunResult): Array<Record<string, unknown>> =>
  run.stdout
    .split('\n')
    .filter((line) => line.startsWith('{"level"'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);

interface HttpResult {
  statusCode: number;
  body: string;
}

let work: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'cif-local-runs-'));
});

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe('npm run invoke with the sample events', () => {
  it('shows a built-in ModelArts image over HTTP (events/http-show-image.json, through npm)', async () => {
    const run = await npmRun('invoke', 'httpShowImage', 'events/http-show-image.json');

    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/invoke: httpShowImage .*emulator at http:\/\/127\.0\.0\.1:\d+/);
    const result = printed<HttpResult>(run, 'Result');
    expect(result.statusCode).toBe(200);
    expect(JSON.parse(result.body)).toMatchObject({
      image: { provider: 'modelarts', id: SEEDED.modelarts.builtIn, kind: 'system' },
    });
    expect(logLines(run)).toContainEqual(
      expect.objectContaining({ trigger: 'http', operation: 'show', outcome: 'shown' }),
    );
  });

  it('answers a dry-run delete over HTTP with what would happen (events/http-delete-image.json)', async () => {
    const run = await invoke('httpDeleteImage', 'events/http-delete-image.json');

    expect(run.code, run.stderr).toBe(0);
    const result = printed<HttpResult>(run, 'Result');
    expect(result.statusCode).toBe(200);
    expect(JSON.parse(result.body)).toMatchObject({
      outcome: 'dry-run',
      image: { id: SEEDED.modelarts.custom, kind: 'custom' },
    });
  });

  it('shows a BCC system image as a task (events/task-show-image.json)', async () => {
    const run = await invoke('taskShowImage', 'events/task-show-image.json');

    expect(run.code, run.stderr).toBe(0);
    expect(printed(run, 'Result')).toMatchObject({
      image: { provider: 'bcc', id: SEEDED.bcc.system, kind: 'system' },
    });
  });

  it('deletes a BCC custom image as a task (events/task-delete-image.json)', async () => {
    const run = await invoke('taskDeleteImage', 'events/task-delete-image.json');

    expect(run.code, run.stderr).toBe(0);
    expect(printed(run, 'Result')).toMatchObject({
      outcome: 'deleted',
      image: { id: SEEDED.bcc.custom },
    });
  });

  it('reports a task failure as Lambda does, with the error name, and exits 1', async () => {
    const eventFile = join(work, 'protected.json');
    await writeFile(eventFile, JSON.stringify({ provider: 'bcc', imageId: SEEDED.bcc.system }));

    const run = await invoke('taskDeleteImage', eventFile);

    expect(run.code).toBe(1);
    expect(printed(run, 'Error')).toMatchObject({ errorType: 'ImageProtected' });
  });

  it('consumes an SQS batch with partial failures: the protected image and the malformed body (events/sqs-delete-batch.json)', async () => {
    const run = await invoke('sqsDeleteImage', 'events/sqs-delete-batch.json');

    expect(run.code, run.stderr).toBe(0);
    expect(printed(run, 'Result')).toEqual({
      batchItemFailures: [
        { itemIdentifier: '0e0f7d0c-0000-4000-8000-000000000003' },
        { itemIdentifier: '0e0f7d0c-0000-4000-8000-000000000004' },
      ],
    });
    expect(logLines(run)).toContainEqual(
      expect.objectContaining({ message: 'batch completed', records: 4, failed: 2 }),
    );
  });

  it('delivers an EventBridge event through the stack rule to the queue consumer (events/eventbridge-image-delete-requested.json)', async () => {
    const run = await invoke('sqsDeleteImage', 'events/eventbridge-image-delete-requested.json');

    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain(
      'EventBridge event delivered by ImageDeleteRequestedRule (InputPath $.detail) to ImageDeleteQueue',
    );
    expect(printed(run, 'Result')).toEqual({ batchItemFailures: [] });
    expect(logLines(run)).toContainEqual(
      expect.objectContaining({ message: 'batch completed', outcomes: { deleted: 1 } }),
    );
  });

  it('names the functions when the function is unknown, and exits 2', async () => {
    const run = await invoke('noSuchFunction', 'events/task-show-image.json');

    expect(run.code).toBe(2);
    expect(run.stderr).toContain('invoke: no function "noSuchFunction" in serverless.yml');
    expect(run.stderr).toMatch(/functions: httpShowImage, httpDeleteImage, .*sqsDeleteImage/);
  });

  it('says in one line, with no stack trace, that the event file is missing or not JSON, and exits 2', async () => {
    // Prepare
    const notJson = join(work, 'not-json.json');
    await writeFile(notJson, '{"provider": "bcc",');
    const missing = join(work, 'missing.json');

    // Act
    const broken = await invoke('taskShowImage', notJson);
    const absent = await invoke('taskShowImage', missing);

    // Assess
    expect(broken.code).toBe(2);
    expect(broken.stderr.trim()).toMatch(new RegExp(`^invoke: ${notJson} is not JSON: [^\\n]+$`));
    expect(absent.code).toBe(2);
    expect(absent.stderr.trim()).toBe(`invoke: cannot read ${missing}: no such file`);
    expect(`${broken.stdout}${absent.stdout}`).toBe('');
  });

  it('says how many deletes a scheduled "apply": "auto" firing left in the local queue, which only npm start works (events/scheduled-plan.json)', async () => {
    // Prepare: the README's sample firing of an auto policy, retiring two of the demo BCC custom images.
    const store = join(work, 'store');
    const firing = 'events/scheduled-plan.json';

    // Act
    const run = await invoke('scheduledPlan', firing, { RETIREMENT_STORE_DIR: store });

    // Assess: the run is applied, its deletes wait in the folder, and the operator is told.
    expect(run.code, run.stderr).toBe(0);
    const pending = await readdir(join(store, 'queue', 'pending'));
    expect(pending.length).toBeGreaterThan(0);
    expect(run.stderr).toContain(
      `invoke: ${pending.length} delete${pending.length === 1 ? '' : 's'} queued in ${join(store, 'queue', 'pending')}, not carried out`,
    );
    const quiet = await invoke('taskShowImage', 'events/task-show-image.json', {
      RETIREMENT_STORE_DIR: store,
    });
    expect(quiet.stderr).not.toContain('queued in');
  });
});

describe('npm run workflow', () => {
  it('retires a BCC custom image: show, check, delete, confirm gone (events/retire-image.json, through npm)', async () => {
    const run = await npmRun('workflow', 'events/retire-image.json');

    expect(run.code, run.stderr).toBe(0);
    expect(printed(run, 'Output')).toMatchObject({
      provider: 'bcc',
      imageId: SEEDED.bcc.custom,
      outcome: 'deleted',
    });
    const tasks = [...run.stderr.matchAll(/-> (\w+) \(Task: (\w+)\)/g)].map((m) => m[1]);
    expect(tasks).toEqual(['Show', 'CheckDeletable', 'Delete', 'ConfirmGone']);
  });

  it('says in one line, with no stack trace, that the input file is not JSON, and exits 2', async () => {
    // Prepare
    const notJson = join(work, 'not-json-input.json');
    await writeFile(notJson, '{not json');

    // Act
    const run = await runChild(
      process.execPath,
      ['--import', 'tsx', 'scripts/workflow.ts', notJson],
      { cwd: root, env: bareEnv(), timeoutMs: 60_000 },
    );

    // Assess
    expect(run.code).toBe(2);
    expect(run.stderr.trim()).toMatch(new RegExp(`^workflow: ${notJson} is not JSON: [^\\n]+$`));
    expect(run.stdout).toBe('');
  });

  it('says in one line, with no stack trace, that WAIT_MS is not milliseconds, and exits 2 before starting anything', async () => {
    // Act
    const run = await runChild(
      process.execPath,
      ['--import', 'tsx', 'scripts/workflow.ts', 'events/retire-image.json'],
      { cwd: root, env: { ...bareEnv(), WAIT_MS: '30s' }, timeoutMs: 60_000 },
    );

    // Assess
    expect(run.code).toBe(2);
    expect(run.stderr.trim()).toBe(
      'workflow: WAIT_MS must be whole milliseconds (0 or more), got "30s"',
    );
    expect(run.stdout).toBe('');
  });
});

describe('events/', () => {
  it('holds exactly the sample events these runs use', async () => {
    expect((await readdir(join(root, 'events'))).sort()).toEqual([
      'eventbridge-image-delete-requested.json',
      'http-delete-image.json',
      'http-show-image.json',
      'retire-image.json',
      'scheduled-plan.json',
      'sqs-delete-batch.json',
      'task-delete-image.json',
      'task-show-image.json',
    ]);
  });
});
