// Proof of the port: a third cloud, defined entirely in this file (its ID format, credentials,
// signing, error table and a tiny loopback server of its own), registered through the public
// registry and driven through the real HTTP handlers. Nothing outside this file knows it exists.

import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { handler as deleteHandler } from '../../functions/http/delete-image.js';
import { handler as showHandler } from '../../functions/http/show-image.js';
import {
  type CredentialSection,
  requireVariables,
} from '../../lib/credentials/credential-section.js';
import type { Image } from '../../lib/images/image.js';
import { defineCloud, registerCloud } from '../../lib/providers/registry.js';
import * as z from '../../lib/schema/zod.js';
import { httpEvent, lambdaContext, parseResult } from '../../scripts/lambda-events.js';
import { useFixture } from '../support/fixture.js';

// ---------------------------------------------------------------------------------------------
// The cloud: "Acme Images", IDs like `img-1234`, an HMAC of method and path as its signature.

interface AcmeCredentials {
  keyId: string;
  secret: string;
  region: string;
}

const acmeSignature = (secret: string, method: string, path: string): string =>
  createHmac('sha256', secret).update(`${method} ${path}`).digest('hex');

const acmeRecordSchema = z.looseObject({
  ref: z.string(),
  title: z.string(),
  state: z.string(),
  flavour: z.string(),
});
type AcmeRecord = z.infer<typeof acmeRecordSchema>;
const acmeImageSchema = z.looseObject({ image: acmeRecordSchema });
type AcmeReply = z.infer<typeof acmeImageSchema>;

const sectionSchema = z.object({
  keyId: z.string().check(z.minLength(1)),
  secret: z.string().check(z.minLength(1)),
  region: z.string(),
});

const acmeCredentials: CredentialSection<AcmeCredentials, typeof sectionSchema> = {
  key: 'acme',
  schema: sectionSchema,
  fromSecret: (section) => section,
  variables: ['ACME_KEY_ID', 'ACME_SECRET', 'ACME_REGION'],
  fromEnv: (values) => {
    const [keyId, secret, region] = requireVariables(
      ['ACME_KEY_ID', 'ACME_SECRET', 'ACME_REGION'],
      values,
    ) as [string, string, string];
    return { keyId, secret, region };
  },
};

const normaliseAcme = (record: AcmeRecord, region: string): Image => ({
  provider: 'acme',
  region,
  id: record.ref,
  name: record.title,
  status: record.state === 'ready' ? 'available' : 'unknown',
  providerStatus: record.state,
  kind: record.flavour === 'own' ? 'custom' : 'system',
  details: record,
});

const acmeCloud = defineCloud<AcmeCredentials, AcmeReply>({
  key: 'acme',
  label: 'Acme',
  imageId: {
    pattern: /^img-\d{4}$/,
    description: "'img-' and four digits",
    caseInsensitive: false,
  },
  endpoints: { 'moon-1': 'https://images.moon-1.acme.example' },
  endpointVariable: 'ACME_ENDPOINT',
  credentials: acmeCredentials,
  defaultRegion: (credentials) => credentials.region,
  secretsOf: (credentials) => [credentials.secret],
  supportsForce: false,
  protocol: {
    contentType: 'application/json',
    requestIdHeader: 'x-acme-request',
    parseError: (body) => {
      try {
        const parsed = JSON.parse(body) as { error?: unknown };
        return typeof parsed.error === 'string' ? { code: parsed.error } : {};
      } catch {
        return {};
      }
    },
    authStatuses: [401],
    authCodes: new Set(['BadSignature']),
    throttleCodes: new Set(),
    rules: [
      { error: 'ImageNotFound', operations: ['show', 'delete'], codes: new Set(['NoSuchImage']) },
      { error: 'UpstreamAuthFailed', status: [401] },
    ],
  },
  sign: (request, credentials) => ({
    Authorization: `ACME ${credentials.keyId}:${acmeSignature(credentials.secret, request.method, request.path)}`,
  }),
  basePath: () => '/api',
  requests: {
    show: (imageId) => ({ method: 'GET', path: `/images/${imageId}` }),
    delete: (imageId) => ({ method: 'DELETE', path: `/images/${imageId}` }),
  },
  lists: {
    images: {
      path: '/images',
      paging: { style: 'marker', pageSize: 50, markerParam: 'after', sizeParam: 'max' },
      replySchema: z.pipe(
        z.object({ items: z.array(acmeRecordSchema), next: z.optional(z.string()) }),
        z.transform((reply) => ({ items: reply.items, nextMarker: reply.next })),
      ),
      filterQuery: () => [],
      normalise: (record: AcmeRecord, region: string) => normaliseAcme(record, region),
    },
    usage: {
      path: '/uses',
      paging: { style: 'marker', pageSize: 50, markerParam: 'after', sizeParam: 'max' },
      replySchema: z.pipe(
        z.object({ items: z.array(z.object({ vm: z.string(), ref: z.string() })) }),
        z.transform((reply) => ({ items: reply.items })),
      ),
      usesOf: (use: { vm: string; ref: string }) => [
        {
          imageKeys: [`id:${use.ref}`],
          reference: { type: 'instance', id: use.vm, name: use.vm, status: 'running' },
        },
      ],
    },
  },
  image: {
    replySchema: acmeImageSchema,
    recordOf: (reply) => ({ id: reply.image.ref }),
    normalise: (reply, region) => normaliseAcme(reply.image, region),
  },
});

// ---------------------------------------------------------------------------------------------
// Its server: checks the signature, keeps two images.

const KEY_ID = 'acme-key-1';
const SECRET = 'acme-secret-not-real';

interface AcmeServer {
  url: string;
  images: Map<string, { ref: string; title: string; state: string; flavour: string }>;
  received: Array<{ method: string; path: string }>;
  close(): Promise<void>;
}

const startAcme = async (): Promise<AcmeServer> => {
  const images = new Map<string, { ref: string; title: string; state: string; flavour: string }>();
  const received: AcmeServer['received'] = [];
  const server: Server = createServer((req, res) => {
    const method = req.method ?? 'GET';
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    received.push({ method, path });
    const expected = `ACME ${KEY_ID}:${acmeSignature(SECRET, method, path)}`;
    const answer = (status: number, body?: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json', 'x-acme-request': 'r-1' });
      res.end(body === undefined ? '' : JSON.stringify(body));
    };
    if (req.headers.authorization !== expected) return answer(401, { error: 'BadSignature' });
    if (path === '/api/uses') return answer(200, { items: [] });
    if (path === '/api/images') return answer(200, { items: [...images.values()] });
    const id = /^\/api\/images\/([^/]+)$/.exec(path)?.[1];
    const image = id === undefined ? undefined : images.get(id);
    if (image === undefined) return answer(404, { error: 'NoSuchImage' });
    if (method === 'DELETE') {
      images.delete(image.ref);
      return answer(204);
    }
    return answer(200, { image });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    images,
    received,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
};

// ---------------------------------------------------------------------------------------------

// No emulator: the third cloud answers from a server of its own.
const fixture = useFixture({
  emulator: false,
  env: {
    ACME_KEY_ID: KEY_ID,
    ACME_SECRET: SECRET,
    ACME_REGION: 'moon-1',
    IMAGE_CREDENTIALS_SECRET_ID: '',
  },
});
let acme: AcmeServer;
let unregister: () => void;

beforeAll(async () => {
  acme = await startAcme();
  unregister = registerCloud(acmeCloud);
  fixture.setEnv({ ACME_ENDPOINT: acme.url });
});

afterAll(async () => {
  unregister();
  await acme.close();
});

beforeEach(() => {
  acme.images.clear();
  acme.received.length = 0;
  acme.images.set('img-0001', {
    ref: 'img-0001',
    title: 'web-base',
    state: 'ready',
    flavour: 'own',
  });
  acme.images.set('img-0002', {
    ref: 'img-0002',
    title: 'acme-os',
    state: 'ready',
    flavour: 'vendor',
  });
});

const show = async (imageId: string) =>
  parseResult(await showHandler(httpEvent('GET', 'acme', imageId), lambdaContext()));
const remove = async (imageId: string, query: Record<string, string> = {}) =>
  parseResult(await deleteHandler(httpEvent('DELETE', 'acme', imageId, query), lambdaContext()));

describe('a third cloud registered at run time', () => {
  it('is shown through the real HTTP handler, signed its own way, normalised', async () => {
    const response = await show('img-0001');
    expect(response.status).toBe(200);
    expect(response.body.image).toMatchObject({
      provider: 'acme',
      region: 'moon-1',
      id: 'img-0001',
      name: 'web-base',
      status: 'available',
      kind: 'custom',
    });
  });

  it('is deleted with every safety rule of the domain: its system image is refused before any delete', async () => {
    const refused = await remove('img-0002');
    expect(refused.status).toBe(403);
    expect(acme.received.filter((request) => request.method === 'DELETE')).toEqual([]);

    const deleted = await remove('img-0001');
    expect(deleted.body).toMatchObject({ outcome: 'deleted', image: { status: 'deleted' } });
    expect(acme.images.has('img-0001')).toBe(false);
    expect((await show('img-0001')).status).toBe(404);
  });

  it('validates its own ID format and refuses force, before anything is sent', async () => {
    const badId = await show('ami-123');
    expect(badId.status).toBe(400);
    expect(String((badId.body.error as { message: string }).message)).toContain(
      "'img-' and four digits",
    );
    const force = await remove('img-0001', { force: 'true' });
    expect(force.status).toBe(400);
    expect(acme.received).toEqual([]);
  });

  it('is gone again once unregistered: its key is then an unknown provider', async () => {
    unregister();
    try {
      const response = await show('img-0001');
      expect(response.status).toBe(400);
      expect(String((response.body.error as { message: string }).message)).toMatch(
        /provider: must be one of modelarts, bcc$/,
      );
    } finally {
      unregister = registerCloud(acmeCloud);
    }
  });
});
