// `cloud-images show` and `delete` in child processes against the emulator on loopback, output
// piped as a script reads it: the results, the --json bodies (the very bodies the HTTP handlers
// answer, compared side by side), the safety of delete from a script, colour and progress only
// where a person looks, and an exit status per error name.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEMO_BCC, SEEDED } from '../../emulator/demo.js';
import { handler as httpDelete } from '../../functions/http/delete-image.js';
import { handler as httpShow } from '../../functions/http/show-image.js';
import { exitStatusOfError } from '../../lib/cli/exit-status.js';
import { ERROR_NAMES, ERROR_TABLE, type ErrorName } from '../../lib/errors/error-table.js';
import { imageSchema } from '../../lib/images/image.js';
import { httpEvent, lambdaContext, parseResult } from '../../scripts/lambda-events.js';
import { eventsPublishedLocally } from '../support/events.js';
import { useFixture } from '../support/fixture.js';
import { type CliRun, cloudImages, cloudImagesOnFullDisk } from './cli-child.js';

// The emulator, and this process pointed at it for the HTTP handlers the output is compared with.
const fixture = useFixture();

// biome-ignore lint/suspicious/noControlCharactersInRegex: an ANSI escape is what is looked for
const ANSI = /\x1b\[/;

/** cloud-images pointed at the test's emulator. */
const cli = (args: readonly string[], env: Record<string, string> = {}): Promise<CliRun> =>
  cloudImages(['--emulator', fixture.url, ...args], env);

/** What the HTTP API answers for the same request (the real handler, in this process). */
const http = async (
  handler: typeof httpShow,
  method: 'GET' | 'DELETE',
  provider: string,
  imageId: string,
  query: Record<string, string> = {},
) => parseResult(await handler(httpEvent(method, provider, imageId, query), lambdaContext()));

const deletesSent = (): number =>
  fixture.emulator.requests.filter((request) => request.method === 'DELETE').length;

describe('cloud-images show', () => {
  it('prints the image as aligned "key  value" lines, without colour when piped', async () => {
    const run = await cli(['show', 'modelarts', SEEDED.modelarts.builtIn]);

    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toBe('');
    expect(run.stdout).not.toMatch(ANSI);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines.slice(0, 6)).toEqual([
      expect.stringMatching(/^provider +modelarts$/),
      expect.stringMatching(/^region +cn-north-4$/),
      expect.stringMatching(new RegExp(`^id +${SEEDED.modelarts.builtIn}$`)),
      expect.stringMatching(/^name +pytorch1\.8-cuda10\.2-cudnn7-ubuntu18\.04$/),
      expect.stringMatching(/^status +available \(ACTIVE\)$/),
      expect.stringMatching(/^kind +system$/),
    ]);
    // Aligned: every value starts in the same column.
    const valueColumns = new Set(lines.map((line) => line.search(/(?<= {2})\S/)));
    expect(valueColumns.size).toBe(1);
    expect(run.stdout).toMatch(/^details\.type +BUILD_IN$/m);
  });

  it('--json prints what GET /images/{provider}/{imageId} answers, --region included', async () => {
    const run = await cli(['show', 'bcc', SEEDED.bcc.custom, '--region', 'gz', '--json']);
    const answered = await http(httpShow, 'GET', 'bcc', SEEDED.bcc.custom, { region: 'gz' });

    expect(run.code, run.stderr).toBe(0);
    expect(answered.status).toBe(200);
    const body = run.json<{ image: unknown }>();
    expect(body).toEqual(answered.body);
    expect(imageSchema.parse(body.image)).toMatchObject({ region: 'gz', kind: 'custom' });
    // One line when piped: a stream of documents a script reads line by line.
    expect(run.stdout.trimEnd().split('\n')).toHaveLength(1);
  });

  it('--quiet prints nothing and says it all with the exit status', async () => {
    const shown = await cli(['show', 'bcc', SEEDED.bcc.custom, '--quiet']);
    const missing = await cli(['show', 'bcc', 'm-absent01', '-q']);

    expect([shown.code, shown.stdout, shown.stderr]).toEqual([0, '', '']);
    expect(missing.code).toBe(exitStatusOfError('ImageNotFound'));
    expect(missing.stdout).toBe('');
    expect(missing.stderr).toMatch(/^ImageNotFound: bcc image m-absent01/);
  });

  it('CLOUD_IMAGES_EMULATOR points every provider at the emulator, as --emulator does', async () => {
    const run = await cloudImages(['show', 'modelarts', SEEDED.modelarts.custom, '--json'], {
      CLOUD_IMAGES_EMULATOR: fixture.url,
    });

    expect(run.code, run.stderr).toBe(0);
    expect(run.json<{ image: { id: string } }>().image.id).toBe(SEEDED.modelarts.custom);
  });

  it('--endpoint points one provider at a URL, with the credentials the environment holds', async () => {
    const run = await cloudImages(
      ['show', 'bcc', SEEDED.bcc.custom, '--endpoint', fixture.url, '--json'],
      { BCE_ACCESS_KEY_ID: DEMO_BCC.accessKeyId, BCE_SECRET_ACCESS_KEY: DEMO_BCC.secretAccessKey },
    );

    expect(run.code, run.stderr).toBe(0);
    expect(run.json<{ image: { id: string } }>().image.id).toBe(SEEDED.bcc.custom);
    expect(fixture.emulator.requests.at(-1)?.headers.authorization).toContain(DEMO_BCC.accessKeyId);
  });

  it('a bad --endpoint is InvalidRequest naming --endpoint and what is wrong; nothing is sent', async () => {
    // Act: not a URL, another scheme, clear text to a host that is not loopback, a path, empty, a
    // port out of range, a query.
    const runs = await Promise.all(
      [
        'not-a-url',
        'ftp://127.0.0.1:21',
        'http://images.example.com',
        'https://host/v2',
        '',
        'http://127.0.0.1:99999',
        'http://127.0.0.1:4010?x=1',
      ].map((url) => cli(['show', 'bcc', SEEDED.bcc.custom, '--endpoint', url, '--json'])),
    );

    // Assess
    const messages = runs.map((run) => {
      expect(run.code, run.stderr).toBe(exitStatusOfError('InvalidRequest'));
      return run.errorBody().error.message;
    });
    expect(messages).toEqual([
      '--endpoint: is not a URL: must be https://host[:port], a port from 1 to 65535',
      '--endpoint: must be an https URL (http only for loopback hosts)',
      '--endpoint: must be an https URL (http only for loopback hosts)',
      '--endpoint: must have no path',
      '--endpoint: is not a URL: must be https://host[:port], a port from 1 to 65535',
      '--endpoint: is not a URL: must be https://host[:port], a port from 1 to 65535',
      '--endpoint: must have no query or fragment (?, #)',
    ]);
    expect(fixture.emulator.requests).toHaveLength(0);
  });

  it('a bad argument or flag is InvalidRequest naming it as typed (PROVIDER, IMAGE_ID, --region), where the API names its field; nothing is sent', async () => {
    // Act: show, delete and usage, each refusing what was typed; the same show over HTTP.
    const badId = await cli(['show', 'bcc', 'bad id!', '--json']);
    const badProvider = await cli(['usage', 'nope', SEEDED.bcc.custom, '--json']);
    const badRegion = await cli(['delete', 'bcc', SEEDED.bcc.custom, '--region', 'B J', '--yes']);
    const overHttp = await http(httpShow, 'GET', 'bcc', 'bad-id');

    // Assess
    for (const run of [badId, badProvider, badRegion]) {
      expect(run.code, run.stderr).toBe(exitStatusOfError('InvalidRequest'));
    }
    expect(badId.errorBody().error.message).toBe(
      "IMAGE_ID: must be 'm-' followed by 1 to 32 letters and digits for provider bcc",
    );
    expect(badProvider.errorBody().error.message).toBe('PROVIDER: must be one of modelarts, bcc');
    expect(badRegion.stderr.split('\n')[0]).toBe(
      'InvalidRequest: --region: must be lowercase letters, digits and single hyphens',
    );
    expect(overHttp.body).toHaveProperty(
      'error.message',
      "imageId: must be 'm-' followed by 1 to 32 letters and digits for provider bcc",
    );
    expect(fixture.emulator.requests).toHaveLength(0);
  });

  it('a region the cloud refuses (not configured) names --region too, where the API names region; nothing is sent', async () => {
    // Act: ModelArts is configured for cn-north-4 only; the same show over HTTP.
    const shown = await cli(['show', 'modelarts', SEEDED.modelarts.custom, '--region', 'eu-de']);
    const listed = await cli(['list', 'modelarts', '--region', 'eu-de', '--json']);
    const overHttp = await http(httpShow, 'GET', 'modelarts', SEEDED.modelarts.custom, {
      region: 'eu-de',
    });

    // Assess
    for (const run of [shown, listed]) {
      expect(run.code, run.stderr).toBe(exitStatusOfError('InvalidRequest'));
    }
    expect(shown.stderr.split('\n')[0]).toBe(
      "InvalidRequest: --region: 'eu-de' is not configured for modelarts (configured: cn-north-4)",
    );
    expect(listed.errorBody().error.message).toBe(
      "--region: 'eu-de' is not configured for modelarts (configured: cn-north-4)",
    );
    expect(overHttp.body).toHaveProperty(
      'error.message',
      "region: 'eu-de' is not configured for modelarts (configured: cn-north-4)",
    );
    expect(fixture.emulator.requests).toHaveLength(0);
  });

  it('a bad --emulator is InvalidRequest too; the same URL in a variable stays ConfigurationError', async () => {
    // Act
    const flag = await cloudImages([
      '--emulator',
      'ftp://127.0.0.1:1',
      'show',
      'bcc',
      SEEDED.bcc.custom,
      '--json',
    ]);
    const variable = await cloudImages(['show', 'bcc', SEEDED.bcc.custom, '--json'], {
      CLOUD_IMAGES_EMULATOR: 'ftp://127.0.0.1:1',
    });
    const endpointVariable = await cloudImages(['show', 'bcc', SEEDED.bcc.custom, '--json'], {
      BCC_ENDPOINT: 'not-a-url',
      BCE_ACCESS_KEY_ID: DEMO_BCC.accessKeyId,
      BCE_SECRET_ACCESS_KEY: DEMO_BCC.secretAccessKey,
    });

    // Assess
    expect(flag.code, flag.stderr).toBe(exitStatusOfError('InvalidRequest'));
    expect(flag.errorBody().error.message).toBe(
      '--emulator: must be an https URL (http only for loopback hosts)',
    );
    expect(variable.code, variable.stderr).toBe(exitStatusOfError('ConfigurationError'));
    expect(variable.errorBody().error.message).toMatch(
      /CLOUD_IMAGES_EMULATOR: must be an https URL/,
    );
    expect(endpointVariable.code, endpointVariable.stderr).toBe(
      exitStatusOfError('ConfigurationError'),
    );
    expect(endpointVariable.errorBody().error.message).toMatch(
      /BCC_ENDPOINT: is not a URL: must be https:\/\/host/,
    );
    expect(fixture.emulator.requests).toHaveLength(0);
  });

  it("--verbose writes the functions' JSON log lines to stderr; stdout stays the one body", async () => {
    fixture.emulator.faults.inject({
      match: { provider: 'bcc', operation: 'show' },
      action: { kind: 'status', status: 503 },
    });

    const run = await cli(['show', 'bcc', SEEDED.bcc.custom, '--json', '--verbose']);

    expect(run.code, run.stderr).toBe(0);
    expect(run.json()).toHaveProperty('image.id', SEEDED.bcc.custom);
    const lines = run.stderr
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines.some((line) => line.level === 'debug' && line.operation === 'show')).toBe(true);
    expect(run.stderr).not.toContain(DEMO_BCC.secretAccessKey);
  });
});

describe('cloud-images delete', () => {
  it('--dry-run --json prints what DELETE ?dryRun=true answers, and deletes nothing', async () => {
    const run = await cli(['delete', 'bcc', SEEDED.bcc.custom, '--dry-run', '--json']);
    const answered = await http(httpDelete, 'DELETE', 'bcc', SEEDED.bcc.custom, {
      dryRun: 'true',
    });

    expect(run.code, run.stderr).toBe(0);
    expect(run.json()).toEqual(answered.body);
    expect(run.json()).toHaveProperty('outcome', 'dry-run');
    expect(deletesSent()).toBe(0);
    expect(fixture.emulator.state.bcc.has(SEEDED.bcc.custom)).toBe(true);
  });

  it('--dry-run for people shows the image and says nothing was deleted', async () => {
    const run = await cli(['delete', 'modelarts', SEEDED.modelarts.custom, '--dry-run']);

    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(new RegExp(`^id +${SEEDED.modelarts.custom}$`, 'm'));
    expect(run.stdout).toMatch(
      /dry run: modelarts image .* would be deleted; nothing was deleted\.$/m,
    );
    expect(deletesSent()).toBe(0);
  });

  it('--yes --json deletes and prints the HTTP body; a second delete is ImageNotFound, as over HTTP', async () => {
    const first = await cli(['delete', 'bcc', SEEDED.bcc.custom, '--yes', '--json']);
    const second = await cli(['delete', 'bcc', SEEDED.bcc.custom, '--yes', '--json']);
    const answered = await http(httpDelete, 'DELETE', 'bcc', SEEDED.bcc.custom);

    expect(first.code, first.stderr).toBe(0);
    expect(first.json()).toMatchObject({
      outcome: 'deleted',
      image: { id: SEEDED.bcc.custom, status: 'deleted' },
    });
    expect(fixture.emulator.state.bcc.has(SEEDED.bcc.custom)).toBe(false);
    // Piped: no progress bar, no colour, nothing on stderr.
    expect(first.stderr).toBe('');

    expect(second.code).toBe(exitStatusOfError('ImageNotFound'));
    expect(second.stdout).toBe('');
    expect(answered.status).toBe(404);
    const { error } = second.errorBody();
    expect({ code: error.code, message: error.message }).toEqual({
      code: (answered.body.error as { code: string }).code,
      message: (answered.body.error as { message: string }).message,
    });
    expect(error.requestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it.each([
    ['UPSTREAM_RATE_LIMITS', 'bcc=abc'],
    ['SQS_MAX_CONCURRENCY', 'abc'],
    ['MAX_RECEIVE_COUNT', 'abc'],
    ['SQS_RECORD_CONCURRENCY', 'abc'],
  ])(
    'a malformed %s (checked by every function at its start) is ConfigurationError naming it; nothing deleted',
    async (variable, value) => {
      // Act
      const run = await cli(['delete', 'bcc', SEEDED.bcc.custom, '--yes', '--json'], {
        [variable]: value,
      });

      // Assess: before, the delete went through with exit 0 and its event was lost.
      expect(run.code, run.stderr).toBe(exitStatusOfError('ConfigurationError'));
      expect(run.errorBody().error.message).toContain(variable);
      expect(deletesSent()).toBe(0);
      expect(fixture.emulator.requests).toHaveLength(0);
    },
  );

  it('publishes its outcome event as every trigger does (trigger cli, the person), where the configuration sends events', async () => {
    // Prepare: events to a local folder, as RETIREMENT_STORE_DIR says.
    const events = mkdtempSync(join(tmpdir(), 'cloud-images-events-'));

    // Act
    const dryRun = await cli(['delete', 'bcc', SEEDED.bcc.custom, '--dry-run', '--json'], {
      RETIREMENT_STORE_DIR: events,
    });
    const deleted = await cli(['delete', 'bcc', SEEDED.bcc.custom, '--yes', '--json'], {
      RETIREMENT_STORE_DIR: events,
    });

    // Assess
    expect([dryRun.code, deleted.code], deleted.stderr).toEqual([0, 0]);
    const published = await eventsPublishedLocally(events);
    rmSync(events, { recursive: true, force: true });
    expect(published.map((event) => event.detailType)).toEqual(['Image Deleted']);
    expect(published[0]?.detail).toMatchObject({
      provider: 'bcc',
      imageId: SEEDED.bcc.custom,
      outcome: 'deleted',
      trigger: 'cli',
      identity: expect.stringMatching(/^cli/),
      image: { status: 'available' },
    });
  });

  it("pointed at the emulator, never publishes to a stack's bus named in the shell: demo deletes stay off the audit trail", async () => {
    // Prepare: the shell names a stage's bus (its endpoint a closed loopback port, so that a
    // publish attempt could never leave this machine) and a local events folder.
    const events = mkdtempSync(join(tmpdir(), 'cloud-images-events-'));
    const env = {
      EVENT_BUS_NAME: 'cloud-image-functions-prod',
      AWS_ENDPOINT_URL_EVENTBRIDGE: 'http://127.0.0.1:9',
      AWS_REGION: 'eu-central-1',
      AWS_ACCESS_KEY_ID: 'testing',
      AWS_SECRET_ACCESS_KEY: 'testing',
      RETIREMENT_STORE_DIR: events,
    };

    // Act
    const deleted = await cli(['delete', 'bcc', SEEDED.bcc.custom, '--yes', '--json'], env);

    // Assess: the event went to the local folder, and no line says one was not published.
    expect(deleted.code, deleted.stderr).toBe(0);
    const published = await eventsPublishedLocally(events);
    rmSync(events, { recursive: true, force: true });
    expect(published.map((event) => event.detailType)).toEqual(['Image Deleted']);
    expect(deleted.stderr).not.toContain('not published');
  });

  it('pointed at the emulator with EVENT_BUS_NAME set, --verbose says events are off because --emulator ignores it, not that it is unset', async () => {
    // Prepare: the shell names a stage's bus, and no local events folder.
    const env = { EVENT_BUS_NAME: 'cloud-image-functions-prod' };

    // Act
    const deleted = await cli(
      ['delete', 'bcc', SEEDED.bcc.custom, '--yes', '--json', '--verbose'],
      env,
    );

    // Assess: one debug line says why events are off, naming the flag and the variable it ignores.
    expect(deleted.code, deleted.stderr).toBe(0);
    const off = deleted.stderr
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((line) => String(line.message).startsWith('events are off'));
    expect(off).toEqual([
      expect.objectContaining({
        level: 'debug',
        message:
          'events are off: --emulator ignores EVENT_BUS_NAME (demo deletes never reach a real event bus), and RETIREMENT_STORE_DIR is not set',
      }),
    ]);
  });

  it('for people: one line saying what was deleted', async () => {
    const name = fixture.emulator.state.modelarts.get(SEEDED.modelarts.custom)?.name;

    const run = await cli(['delete', 'modelarts', SEEDED.modelarts.custom, '-y']);

    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toBe(`deleted modelarts image ${SEEDED.modelarts.custom} (${name})\n`);
    expect(run.stdout).not.toMatch(ANSI);
  });

  it('from a script without --yes it refuses (exit 2) and sends no delete', async () => {
    const run = await cli(['delete', 'bcc', SEEDED.bcc.custom]);

    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^UsageError: .*not a terminal: pass --yes/);
    expect(deletesSent()).toBe(0);
    expect(fixture.emulator.state.bcc.has(SEEDED.bcc.custom)).toBe(true);
  });
});

describe('colour', () => {
  it('only on a terminal or with FORCE_COLOR; never with NO_COLOR or --no-color', async () => {
    const args = ['show', 'bcc', SEEDED.bcc.custom];
    const forced = await cli(args, { FORCE_COLOR: '1' });
    const noColor = await cli(args, { FORCE_COLOR: '1', NO_COLOR: '1' });
    const flag = await cli([...args, '--no-color'], { FORCE_COLOR: '1' });

    expect([forced.code, noColor.code, flag.code], flag.stderr).toEqual([0, 0, 0]);
    expect(forced.stdout).toMatch(ANSI);
    expect(noColor.stdout).not.toMatch(ANSI);
    expect(flag.stdout).toBe(noColor.stdout);
    expect(noColor.stdout.replace(/ +/g, ' ')).toBe(
      forced.stdout
        // biome-ignore lint/suspicious/noControlCharactersInRegex: removing ANSI escapes
        .replace(/\x1b\[[0-9;]*m/g, '')
        .replace(/ +/g, ' '),
    );
  });

  it('NO_COLOR wins over FORCE_COLOR without a word from Node: stderr has only what the CLI says', async () => {
    // Prepare
    const env = { FORCE_COLOR: '1', NO_COLOR: '1' };

    // Act
    const shown = await cli(['show', 'bcc', SEEDED.bcc.custom], env);
    const missing = await cli(['show', 'bcc', 'm-absent00'], env);

    // Assess
    expect([shown.code, shown.stderr]).toEqual([0, '']);
    expect(shown.stdout).not.toMatch(ANSI);
    expect(missing.code, missing.stderr).not.toBe(0);
    expect(missing.stderr).toMatch(/^ImageNotFound: /);
    expect(missing.stderr).not.toMatch(ANSI);
    expect(missing.stderr).not.toMatch(/Warning|NO_COLOR/);
  });
});

interface ErrorCase {
  name: ErrorName;
  args: string[];
  env?: Record<string, string>;
  /** Faults and state before the run. */
  prepare?: () => void;
  /** Run without --emulator (the case configures the providers itself). */
  own?: boolean;
  /** Run with this folder on a full file system (cloudImagesOnFullDisk). */
  fullDisk?: string;
}

const FULL_DISK = mkdtempSync(join(tmpdir(), 'cif-full-'));
const POLICY_FILE = join(FULL_DISK, '..', `${basename(FULL_DISK)}-policy.json`);
writeFileSync(
  POLICY_FILE,
  JSON.stringify({
    name: 'old-bcc',
    provider: 'bcc',
    regions: ['bj'],
    select: { kind: 'custom', olderThanDays: 0 },
    limits: { maxDeletions: 1, maxPercent: 100 },
  }),
);
afterAll(() => {
  rmSync(FULL_DISK, { recursive: true, force: true });
  rmSync(POLICY_FILE, { force: true });
});

const ERROR_CASES: ErrorCase[] = [
  { name: 'InvalidRequest', args: ['show', 'bcc', 'not-an-id'] },
  { name: 'ImageProtected', args: ['delete', 'bcc', SEEDED.bcc.system, '--yes'] },
  { name: 'ImageNotFound', args: ['show', 'modelarts', '00000000-0000-4000-8000-000000000000'] },
  {
    name: 'PlanNotFound',
    args: ['apply', 'plan-000000000000000000000000', '--yes', '--dir', join(tmpdir(), 'no-plans')],
  },
  { name: 'ImageBusy', args: ['delete', 'bcc', SEEDED.bcc.creating, '--yes'] },
  {
    name: 'UpstreamAuthFailed',
    args: ['show', 'bcc', SEEDED.bcc.custom],
    own: true,
    env: {
      BCE_ACCESS_KEY_ID: DEMO_BCC.accessKeyId,
      BCE_SECRET_ACCESS_KEY: 'not-the-demo-secret-key-0000000000',
    },
  },
  {
    name: 'UpstreamBadResponse',
    args: ['show', 'bcc', SEEDED.bcc.custom],
    prepare: () =>
      fixture.emulator.faults.inject({
        match: { provider: 'bcc', operation: 'show' },
        action: { kind: 'malformed', body: '<html>not json</html>' },
      }),
  },
  {
    name: 'UpstreamUnavailable',
    args: ['show', 'bcc', SEEDED.bcc.custom],
    env: { UPSTREAM_MAX_ATTEMPTS: '1' },
    prepare: () =>
      fixture.emulator.faults.inject({
        match: { provider: 'bcc', operation: 'show' },
        action: { kind: 'status', status: 503 },
      }),
  },
  {
    name: 'UpstreamThrottled',
    args: ['show', 'bcc', SEEDED.bcc.custom],
    env: { UPSTREAM_MAX_ATTEMPTS: '1' },
    prepare: () =>
      fixture.emulator.faults.inject({
        match: { provider: 'bcc', operation: 'show' },
        action: { kind: 'status', status: 429 },
      }),
  },
  {
    name: 'UpstreamTimeout',
    args: ['show', 'bcc', SEEDED.bcc.custom],
    env: { CLOUD_IMAGES_TIMEOUT_MS: '1500' },
    prepare: () =>
      fixture.emulator.faults.inject({
        match: { provider: 'bcc', operation: 'show' },
        action: { kind: 'stall' },
      }),
  },
  {
    name: 'CredentialsUnavailable',
    args: ['show', 'bcc', SEEDED.bcc.custom],
    own: true,
    env: {
      IMAGE_CREDENTIALS_SECRET_ID: 'cloud-image-functions/test',
      AWS_REGION: 'eu-central-1',
      AWS_ACCESS_KEY_ID: 'testing',
      AWS_SECRET_ACCESS_KEY: 'testing',
      // Nothing listens on port 9 (discard) of loopback: Secrets Manager cannot be reached.
      AWS_ENDPOINT_URL_SECRETS_MANAGER: 'http://127.0.0.1:9',
    },
  },
  {
    // The operator's endpoint variable, not a flag: configuration (a bad --endpoint is the
    // caller's InvalidRequest).
    name: 'ConfigurationError',
    args: ['show', 'bcc', SEEDED.bcc.custom],
    own: true,
    env: {
      BCC_ENDPOINT: 'http://images.example.com',
      BCE_ACCESS_KEY_ID: DEMO_BCC.accessKeyId,
      BCE_SECRET_ACCESS_KEY: DEMO_BCC.secretAccessKey,
    },
  },
  {
    // The plan cannot be written: the disk is full (passing: the operator frees space).
    name: 'StoreUnavailable',
    args: ['plan', POLICY_FILE, '--dir', FULL_DISK],
    fullDisk: FULL_DISK,
  },
];

describe('exit statuses', () => {
  it('cover every error the commands can raise', () => {
    const commands = ['show', 'delete', 'list', 'usage', 'plan', 'apply'];
    const raisable = ERROR_NAMES.filter((name) =>
      (ERROR_TABLE[name].raisedBy as readonly string[]).some((op) => commands.includes(op)),
    );
    expect(ERROR_CASES.map((c) => c.name).sort()).toEqual([...raisable].sort());
  });

  it.each(ERROR_CASES)(
    '$name: its own exit status and the HTTP error body with --json',
    async (c) => {
      c.prepare?.();
      const env = c.own ? { BCC_ENDPOINT: fixture.url, ...c.env } : (c.env ?? {});
      const run =
        c.fullDisk !== undefined
          ? await cloudImagesOnFullDisk(
              c.fullDisk,
              ['--emulator', fixture.url, ...c.args, '--json'],
              env,
            )
          : c.own
            ? await cloudImages([...c.args, '--json'], env)
            : await cli([...c.args, '--json'], env);

      expect(run.code, run.stderr).toBe(exitStatusOfError(c.name));
      expect(run.stdout).toBe('');
      expect(run.errorBody().error.code).toBe(ERROR_TABLE[c.name].code);
    },
  );

  it('for people: the name, the message and what to do', async () => {
    const run = await cli(['delete', 'bcc', SEEDED.bcc.system, '--yes']);

    expect(run.code).toBe(exitStatusOfError('ImageProtected'));
    const [first, second] = run.stderr.split('\n');
    expect(first).toMatch(
      /^ImageProtected: bcc image m-nky7qeom \(.*\) is a system\/built-in image/,
    );
    expect(second?.trim()).toBe(ERROR_TABLE.ImageProtected.meaning);
    expect(run.stderr).not.toMatch(ANSI);
  });

  it('a bad command line is status 2, with --json as an error body', async () => {
    const unknownCommand = await cli(['remove', 'bcc', SEEDED.bcc.custom]);
    const unknownFlag = await cli(['delete', 'bcc', SEEDED.bcc.custom, '--dryrun', '--json']);
    const missing = await cli(['show', 'bcc']);

    expect(unknownCommand.code).toBe(2);
    expect(unknownCommand.stderr).toMatch(/^UsageError: unknown command 'remove'/);
    expect(unknownFlag.code).toBe(2);
    expect(unknownFlag.errorBody().error).toMatchObject({
      code: 'USAGE_ERROR',
      message: expect.stringContaining("unknown option '--dryrun'"),
    });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("missing required argument 'IMAGE_ID'");
    expect(deletesSent()).toBe(0);
  });

  it('a flag that takes one value, given twice, is a bad command line naming it: status 2, nothing sent', async () => {
    // Act: a command's flags, in either form, and a global one before and after the command.
    const region = await cli([
      'delete',
      'bcc',
      SEEDED.bcc.custom,
      '--region',
      'bj',
      '--region=gz',
      '--yes',
    ]);
    const endpoint = await cloudImages([
      'show',
      'bcc',
      SEEDED.bcc.custom,
      '--endpoint',
      fixture.url,
      '--endpoint',
      fixture.url,
      '--json',
    ]);
    const limit = await cli(['list', 'bcc', '--limit', '5', '--limit', '7']);
    const dir = await cli([
      'apply',
      'plan-000000000000000000000000',
      '--dir',
      'a',
      '--dir',
      'b',
      '--yes',
    ]);
    const emulator = await cli(['show', 'bcc', SEEDED.bcc.custom, '--emulator', fixture.url]);
    const sentBefore = fixture.emulator.requests.length;
    // A flag without a value says the same thing twice: allowed.
    const twiceJson = await cli(['show', 'bcc', SEEDED.bcc.custom, '--json', '--json']);

    // Assess
    expect(region.code).toBe(2);
    expect(region.stderr).toBe(
      'UsageError: --region is given more than once; it takes one value (see cloud-images delete --help)\n',
    );
    expect(endpoint.code).toBe(2);
    expect(endpoint.errorBody().error).toMatchObject({
      code: 'USAGE_ERROR',
      message: expect.stringMatching(/^--endpoint is given more than once; it takes one value/),
    });
    expect(limit.stderr).toMatch(/^UsageError: --limit is given more than once/);
    expect(dir.stderr).toMatch(/^UsageError: --dir is given more than once/);
    expect(emulator.stderr).toBe(
      'UsageError: --emulator is given more than once; it takes one value (see cloud-images --help)\n',
    );
    for (const run of [limit, dir, emulator]) expect(run.code).toBe(2);
    expect(sentBefore).toBe(0);
    expect(twiceJson.code, twiceJson.stderr).toBe(0);
    expect(twiceJson.json()).toHaveProperty('image.id', SEEDED.bcc.custom);
  });
});
