// A run too large to answer as it is: Lambda refuses to return more than 6 MB (the whole result),
// and a run's outcomes pass that at about 13,000 (each carries the image as it was). The run route
// sends a large run gzipped to a caller that accepts gzip, and refuses one that does not with a
// 400 saying how to ask, where Lambda's refusal would have reached the caller as a bare 500.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handler as getRunHandler } from '../../functions/http/get-run.js';
import type { RunDocument } from '../../lib/retirement/ports.js';
import { localRunStore } from '../../lib/stores/local-run-store.js';
import { type HttpResult, LAMBDA_RESPONSE_LIMIT_BYTES } from '../../lib/triggers/http.js';
import { lambdaContext, routeEvent } from '../../scripts/lambda-events.js';
import { useFixture } from '../support/fixture.js';
import { SAMPLE_IMAGE } from '../support/sample-image.js';

const store = await mkdtemp(join(tmpdir(), 'cif-large-run-'));
const RUN_ID = 'run-0123456789abcdef0123';
const OUTCOMES = 16_000;

useFixture({ env: { RETIREMENT_STORE_DIR: store } });

beforeAll(async () => {
  // Prepare: a finished run of 16,000 deleted images, each outcome with its image.
  const runs = localRunStore({ dir: store });
  const at = '2026-01-01T00:00:00.000Z';
  await runs.create({
    runId: RUN_ID,
    planId: 'plan-0123456789abcdef01234567',
    provider: 'modelarts',
    policyName: 'retire-everything-old',
    createdAt: at,
    total: OUTCOMES,
  });
  const decisions = Array.from({ length: OUTCOMES }, (_, index) => {
    const id = `00000000-0000-4000-8000-${index.toString(16).padStart(12, '0')}`;
    return {
      imageKey: `cn-north-4/${id}`,
      result: {
        outcome: 'deleted' as const,
        image: { ...SAMPLE_IMAGE, id, name: `train-resnet-${index}` },
        at,
      },
    };
  });
  await runs.finishManyUnlessDeleteSent(RUN_ID, decisions);
});

afterAll(async () => {
  await rm(store, { recursive: true, force: true });
});

const getRun = (headers: Record<string, string>) =>
  getRunHandler(
    routeEvent({
      method: 'GET',
      route: '/retirements/runs/{runId}',
      pathParameters: { runId: RUN_ID },
      headers,
    }),
    lambdaContext(),
  ) as Promise<HttpResult>;

describe('a run too large to answer as it is', () => {
  it('is answered gzipped to a caller that accepts gzip, every outcome in it', async () => {
    // Act
    const response = await getRun({ 'accept-encoding': 'gzip' });

    // Assess
    expect(response.statusCode).toBe(200);
    expect(response.headers?.['content-encoding']).toBe('gzip');
    expect(Buffer.byteLength(JSON.stringify(response))).toBeLessThan(LAMBDA_RESPONSE_LIMIT_BYTES);
    const document = JSON.parse(
      gunzipSync(Buffer.from(response.body ?? '', 'base64')).toString('utf8'),
    ) as RunDocument;
    expect(document.run.counts.deleted).toBe(OUTCOMES);
    expect(document.outcomes).toHaveLength(OUTCOMES);
    // The precondition: as plain JSON, Lambda could not have returned it.
    expect(Buffer.byteLength(JSON.stringify(document))).toBeGreaterThan(
      LAMBDA_RESPONSE_LIMIT_BYTES,
    );
  });

  it('is refused with a 400 that says how to ask for it, to a caller that does not accept gzip', async () => {
    // Act
    const response = await getRun({});

    // Assess
    expect(response.statusCode).toBe(400);
    const { error } = JSON.parse(response.body ?? '') as {
      error: { code: string; message: string };
    };
    expect(error.code).toBe('INVALID_REQUEST');
    expect(error.message).toMatch(
      new RegExp(
        `^run ${RUN_ID} \\(${OUTCOMES} outcomes\\): the answer is \\d+\\.\\d MiB, more than a function may return \\(6\\.0 MiB\\); ask for it gzipped \\(Accept-Encoding: gzip, as curl --compressed sends\\)$`,
      ),
    );
  });
});
