// A delete's outcome event, through the real HTTP handler against the emulator. The publisher is
// loaded while the delete's upstream calls are in flight (Invocation.preparePublish), and that
// changes nothing of what is reported: one event per delete, none for a dry run that succeeded,
// and a publisher that cannot be built is reported once, by the publish, and never thrown.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Context } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SEEDED } from '../../emulator/demo.js';
import { httpEvent, lambdaContext, parseResult } from '../../scripts/lambda-events.js';
import { eventsPublishedLocally } from '../support/events.js';
import { type EnvVars, useFixture } from '../support/fixture.js';

type Handler = (event: unknown, context: Context) => Promise<unknown>;

const fixture = useFixture();

let store: string;

beforeEach(async () => {
  store = await mkdtemp(join(tmpdir(), 'cif-delete-events-'));
});

afterEach(async () => {
  await rm(store, { recursive: true, force: true });
});

/** The HTTP delete function as a new sandbox loads it with these variables. */
const loadDelete = (env: EnvVars): Promise<Handler> =>
  fixture.fresh(
    env,
    async () =>
      (await import('../../functions/http/delete-image.js')).handler as unknown as Handler,
  );

const deleteOver = async (handler: Handler, imageId: string, query: Record<string, string> = {}) =>
  parseResult(
    (await handler(httpEvent('DELETE', 'modelarts', imageId, query), lambdaContext())) as never,
  );

describe("a delete's outcome event", () => {
  it('one Image Deleted event for a delete, none for a dry run', async () => {
    // Prepare
    const httpDelete = await loadDelete({ RETIREMENT_STORE_DIR: store });

    // Act
    const dryRun = await deleteOver(httpDelete, SEEDED.modelarts.custom, { dryRun: 'true' });
    const afterDryRun = await eventsPublishedLocally(store);
    const deleted = await deleteOver(httpDelete, SEEDED.modelarts.custom);

    // Assess
    expect(dryRun.status, JSON.stringify(dryRun.body)).toBe(200);
    expect(afterDryRun).toEqual([]);
    expect(deleted.status, JSON.stringify(deleted.body)).toBe(200);
    const events = await eventsPublishedLocally(store);
    expect(events.map((event) => event.detailType)).toEqual(['Image Deleted']);
    expect(events[0]?.detail).toMatchObject({
      provider: 'modelarts',
      imageId: SEEDED.modelarts.custom,
    });
  });

  it('a bus name the configuration refuses: the delete still answers 200, one line says its event was not published', async () => {
    // Prepare
    const httpDelete = await loadDelete({ EVENT_BUS_NAME: 'no spaces in a bus name' });

    // Act
    const deleted = await deleteOver(httpDelete, SEEDED.modelarts.custom);

    // Assess
    expect(deleted.status, JSON.stringify(deleted.body)).toBe(200);
    expect(fixture.emulator.requests.filter((request) => request.method === 'DELETE')).toHaveLength(
      1,
    );
    const notPublished = fixture.log.linesWhere({ message: 'events not published' });
    expect(notPublished).toHaveLength(1);
    expect(notPublished[0]).toMatchObject({ notPublished: 1 });
  });
});
