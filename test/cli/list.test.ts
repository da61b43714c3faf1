// `cloud-images list` in child processes against the emulator: one page is exactly the list
// route's body (cursor included), no --limit pages through everything once, filters are validated
// as the API validates them, and a listing out of time prints what it has and how to go on.

import { describe, expect, it } from 'vitest';
import { handler as httpList } from '../../functions/http/list-images.js';
import { exitStatusOfError } from '../../lib/cli/exit-status.js';
import { type Image, imageSchema } from '../../lib/images/image.js';
import { lambdaContext, parseResult, routeEvent } from '../../scripts/lambda-events.js';
import { useFixture } from '../support/fixture.js';
import { type CliRun, cloudImages, cloudImagesPipedTo } from './cli-child.js';

// The emulator, and this process pointed at it for the list handler the output is compared with.
const fixture = useFixture();

const cli = (args: readonly string[], env: Record<string, string> = {}): Promise<CliRun> =>
  cloudImages(['--emulator', fixture.url, ...args], env);

/** GET /images/{provider}?query through the real handler, in this process. */
const httpPage = async (provider: string, query: Record<string, string>) => {
  const event = routeEvent({
    method: 'GET',
    route: '/images/{provider}',
    pathParameters: { provider },
    query,
  });
  return parseResult(await httpList(event, lambdaContext()));
};

describe('cloud-images list', () => {
  it('--limit prints one page of the list route, and --cursor the next, exactly as it answers', async () => {
    // The 4 demo images and 1 more: a page of 3, then the last page of 2.
    fixture.emulator.seed({ bcc: { images: 1 } });

    const first = await cli(['list', 'bcc', '--limit', '3', '--json']);
    const answeredFirst = await httpPage('bcc', { limit: '3' });
    const cursor = first.json<{ nextCursor: string }>().nextCursor;
    const second = await cli(['list', 'bcc', '--limit', '3', '--cursor', cursor, '--json']);
    const answeredSecond = await httpPage('bcc', { limit: '3', cursor });

    expect(first.code, first.stderr).toBe(0);
    expect(first.json()).toEqual(answeredFirst.body);
    expect(second.code, second.stderr).toBe(0);
    expect(second.json()).toEqual(answeredSecond.body);
    const ids = [first, second].flatMap((run) =>
      run.json<{ images: Image[] }>().images.map((image) => image.id),
    );
    expect(new Set(ids).size).toBe(fixture.emulator.state.bcc.size);
    expect(second.json()).not.toHaveProperty('nextCursor');
  });

  it('without --limit pages through every image once, printing one body with no cursor', async () => {
    fixture.emulator.seed({ bcc: { images: 2_500 } });

    const run = await cli(['list', 'bcc', '--json']);

    expect(run.code, run.stderr).toBe(0);
    const body = run.json<{ images: unknown[]; nextCursor?: string }>();
    expect(body.nextCursor).toBeUndefined();
    const images = body.images.map((image) => imageSchema.parse(image));
    expect(new Set(images.map((image) => image.id)).size).toBe(fixture.emulator.state.bcc.size);
    expect(images).toHaveLength(fixture.emulator.state.bcc.size);
    // Piped: no progress count on stderr.
    expect(run.stderr).toBe('');
  });

  it('for people: a table with a header, filtered, and the count with the resolved region', async () => {
    const run = await cli(['list', 'bcc', '--kind', 'custom', '--status', 'available']);

    expect(run.code, run.stderr).toBe(0);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ID +NAME +KIND +STATUS +CREATED \(UTC\)$/);
    const rows = lines.slice(1, -1);
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows)
      expect(row).toMatch(/^m-\S+ +.+ +custom +available +\d{4}-\d\d-\d\d \d\d:\d\d$/);
    expect(lines.at(-1)).toBe(`${rows.length} image${rows.length === 1 ? '' : 's'} of bcc in bj`);
  });

  it('--status given again adds to the list, as a query parameter given twice reaches the API', async () => {
    // Prepare: images in either status of the two.
    fixture.emulator.seed({ bcc: { images: 200 }, random: 7 });

    // Act
    const repeated = await cli([
      'list',
      'bcc',
      '--status',
      'failed',
      '--status',
      'error',
      '--json',
    ]);
    const commas = await cli(['list', 'bcc', '--status', 'failed,error', '--json']);

    // Assess: both statuses, exactly as the comma-separated form lists them.
    expect(repeated.code, repeated.stderr).toBe(0);
    const statuses = repeated.json<{ images: Image[] }>().images.map((image) => image.status);
    expect(new Set(statuses)).toEqual(new Set(['failed', 'error']));
    expect(repeated.json()).toEqual(commas.json());
  });

  it('refuses a bad filter as the API does: InvalidRequest naming it, nothing sent upstream', async () => {
    const status = await cli(['list', 'bcc', '--status', 'available,gone', '--json']);
    const limit = await cli(['list', 'bcc', '--limit', '5000', '--json']);
    const time = await cli(['list', 'bcc', '--created-before', 'yesterday', '--json']);
    const notWhole = await Promise.all(
      ['0x10', '1e2', '5.0', ' 7'].map((value) => cli(['list', 'bcc', '--limit', value, '--json'])),
    );

    for (const run of [status, limit, time, ...notWhole]) {
      expect(run.code, run.stderr).toBe(exitStatusOfError('InvalidRequest'));
    }
    expect(status.errorBody().error.message).toMatch(/^--status: "gone" must be one of /);
    expect(limit.errorBody().error.message).toMatch(/^--limit: /);
    for (const run of notWhole) {
      expect(run.errorBody().error.message).toBe('--limit: must be a whole number');
    }
    expect(time.errorBody().error.message).toMatch(/^--created-before: /);
    expect(fixture.emulator.requests).toHaveLength(0);
  });

  it('refuses a cursor that is not one it made as bad input before it reads the configuration: InvalidRequest with no credentials', async () => {
    // Prepare: no --emulator, so neither cloud has credentials (the child's environment is bare).
    const args = ['list', 'bcc', '--cursor', 'zzz'];

    // Act
    const json = await cloudImages([...args, '--json']);
    const forPeople = await cloudImages(args);

    // Assess: not ConfigurationError for the missing BCE_ACCESS_KEY_ID, which a good cursor meets.
    for (const run of [json, forPeople]) {
      expect(run.code, run.stderr).toBe(exitStatusOfError('InvalidRequest'));
    }
    expect(json.errorBody().error).toMatchObject({
      code: 'INVALID_REQUEST',
      message: expect.stringMatching(/^--cursor: is not a cursor this service made/),
    });
    expect(forPeople.stderr).toMatch(
      /^InvalidRequest: --cursor: is not a cursor this service made/,
    );
    expect(fixture.emulator.requests).toHaveLength(0);
  });

  it('names a bad flag as the person typed it, where the API names its field: for people and in --json alike', async () => {
    // Act: each flag the command line refuses, and the same query to the list route.
    const cases: { args: string[]; query: Record<string, string>; cli: string; http: string }[] = [
      {
        args: ['--created-before', 'yesterday'],
        query: { createdBefore: 'yesterday' },
        cli: '--created-before: must be an ISO 8601 date',
        http: 'createdBefore: must be an ISO 8601 date',
      },
      {
        args: ['--limit', 'abc'],
        query: { limit: 'abc' },
        cli: '--limit: must be a whole number',
        http: 'limit: must be a whole number',
      },
      {
        args: ['--status', 'weird'],
        query: { status: 'weird' },
        cli: '--status: "weird" must be one of available, creating, failed,',
        http: 'status.0: must be one of available, creating, failed,',
      },
      {
        args: ['--created-after', '2027-01-01', '--created-before', '2026-01-01'],
        query: { createdAfter: '2027-01-01', createdBefore: '2026-01-01' },
        cli: '--created-after: must be earlier than --created-before by more than a millisecond (both bounds are exclusive',
        http: 'createdAfter: must be earlier than createdBefore by more than a millisecond (both bounds are exclusive',
      },
      {
        args: ['--cursor', 'zzz'],
        query: { cursor: 'zzz' },
        cli: '--cursor: is not a cursor this service made; start again without a cursor',
        http: 'cursor: is not a cursor this service made; start again without a cursor',
      },
      {
        args: ['--kind', 'foo', '--name', '', '--region', 'B J'],
        query: { kind: 'foo', name: '', region: 'B J' },
        cli: '--region: must be lowercase letters',
        http: 'region: must be lowercase letters',
      },
    ];
    const runs = await Promise.all(
      cases.map(async (c) => ({
        json: await cli(['list', 'bcc', ...c.args, '--json']),
        human: await cli(['list', 'bcc', ...c.args]),
        http: await httpPage('bcc', c.query),
      })),
    );

    // Assess
    runs.forEach((run, index) => {
      const c = cases[index] ?? { cli: '?', http: '?' };
      // The message's opening, as long as the one expected (each goes on to say what it takes).
      const opening = (text: string, expected: string) => text.slice(0, expected.length);
      expect(run.json.code, run.json.stderr).toBe(exitStatusOfError('InvalidRequest'));
      expect(opening(run.json.errorBody().error.message, c.cli)).toBe(c.cli);
      const human = `InvalidRequest: ${c.cli}`;
      expect(opening(run.human.stderr, human)).toBe(human);
      expect(run.http.status).toBe(400);
      const answered = (run.http.body.error as { message: string }).message;
      expect(opening(answered, c.http)).toBe(c.http);
    });
    // Every bad flag of one command line, each by its name.
    expect(runs.at(-1)?.json.errorBody().error.message).toBe(
      '--region: must be lowercase letters, digits and single hyphens; --kind: must be one of custom, system, shared, other; --name: must not be empty',
    );
    expect(fixture.emulator.requests).toHaveLength(0);
  });

  it('takes the ISO 8601 times the API takes (no seconds, basic forms, an offset ±hhmm), giving its page', async () => {
    fixture.emulator.seed({ bcc: { images: 20 } });
    const query = { createdBefore: '2030-01-01T12:00Z', createdAfter: '20000101T0000+0530' };

    const run = await cli([
      'list',
      'bcc',
      '--created-before',
      query.createdBefore,
      '--created-after',
      query.createdAfter,
      '--limit',
      '5',
      '--json',
    ]);
    const answered = await httpPage('bcc', { ...query, limit: '5' });

    expect(run.code, run.stderr).toBe(0);
    expect(answered.status).toBe(200);
    expect(run.json<{ images: Image[] }>().images).toEqual(answered.body.images);
    expect(run.json<{ images: Image[] }>().images).toHaveLength(5);
  });

  it('out of time: prints what it listed with the cursor to go on, and ends as UpstreamTimeout', async () => {
    fixture.emulator.seed({ bcc: { images: 3_000 } });
    fixture.emulator.faults.inject({
      match: { provider: 'bcc', operation: 'list-images' },
      times: 10,
      action: { kind: 'latency', ms: 700 },
    });

    const run = await cli(['list', 'bcc', '--json'], { CLOUD_IMAGES_TIMEOUT_MS: '2600' });

    expect(run.code).toBe(exitStatusOfError('UpstreamTimeout'));
    const body = run.json<{ images: unknown[]; nextCursor: string }>();
    expect(body.images.length).toBeGreaterThan(0);
    expect(body.images.length).toBeLessThan(fixture.emulator.state.bcc.size);
    expect(run.errorBody().error.message).toContain(`--limit 1000 --cursor ${body.nextCursor}`);
  });

  it('a later page that runs out of time in its request: prints what it listed, with the cursor of that page, and ends as UpstreamTimeout', async () => {
    // Prepare: two upstream pages of the API's largest size; the second one's request stalls
    // past the command's time.
    fixture.emulator.seed({ bcc: { images: 1_500 } });
    fixture.emulator.faults.inject({
      match: { provider: 'bcc', operation: 'list-images' },
      skip: 1,
      times: 1,
      action: { kind: 'latency', ms: 9_000 },
    });

    // Act
    const run = await cli(['list', 'bcc', '--json'], { CLOUD_IMAGES_TIMEOUT_MS: '4000' });

    // Assess: before, stdout was empty (the first 1,000 images thrown away).
    expect(run.code, run.stderr).toBe(exitStatusOfError('UpstreamTimeout'));
    const body = run.json<{ images: unknown[]; nextCursor: string }>();
    expect(body.images).toHaveLength(1_000);
    expect(run.errorBody().error.message).toContain(`--limit 1000 --cursor ${body.nextCursor}`);
    const next = await cli([
      'list',
      'bcc',
      '--limit',
      '1000',
      '--cursor',
      body.nextCursor,
      '--json',
    ]);
    expect(next.code, next.stderr).toBe(0);
    expect(next.json<{ images: unknown[] }>().images).toHaveLength(
      fixture.emulator.state.bcc.size - 1_000,
    );
  });

  it('full pages whose next markers lead back to one read already (m-a, m-b, m-a...) end as UpstreamBadResponse, not a listing read until its time runs out', async () => {
    // Prepare: every page holds as many images as the listing asks for at a time (1,000), so each
    // of the API's calls ends at a page's end, with a cursor to the next marker.
    fixture.emulator.seed({ bcc: { images: 1_000 } });
    const images = fixture.emulator.state.bcc.list().slice(0, 1_000);
    for (let page = 0; page < 20; page += 1) {
      fixture.emulator.faults.inject({
        match: { provider: 'bcc', operation: 'list-images' },
        action: {
          kind: 'malformed',
          body: JSON.stringify({
            marker: '',
            isTruncated: true,
            nextMarker: page % 2 === 0 ? 'm-a' : 'm-b',
            maxKeys: 1_000,
            images,
          }),
        },
      });
    }

    // Act
    const run = await cli(['list', 'bcc', '--json']);

    // Assess: the first page, m-a, m-b; the way back to m-a is the loop.
    expect(run.code, run.stderr).toBe(exitStatusOfError('UpstreamBadResponse'));
    expect(run.errorBody().error.message).toMatch(/leads back to one it read already/);
    expect(
      fixture.emulator.requests.filter((request) => request.operation === 'list-images'),
    ).toHaveLength(3);
  });

  it('read by a pipe that closes early (| head): not a failure of its own, and out of time still UpstreamTimeout', async () => {
    // Prepare: more images than one upstream page; either listing prints far more than a pipe
    // holds, so its write meets a reader that has gone.
    fixture.emulator.seed({ bcc: { images: 3_000 } });
    const args = ['--emulator', fixture.url, 'list', 'bcc', '--json'];
    const firstBytes = 'head -c 100 > /dev/null';

    // Act: the whole listing, then one with time for a page only.
    const whole = await cloudImagesPipedTo(firstBytes, args);
    fixture.emulator.faults.inject({
      match: { provider: 'bcc', operation: 'list-images' },
      times: 10,
      action: { kind: 'latency', ms: 700 },
    });
    const cutShort = await cloudImagesPipedTo(firstBytes, args, {
      CLOUD_IMAGES_TIMEOUT_MS: '2600',
    });

    // Assess
    expect(whole.code, whole.stderr).toBe(0);
    expect(whole.stderr).toBe('');
    expect(cutShort.code, cutShort.stderr).toBe(exitStatusOfError('UpstreamTimeout'));
    expect(cutShort.errorBody().error.code).toBe('UPSTREAM_TIMEOUT');
  });
});
