// `npm start` end to end: scripts/start.ts in a child process (serverless-offline serving the
// esbuild bundles, backed by the emulator it starts), driven over HTTP on loopback; the first suite
// runs it as the README does, through `npm start`.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SEEDED } from '../../emulator/demo.js';
import { emulatorEnvironment } from '../../scripts/local-environment.js';
import { cloudImages } from '../cli/cli-child.js';
import {
  type Child,
  freePort,
  groupRunning,
  NPM_START_READY_MS,
  spawnChild,
} from '../support/child.js';
import { useFixture } from '../support/fixture.js';

const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));

interface RecordedRequest {
  method: string;
  path: string;
  imageId?: string;
}

interface ErrorBody {
  error: { code: string; message: string; requestId: string };
}

let child: Child;
let api: string;
let emulatorUrl: string;

const configurationVariables = [
  'IMAGE_CREDENTIALS_SECRET_ID',
  'HUAWEICLOUD_SDK_AK',
  'HUAWEICLOUD_SDK_SK',
  'HUAWEICLOUD_SDK_SECURITY_TOKEN',
  'HUAWEICLOUD_SDK_PROJECT_ID',
  'HUAWEICLOUD_REGION',
  'BCE_ACCESS_KEY_ID',
  'BCE_SECRET_ACCESS_KEY',
  'BCE_SESSION_TOKEN',
  'BCE_REGION',
  'MODELARTS_ENDPOINT',
  'BCC_ENDPOINT',
  'PROTECTED_IMAGE_IDS',
  'PROTECTED_IMAGE_NAME_PATTERNS',
  'EMULATOR_PORT',
];

/** This process's environment without any of the service's configuration. */
const bareEnv = (): NodeJS.ProcessEnv => {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of configurationVariables) delete env[name];
  return env;
};

const call = async (
  method: 'GET' | 'DELETE' | 'POST',
  path: string,
  init: { body?: string; headers?: Record<string, string> } = {},
): Promise<{ status: number; body: unknown; headers: Headers }> => {
  const response = await fetch(`${api}${path}`, { method, ...init });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: keep the text, the assertion will show it
  }
  return { status: response.status, body, headers: response.headers };
};

const emulatorRequests = async (): Promise<RecordedRequest[]> => {
  const response = await fetch(`${emulatorUrl}/_emulator/requests`);
  expect(response.status).toBe(200);
  return (await response.json()) as RecordedRequest[];
};

describe('npm start with no configuration: the emulator', () => {
  const store = mkdtempSync(join(tmpdir(), 'cif-start-'));

  beforeAll(async () => {
    const port = await freePort();
    const emulatorPort = await freePort();
    // No real configuration: start.ts must start the emulator.
    const env = {
      ...bareEnv(),
      PORT: String(port),
      EMULATOR_PORT: String(emulatorPort),
      RETIREMENT_STORE_DIR: store,
    };
    child = spawnChild('npm', ['start'], { cwd: root, env });
    const [, emulator] = await child.waitFor(/Emulator: (http:\/\/\S+)/, 30_000);
    const [, ready] = await child.waitFor(/Ready: (http:\/\/\S+)/, NPM_START_READY_MS);
    emulatorUrl = emulator ?? '';
    api = ready ?? '';
    expect(api).toBe(`http://127.0.0.1:${port}`);
    expect(emulatorUrl).toBe(`http://127.0.0.1:${emulatorPort}`);
  }, NPM_START_READY_MS + 30_000);

  afterAll(async () => {
    await child?.stop();
    rmSync(store, { recursive: true, force: true });
  });

  it('prints the line that points the command line at its emulator, and the line works', async () => {
    const [, variable, value] =
      /The command line against it: export (CLOUD_IMAGES_EMULATOR)=(\S+)/.exec(child.output()) ??
      [];

    const shown = await cloudImages(['show', 'bcc', SEEDED.bcc.system, '--json'], {
      [variable ?? 'CLOUD_IMAGES_EMULATOR']: value ?? '',
    });

    expect(value).toBe(emulatorUrl);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.json()).toMatchObject({ image: { id: SEEDED.bcc.system, kind: 'system' } });
  });

  it('prints ready-to-paste curl commands for the seeded images of both providers', () => {
    const output = child.output();
    expect(output).toContain(`curl -s ${api}/images/modelarts/${SEEDED.modelarts.builtIn}`);
    expect(output).toContain(
      `curl -s -X DELETE '${api}/images/modelarts/${SEEDED.modelarts.custom}?dryRun=true'`,
    );
    expect(output).toContain(`curl -s -X DELETE ${api}/images/bcc/${SEEDED.bcc.custom}`);
    expect(output).toContain(`curl -s ${api}/images/bcc/${SEEDED.bcc.system}`);
  });

  it('shows a seeded ModelArts image without request signing (IAM is off locally)', async () => {
    const { status, body } = await call('GET', `/images/modelarts/${SEEDED.modelarts.builtIn}`);
    expect(status).toBe(200);
    expect(body).toMatchObject({
      image: {
        provider: 'modelarts',
        id: SEEDED.modelarts.builtIn,
        kind: 'system',
        status: 'available',
      },
    });
  });

  it('shows a seeded BCC image', async () => {
    const { status, body } = await call('GET', `/images/bcc/${SEEDED.bcc.custom}`);
    expect(status).toBe(200);
    expect(body).toMatchObject({
      image: { provider: 'bcc', id: SEEDED.bcc.custom, kind: 'custom' },
    });
  });

  it('dryRun=true reports what would happen and deletes nothing', async () => {
    const { status, body } = await call(
      'DELETE',
      `/images/modelarts/${SEEDED.modelarts.custom}?dryRun=true`,
    );
    expect(status).toBe(200);
    expect(body).toMatchObject({ outcome: 'dry-run' });
    expect((await emulatorRequests()).filter((request) => request.method === 'DELETE')).toEqual([]);
    const again = await call('GET', `/images/modelarts/${SEEDED.modelarts.custom}`);
    expect(again.status).toBe(200);
  });

  it('deletes the custom image, then answers 404 IMAGE_NOT_FOUND for it', async () => {
    const first = await call('DELETE', `/images/modelarts/${SEEDED.modelarts.custom}`);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ outcome: 'deleted' });
    const deletes = (await emulatorRequests()).filter((request) => request.method === 'DELETE');
    expect(deletes.map((request) => request.imageId)).toEqual([SEEDED.modelarts.custom]);

    const second = await call('DELETE', `/images/modelarts/${SEEDED.modelarts.custom}`);
    expect(second.status).toBe(404);
    const error = (second.body as ErrorBody).error;
    expect(error.code).toBe('IMAGE_NOT_FOUND');
    expect(typeof error.message).toBe('string');
    expect(error.requestId).toEqual(expect.any(String));
    expect(error.requestId.length).toBeGreaterThan(0);
  });

  it('refuses to delete the built-in image (403 IMAGE_PROTECTED) without sending a DELETE', async () => {
    const { status, body } = await call('DELETE', `/images/modelarts/${SEEDED.modelarts.builtIn}`);
    expect(status).toBe(403);
    expect((body as ErrorBody).error.code).toBe('IMAGE_PROTECTED');
    const deletes = (await emulatorRequests()).filter(
      (request) => request.method === 'DELETE' && request.imageId === SEEDED.modelarts.builtIn,
    );
    expect(deletes).toEqual([]);
  });

  it('answers 400 naming imageId for a malformed ID, and sends nothing upstream', async () => {
    const before = (await emulatorRequests()).length;
    const { status, body } = await call('GET', '/images/modelarts/not-a-uuid');
    expect(status).toBe(400);
    const error = (body as ErrorBody).error;
    expect(error.code).toBe('INVALID_REQUEST');
    expect(error.message).toContain('imageId');
    expect((await emulatorRequests()).length).toBe(before);
  });

  const bccDeletes = async (imageId: string) =>
    (await emulatorRequests()).filter(
      (request) => request.method === 'DELETE' && request.imageId === imageId,
    );

  it('BCC: deletes the custom image, then answers 404 for it', async () => {
    const first = await call('DELETE', `/images/bcc/${SEEDED.bcc.custom}`);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ outcome: 'deleted', image: { id: SEEDED.bcc.custom } });
    const second = await call('DELETE', `/images/bcc/${SEEDED.bcc.custom}`);
    expect(second.status).toBe(404);
    expect((second.body as ErrorBody).error.code).toBe('IMAGE_NOT_FOUND');
    expect(await bccDeletes(SEEDED.bcc.custom)).toHaveLength(1);
  });

  it('BCC: refuses the system image (403) without sending a DELETE', async () => {
    const shown = await call('GET', `/images/bcc/${SEEDED.bcc.system}`);
    expect(shown.body).toMatchObject({ image: { kind: 'system' } });
    const { status, body } = await call('DELETE', `/images/bcc/${SEEDED.bcc.system}`);
    expect(status).toBe(403);
    expect((body as ErrorBody).error.code).toBe('IMAGE_PROTECTED');
    expect(await bccDeletes(SEEDED.bcc.system)).toEqual([]);
  });

  it('BCC: an image shared to others is 409 IMAGE_BUSY with the provider message', async () => {
    const { status, body } = await call('DELETE', `/images/bcc/${SEEDED.bcc.sharedToOthers}`);
    expect(status).toBe(409);
    const error = (body as ErrorBody).error;
    expect(error.code).toBe('IMAGE_BUSY');
    expect(error.message).toContain('Image has been shared to others.');
  });

  it('BCC: an image being created is 409 IMAGE_BUSY, and nothing is deleted', async () => {
    const shown = await call('GET', `/images/bcc/${SEEDED.bcc.creating}`);
    expect(shown.body).toMatchObject({ image: { status: 'creating' } });
    const { status, body } = await call('DELETE', `/images/bcc/${SEEDED.bcc.creating}`);
    expect(status).toBe(409);
    expect((body as ErrorBody).error.code).toBe('IMAGE_BUSY');
    expect(await bccDeletes(SEEDED.bcc.creating)).toEqual([]);
  });

  /** The printed example whose comment starts with `what`. */
  const example = (what: string): string => {
    const line = child
      .output()
      .split('\n')
      .find((text) => text.startsWith('curl ') && text.includes(`  # ${what}`));
    if (line === undefined) throw new Error(`no example for "${what}" was printed`);
    return line;
  };

  it('lists the inventory page by page, as the printed example says, and what runs an image', async () => {
    // Prepare: the printed examples (a page of 5; the usage of an image an instance runs).
    expect(example('a page of images')).toContain(`'${api}/images/bcc?limit=5'`);
    const usagePath = /images\/bcc\/(m-[a-z0-9]+)\/usage/.exec(example('what runs an image'));
    const held = (await (await fetch(`${emulatorUrl}/_emulator/images/bcc`)).json()) as unknown[];

    // Act: page through every BCC image; ask what uses the printed one.
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const query = `limit=5${cursor === undefined ? '' : `&cursor=${encodeURIComponent(cursor)}`}`;
      const page = await call('GET', `/images/bcc?${query}`);
      expect(page.status, JSON.stringify(page.body)).toBe(200);
      const body = page.body as { images: Array<{ id: string }>; nextCursor?: string };
      seen.push(...body.images.map((image) => image.id));
      cursor = body.nextCursor;
    } while (cursor !== undefined);
    const usage = await call('GET', `/images/bcc/${usagePath?.[1]}/usage`);

    // Assess: every image once (the demo's and the generated ones); the printed one is in use.
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.length).toBe(held.length);
    expect(seen.length).toBeGreaterThan(40);
    expect(usage.status).toBe(200);
    expect(usage.body).toMatchObject({ inUse: true, complete: true });
  });

  it("the README's example of what runs an image names the image the banner prints", () => {
    // Prepare: the README's usage example and the banner's.
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const usageOf = (text: string): string | undefined =>
      /images\/bcc\/([^/\s]+)\/usage/.exec(text)?.[1];

    // Act: the image each names.
    const documented = usageOf(readme);
    const printed = usageOf(example('what runs an image'));

    // Assess: the same seeded image, in use, so the README's command works as pasted.
    expect(printed).toMatch(/^m-[a-z0-9]+$/);
    expect(documented, "README.md's usage example").toBe(printed);
  });

  it('plans the printed policy, shows the report, applies it, and the run deletes exactly the retire decisions', async () => {
    // Prepare: the policy of the printed plan example.
    const policy = /-d '(\{.*\})'/.exec(example('plan:'))?.[1] ?? '';
    const deletesBefore = (await emulatorRequests()).filter((r) => r.method === 'DELETE').length;

    // Act: plan, read the report, apply, and wait for the local queue to work through the run.
    const planned = await call('POST', '/retirements/plans', {
      body: policy,
      headers: { 'content-type': 'application/json' },
    });
    const plan = planned.body as {
      planId: string;
      totals: { retire: number };
      decisions: Array<{ decision: string; image: { id: string } }>;
    };
    const report = await call('GET', `/retirements/plans/${plan.planId}`, {
      headers: { accept: 'text/html' },
    });
    const applied = await call('POST', `/retirements/plans/${plan.planId}/apply`);
    const { runId } = applied.body as { runId: string };
    let run:
      | {
          run: { status: string; counts: Record<string, number> };
          outcomes: Array<{ outcome: string; error?: string; reason?: string }>;
        }
      | undefined;
    for (let attempt = 0; attempt < 60 && run?.run.status !== 'completed'; attempt += 1) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      run = (await call('GET', `/retirements/runs/${runId}`)).body as typeof run;
    }

    // Assess
    expect(planned.status, JSON.stringify(planned.body)).toBe(201);
    expect(plan.totals.retire).toBeGreaterThan(0);
    expect(report.status).toBe(200);
    expect(report.headers.get('content-type')).toMatch(/^text\/html/);
    expect(applied.status).toBe(202);
    // A BCC image shared to other accounts looks like any other in the listing, so the plan may
    // retire one of the seed's; the cloud refuses its delete and the run keeps it (skipped).
    const counts = run?.run.counts ?? {};
    expect(run?.run.status).toBe('completed');
    expect(counts.failed).toBe(0);
    expect((counts.deleted ?? 0) + (counts.skipped ?? 0)).toBe(plan.totals.retire);
    expect(counts.deleted).toBeGreaterThan(0);
    for (const kept of (run?.outcomes ?? []).filter((o) => o.outcome === 'skipped')) {
      expect(kept).toMatchObject({ error: 'ImageBusy', reason: expect.stringMatching(/shared/) });
    }
    const retired = plan.decisions.filter((d) => d.decision === 'retire').map((d) => d.image.id);
    const deletes = (await emulatorRequests()).filter((r) => r.method === 'DELETE');
    expect(deletes.length - deletesBefore).toBe(retired.length);
    expect(
      deletes
        .slice(deletesBefore)
        .map((r) => r.imageId)
        .sort(),
    ).toEqual(retired.sort());
    const events = readFileSync(join(store, 'events.jsonl'), 'utf8');
    expect(events).toContain('"Retirement Run Completed"');
    expect(child.output()).toMatch(/Delete queue: \d+ deletes handled/);
  });

  it('stops, servers and emulator too, when npm alone is told to stop (SIGTERM, as a process manager or `timeout` sends)', async () => {
    // Act: the signal to npm only, not to its process group.
    process.kill(child.pid, 'SIGTERM');
    await child.exited();
    const deadline = Date.now() + 15_000;
    while (groupRunning(child.pid) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }

    // Assess: before, npm's shell went and start.ts with serverless-offline stayed, holding the
    // port, so the next `npm start` could not listen.
    expect(groupRunning(child.pid)).toBe(false);
    await expect(fetch(`${api}/images/bcc/${SEEDED.bcc.custom}`)).rejects.toThrow();
    await expect(fetch(`${emulatorUrl}/`)).rejects.toThrow();
  });
});

describe('npm start with the configuration in the environment', () => {
  // An emulator this test owns stands in for the real clouds.
  const fixture = useFixture({ demoEnv: false });
  let own: Child;
  let ownApi: string;

  beforeAll(async () => {
    const port = await freePort();
    const env = {
      ...bareEnv(),
      PORT: String(port),
      ...emulatorEnvironment(fixture.url),
      PROTECTED_IMAGE_IDS: SEEDED.bcc.custom,
    };
    own = spawnChild(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], { cwd: root, env });
    const [, ready] = await own.waitFor(/Ready: (http:\/\/\S+)/, NPM_START_READY_MS);
    ownApi = ready ?? '';
  }, NPM_START_READY_MS + 30_000);

  afterAll(async () => {
    await own?.stop();
  });

  it('starts no emulator and says which variables it uses', () => {
    expect(own.output()).not.toMatch(/Emulator: http/);
    expect(own.output()).toMatch(
      /Using the configuration in the environment \(.*MODELARTS_ENDPOINT/,
    );
  });

  it('passes every variable to the handlers: endpoints, credentials and protection rules', async () => {
    const shown = await fetch(`${ownApi}/images/bcc/${SEEDED.bcc.custom}`);
    expect(shown.status).toBe(200);
    expect(
      fixture.emulator.requests.filter((request) => request.imageId === SEEDED.bcc.custom),
    ).toHaveLength(1);
    // PROTECTED_IMAGE_IDS reached the delete handler: refused before any DELETE.
    const refused = await fetch(`${ownApi}/images/bcc/${SEEDED.bcc.custom}`, { method: 'DELETE' });
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as ErrorBody).error.code).toBe('IMAGE_PROTECTED');
    expect(fixture.emulator.requests.filter((request) => request.method === 'DELETE')).toEqual([]);
    const modelarts = await fetch(`${ownApi}/images/modelarts/${SEEDED.modelarts.custom}`);
    expect(modelarts.status).toBe(200);
  });
});
