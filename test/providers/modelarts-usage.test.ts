// The ModelArts usage scan over real HTTP (real undici, real SDK-HMAC-SHA256 signatures) against
// the provider emulator: which notebook list it reads and how it pages it, as the API documents
// them. An image a notebook runs that the scan does not see would be deleted.

import { describe, expect, it } from 'vitest';
import { DEMO_MODELARTS, SEEDED } from '../../emulator/demo.js';
import { createCredentialStore } from '../../lib/credentials/credential-store.js';
import { UpstreamAuthFailed } from '../../lib/errors/errors.js';
import { deadlineIn } from '../../lib/http/deadline.js';
import { undiciTransport } from '../../lib/http/transport.js';
import type {
  CallContext,
  ImageProvider,
  ImageUse,
  ScanPosition,
} from '../../lib/images/provider-port.js';
import { modelArtsCloud } from '../../lib/providers/modelarts/cloud.js';
import { useFixture } from '../support/fixture.js';
import { FAST_RETRY_POLICY } from '../support/retry-policy.js';
import { colleagueNotebook } from '../support/sample-notebook.js';

const policy = FAST_RETRY_POLICY;

const fixture = useFixture({ demoEnv: false });

const provider = (): ImageProvider =>
  modelArtsCloud.createProvider({
    credentials: createCredentialStore({
      env: {
        HUAWEICLOUD_SDK_AK: DEMO_MODELARTS.accessKeyId,
        HUAWEICLOUD_SDK_SK: DEMO_MODELARTS.secretAccessKey,
        HUAWEICLOUD_SDK_PROJECT_ID: DEMO_MODELARTS.projectId,
        HUAWEICLOUD_REGION: DEMO_MODELARTS.region,
      },
    }),
    endpointOverride: fixture.emulator.url,
  });

const context = (): CallContext => ({
  deadline: deadlineIn(10_000),
  policy,
  transport: undiciTransport,
  calls: [],
});

/** Every use the scan finds, page after page to the end. */
const scanToTheEnd = async (): Promise<ImageUse[]> => {
  const modelarts = provider();
  const uses: ImageUse[] = [];
  let position: ScanPosition | undefined;
  do {
    const page = await modelarts.listUsage(DEMO_MODELARTS.region, position, context());
    uses.push(...page.uses);
    position = page.next;
  } while (position !== undefined);
  return uses;
};

const notebookRequests = () =>
  fixture.emulator.requests.filter((request) => request.path.includes('/notebooks'));

describe('the ModelArts usage scan', () => {
  it("reads every IAM user's notebooks of the project (ListAllNotebooks), not only the caller's", async () => {
    // Prepare: another IAM user's notebook runs the custom image. ListNotebooks answers only the
    // caller's own notebooks; the console shows the others through "View all".
    const notebook = colleagueNotebook(SEEDED.modelarts.custom);
    fixture.emulator.state.notebooks.set(notebook);

    // Act
    const uses = await scanToTheEnd();

    // Assess
    expect(uses).toContainEqual({
      imageKeys: [`id:${SEEDED.modelarts.custom}`],
      reference: {
        type: 'notebook',
        id: notebook.id,
        name: notebook.name,
        status: notebook.status,
      },
    });
    expect(notebookRequests().map((request) => request.path)).toEqual([
      `/v1/${DEMO_MODELARTS.projectId}/notebooks/all`,
    ]);
  });

  it.each(['records', 'pages'] as const)(
    'asks for pages of a documented size (10, 20 or 50) and reads every notebook once (offsets count %s)',
    async (reading) => {
      // Prepare: more notebooks than one page holds, each running the custom image.
      fixture.emulator.settings.modelartsOffset = reading;
      const ids = Array.from(
        { length: 120 },
        (_, n) => `b0b0b0b0-0000-4000-8000-${String(n).padStart(12, '0')}`,
      );
      for (const id of ids) {
        fixture.emulator.state.notebooks.set({ id, image: { id: SEEDED.modelarts.custom } });
      }

      // Act
      const uses = await scanToTheEnd();

      // Assess
      expect(uses.map((use) => use.reference.id).sort()).toEqual(ids);
      const limits = notebookRequests().map(
        (request) => request.query.find(([key]) => key === 'limit')?.[1],
      );
      expect(limits.length).toBeGreaterThan(2);
      expect(limits.filter((limit) => !['10', '20', '50'].includes(String(limit)))).toEqual([]);
    },
  );

  it.each(['records', 'pages'] as const)(
    'reads every notebook once from a service that serves pages of 20 when asked for 50 (offsets count %s)',
    async (reading) => {
      // Prepare
      fixture.emulator.settings.modelartsOffset = reading;
      fixture.emulator.settings.modelartsMaxLimit = 20;
      const ids = Array.from(
        { length: 120 },
        (_, n) => `b0b0b0b0-0000-4000-8000-${String(n).padStart(12, '0')}`,
      );
      for (const id of ids) {
        fixture.emulator.state.notebooks.set({ id, image: { id: SEEDED.modelarts.custom } });
      }

      // Act
      const uses = await scanToTheEnd();

      // Assess
      const seen = uses.map((use) => use.reference.id);
      expect(seen.length - new Set(seen).size, 'notebooks read twice').toBe(0);
      expect([...seen].sort()).toEqual(ids);
    },
  );

  it.each(['records', 'pages'] as const)(
    'reads every notebook when one is created between the first page and the offset probe (offsets count %s)',
    async (reading) => {
      // Prepare: 200 notebooks, newest first; the oldest runs the custom image. One more is
      // created at the head of the list just after the first page is read (that page is the list
      // as it was before).
      fixture.emulator.settings.modelartsOffset = reading;
      const notebooks = Array.from({ length: 200 }, (_, n) => ({
        id: `b0b0b0b0-0000-4000-8000-${String(n).padStart(12, '0')}`,
        create_at: 1_700_000_000_000 - n,
        image: { id: n === 199 ? SEEDED.modelarts.custom : SEEDED.modelarts.builtIn },
      }));
      for (const notebook of notebooks) fixture.emulator.state.notebooks.set(notebook);
      fixture.emulator.state.notebooks.set({
        id: 'c0c0c0c0-0000-4000-8000-000000000000',
        create_at: 1_700_000_000_001,
        image: { id: SEEDED.modelarts.builtIn },
      });
      fixture.emulator.faults.inject({
        match: { operation: 'list-all-notebooks' },
        action: {
          kind: 'malformed',
          body: JSON.stringify({ data: notebooks.slice(0, 50), total: 200 }),
        },
      });

      // Act
      const uses = await scanToTheEnd();

      // Assess
      const seen = new Set(uses.map((use) => use.reference.id));
      expect(notebooks.filter((notebook) => !seen.has(notebook.id)).map((n) => n.id)).toEqual([]);
      expect(uses.map((use) => use.imageKeys)).toContainEqual([`id:${SEEDED.modelarts.custom}`]);
    },
  );

  it("a key refused the list of every user's notebooks (403) fails the scan, naming the permissions to check", async () => {
    // Prepare: the key lacks modelarts:notebook:listAllNotebooks.
    fixture.emulator.faults.inject({
      match: { operation: 'list-all-notebooks' },
      times: 10,
      action: {
        kind: 'status',
        status: 403,
        body: { error_code: 'ModelArts.0204', error_msg: 'Policy does not allow this action' },
      },
    });

    // Act
    const failure = await scanToTheEnd().then(
      () => undefined,
      (error: unknown) => error,
    );

    // Assess: no scan result (a delete relying on it fails closed), and a message that says what
    // to look at, without the cloud's own text.
    expect(failure).toBeInstanceOf(UpstreamAuthFailed);
    expect((failure as Error).message).toBe(
      "ModelArts refused our key the usage call (ModelArts.0204): check the key's permissions, the credentials and the clock",
    );
  });
});
