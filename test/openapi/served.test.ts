// `npm start` serves the OpenAPI document at GET /openapi.json, and what the running service
// answers over HTTP (serverless-offline, the bundles, the emulator) conforms to it.

import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SEEDED } from '../../emulator/demo.js';
import { buildOpenApiDocument } from '../../lib/openapi/openapi.js';
import { type Child, freePort, NPM_START_READY_MS, spawnChild } from '../support/child.js';
import { openApiConformance } from './conformance.js';

const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const document = buildOpenApiDocument();
const conformance = openApiConformance(document);

/** This process's environment without the service's configuration: start.ts starts the emulator. */
const bareEnv = (): NodeJS.ProcessEnv => {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (
      /^(IMAGE_CREDENTIALS_|MODELARTS_|BCC_|HUAWEICLOUD_|BCE_|PROTECTED_|EMULATOR_PORT)/.test(name)
    )
      continue;
    env[name] = value;
  }
  return env;
};

let child: Child;
let api: string;

beforeAll(async () => {
  const port = await freePort();
  child = spawnChild(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], {
    cwd: root,
    env: { ...bareEnv(), PORT: String(port) },
  });
  const [, ready] = await child.waitFor(/Ready: (http:\/\/\S+)/, NPM_START_READY_MS);
  api = ready ?? '';
}, NPM_START_READY_MS + 30_000);

afterAll(async () => {
  await child?.stop();
});

const call = async (method: 'GET' | 'DELETE', path: string) => {
  const response = await fetch(`${api}${path}`, { method });
  return {
    statusCode: response.status,
    headers: Object.fromEntries(response.headers.entries()),
    body: await response.text(),
  };
};

describe('npm start', () => {
  it('GET /openapi.json answers the document', async () => {
    const response = await call('GET', '/openapi.json');
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    expect(JSON.parse(response.body)).toEqual(document);
  });

  it.each([
    ['GET', `/images/modelarts/${SEEDED.modelarts.builtIn}`, 200],
    ['GET', `/images/bcc/${SEEDED.bcc.system}`, 200],
    ['GET', '/images/modelarts/not-a-uuid', 400],
    ['GET', '/images/bcc/m-gone', 404],
    ['DELETE', `/images/bcc/${SEEDED.bcc.custom}?dryRun=true`, 200],
    ['DELETE', `/images/modelarts/${SEEDED.modelarts.builtIn}`, 403],
    ['DELETE', `/images/bcc/${SEEDED.bcc.creating}`, 409],
  ] as const)('%s %s answers %i as the document says', async (method, path, status) => {
    const response = await call(method, path);
    expect(response.statusCode, response.body).toBe(status);
    conformance.expectConforms(
      '/images/{provider}/{imageId}',
      method === 'GET' ? 'get' : 'delete',
      response,
    );
  });
});
