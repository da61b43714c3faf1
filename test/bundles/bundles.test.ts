// The deployable bundles, as `npm run build` makes them (the options serverless-esbuild packages
// with), loaded and run by a plain `node` child process: vitest (like `node -e`) provides a
// global `require` that would hide a bundle that cannot run as ESM on Lambda.

import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { createSecureServer } from 'node:http2';
import { isBuiltin } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_MODELARTS, SEEDED } from '../../emulator/demo.js';
import { emulatorEnvironment } from '../../scripts/local-environment.js';
import { makeCertificate } from '../../scripts/loopback-certificate.js';
import { runChild } from '../support/child.js';
import { useFixture } from '../support/fixture.js';

const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const BANNER =
  "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);";

let work: string;
let dist: string;
let buildOutput: string;

/** Runs an ES module file with a bare `node` and the given environment only. */
const runModule = async (
  name: string,
  source: string,
  env: Record<string, string>,
): Promise<{ code: number | string; stdout: string; stderr: string }> => {
  const file = join(work, name);
  await writeFile(file, source);
  return runChild(process.execPath, [file], {
    cwd: work,
    env: { PATH: process.env.PATH ?? '', ...env },
    timeoutMs: 30_000,
  });
};

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'cif-bundles-'));
  dist = join(work, 'dist');
  const result = await runChild(
    process.execPath,
    ['--import', 'tsx', join(root, 'scripts', 'build.ts'), '--outdir', dist],
    { cwd: root, timeoutMs: 120_000 },
  );
  buildOutput = result.stdout + result.stderr;
  if (result.code !== 0) throw new Error(`npm run build failed (${result.code}):\n${buildOutput}`);
}, 150_000);

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe('npm run build', () => {
  it('writes one minified ESM bundle with the createRequire banner, a source map and a metafile per function', async () => {
    const names = (await readdir(dist)).sort();
    expect(names).toEqual(expect.arrayContaining(['httpDeleteImage', 'httpShowImage']));
    for (const name of names) {
      const files = await readdir(join(dist, name));
      expect(files).toEqual(
        expect.arrayContaining(['index.mjs', 'index.mjs.map', 'metafile.json']),
      );
      const code = await readFile(join(dist, name, 'index.mjs'), 'utf8');
      expect(code.startsWith(BANNER)).toBe(true);
      // Minified: a handful of very long lines (template literals, such as the HTML report's, keep
      // their own line breaks).
      const lines = code.split('\n');
      expect(lines.length < 200 || code.length / lines.length > 1000, name).toBe(true);
      expect(code).toMatch(/sourceMappingURL=index\.mjs\.map/);
      // Size report: raw and gzipped for each bundle.
      expect(buildOutput).toMatch(
        new RegExp(`${name}/index\\.mjs\\s+[\\d.]+ KiB\\s+[\\d.]+ KiB gzipped`),
      );
    }
  });

  it('bundles its dependencies, the AWS SDK included: nothing is left to import at run time', async () => {
    for (const name of await readdir(dist)) {
      const meta = JSON.parse(await readFile(join(dist, name, 'metafile.json'), 'utf8')) as {
        inputs: Record<string, unknown>;
        outputs: Record<string, { imports: Array<{ path: string; external?: boolean }> }>;
      };
      const externals = Object.values(meta.outputs)
        .flatMap((output) => output.imports)
        .filter((entry) => entry.external)
        .map((entry) => entry.path);
      expect(externals.filter((path) => !isBuiltin(path))).toEqual([]);
      const inputs = Object.keys(meta.inputs);
      // Every function that reads the credentials secret carries its own Secrets Manager client
      // (httpOpenApi reads none).
      const readsSecret = inputs.some((path) =>
        path.endsWith('lib/credentials/secrets-manager.ts'),
      );
      expect(readsSecret).toBe(name !== 'httpOpenApi');
      expect(
        inputs.some((path) => path.includes('node_modules/@aws-sdk/client-secrets-manager/')),
      ).toBe(readsSecret);
    }
  });

  it("imports Node's built-ins through require, never as ES modules (an ES import of node:http loads Node's own undici)", async () => {
    for (const name of await readdir(dist)) {
      const meta = JSON.parse(await readFile(join(dist, name, 'metafile.json'), 'utf8')) as {
        outputs: Record<string, { imports: Array<{ path: string; kind: string }> }>;
      };
      const esImports = Object.entries(meta.outputs).flatMap(([output, { imports }]) =>
        imports
          .filter((entry) => isBuiltin(entry.path) && entry.kind !== 'require-call')
          .map((entry) => `${output} ${entry.kind} ${entry.path}`),
      );
      expect(esImports, name).toEqual([]);
    }
  });

  it('the show and delete functions start without the result schemas, which only the API document reads', async () => {
    for (const name of ['httpShowImage', 'httpDeleteImage', 'taskShowImage', 'taskDeleteImage']) {
      const meta = JSON.parse(await readFile(join(dist, name, 'metafile.json'), 'utf8')) as {
        outputs: Record<
          string,
          { inputs: Record<string, unknown>; imports: Array<{ path: string; kind: string }> }
        >;
      };
      // What runs at start: the entry and the chunks it imports statically.
      const atStart = new Set<string>();
      const visit = (output: string): void => {
        const found = meta.outputs[output];
        if (found === undefined || atStart.has(output)) return;
        atStart.add(output);
        for (const entry of found.imports) if (entry.kind === 'import-statement') visit(entry.path);
      };
      visit(Object.keys(meta.outputs).find((output) => output.endsWith('/index.mjs')) ?? '');
      const sources = [...atStart].flatMap((output) =>
        Object.keys(meta.outputs[output]?.inputs ?? {}),
      );
      expect(sources, name).toContain('lib/images/image-fields.ts');
      expect(sources, name).not.toContain('lib/images/image.ts');
      expect(sources, name).not.toContain('lib/images/usage.ts');
    }
  });

  it("leaves undici's fetch, FormData and WebIDL modules out (no function sends a FormData body)", async () => {
    for (const name of await readdir(dist)) {
      const meta = JSON.parse(await readFile(join(dist, name, 'metafile.json'), 'utf8')) as {
        inputs: Record<string, unknown>;
      };
      const web = Object.keys(meta.inputs).filter((path) =>
        /node_modules\/undici\/lib\/web\//.test(path),
      );
      expect(web, name).toEqual([]);
    }
  });

  it('each bundle loads in a plain node process (no global require) and exports a handler function', async () => {
    for (const name of await readdir(dist)) {
      const url = pathToFileURL(join(dist, name, 'index.mjs')).href;
      const result = await runModule(
        `load-${name}.mjs`,
        [
          `if (typeof globalThis.require !== 'undefined') throw new Error('a global require is defined');`,
          `const bundle = await import(${JSON.stringify(url)});`,
          `console.log(JSON.stringify({ handler: typeof bundle.handler }));`,
        ].join('\n'),
        {},
      );
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      expect(JSON.parse(result.stdout)).toEqual({ handler: 'function' });
    }
  });
});

describe('the show bundle against the emulator', () => {
  const fixture = useFixture({ demoEnv: false });

  const invoke = async (
    name: string,
    method: 'GET' | 'DELETE',
    provider: string,
    imageId: string,
    query: Record<string, string> = {},
    upstream: { url: string; caFile?: string } = { url: fixture.url },
  ): Promise<{
    statusCode: number;
    headers?: Record<string, string>;
    body: string;
    nodeModules: string[];
  }> => {
    const rawQueryString = new URLSearchParams(query).toString();
    const event = {
      version: '2.0',
      routeKey: `${method} /images/{provider}/{imageId}`,
      rawPath: `/images/${provider}/${imageId}`,
      rawQueryString,
      headers: { accept: 'application/json', host: 'api.example.test' },
      ...(rawQueryString ? { queryStringParameters: query } : {}),
      pathParameters: { provider, imageId },
      requestContext: {
        accountId: '123456789012',
        apiId: 'api-id',
        domainName: 'api.example.test',
        domainPrefix: 'api',
        http: {
          method,
          path: `/images/${provider}/${imageId}`,
          protocol: 'HTTP/1.1',
          sourceIp: '127.0.0.1',
          userAgent: 'bundles-test',
        },
        requestId: 'bundles-test-request',
        routeKey: `${method} /images/{provider}/{imageId}`,
        stage: '$default',
        time: new Date().toUTCString(),
        timeEpoch: Date.now(),
      },
      isBase64Encoded: false,
    };
    const url = pathToFileURL(join(dist, name, 'index.mjs')).href;
    const result = await runModule(
      `invoke-${name}-${Date.now()}.mjs`,
      [
        `const { handler } = await import(${JSON.stringify(url)});`,
        `const deadline = Date.now() + 29000;`,
        `const context = {`,
        `  awsRequestId: 'bundles-test-invocation', functionName: ${JSON.stringify(name)},`,
        `  functionVersion: '$LATEST', invokedFunctionArn: 'arn:aws:lambda:eu-central-1:123456789012:function:${name}',`,
        `  memoryLimitInMB: '512', logGroupName: '/aws/lambda/${name}', logStreamName: 'test',`,
        `  callbackWaitsForEmptyEventLoop: true, getRemainingTimeInMillis: () => deadline - Date.now(),`,
        `  done() {}, fail() {}, succeed() {},`,
        `};`,
        `const result = await handler(${JSON.stringify(event)}, context);`,
        `const nodeModules = process.moduleLoadList.filter((m) => m.startsWith('NativeModule ')).map((m) => m.slice(13));`,
        `process.stdout.write('\\nRESULT ' + JSON.stringify({ ...result, nodeModules }) + '\\n');`,
      ].join('\n'),
      {
        AWS_REGION: 'eu-central-1',
        ...emulatorEnvironment(upstream.url),
        ...(upstream.caFile === undefined ? {} : { NODE_EXTRA_CA_CERTS: upstream.caFile }),
        LOG_LEVEL: 'silent',
      },
    );
    const line = result.stdout.split('\n').find((text) => text.startsWith('RESULT '));
    if (result.code !== 0 || line === undefined) {
      throw new Error(`the bundle failed (${result.code}):\n${result.stdout}\n${result.stderr}`);
    }
    return JSON.parse(line.slice('RESULT '.length)) as {
      statusCode: number;
      body: string;
      nodeModules: string[];
    };
  };

  it('shows a seeded ModelArts image: 200 {"image": ...}, with a signed request reaching the emulator', async () => {
    const result = await invoke('httpShowImage', 'GET', 'modelarts', SEEDED.modelarts.builtIn);
    expect(result.statusCode).toBe(200);
    const body = JSON.parse(result.body) as { image: Record<string, unknown> };
    expect(body.image).toMatchObject({
      provider: 'modelarts',
      region: DEMO_MODELARTS.region,
      id: SEEDED.modelarts.builtIn,
      kind: 'system',
    });
    const seen = fixture.emulator.requests.filter(
      (request) => request.imageId === SEEDED.modelarts.builtIn,
    );
    expect(seen.map((request) => [request.method, request.status])).toEqual([['GET', 200]]);
  });

  it("starts without Node's HTTP/2, TLS or its own copy of undici (plain HTTP upstream)", async () => {
    const result = await invoke('httpShowImage', 'GET', 'modelarts', SEEDED.modelarts.builtIn);
    expect(result.statusCode).toBe(200);
    expect(result.nodeModules).toContain('http');
    for (const unwanted of ['http2', 'tls', 'internal/deps/undici/undici']) {
      expect(result.nodeModules, unwanted).not.toContain(unwanted);
    }
  });

  it('over TLS to an upstream that also offers HTTP/2, speaks HTTP/1.1 (its HTTP/2 client is left out)', async () => {
    // Prepare: a TLS front on loopback offering h2 and http/1.1 (ALPN), passing each request
    // on to the emulator as it came, the Host header included, so the signature still verifies.
    const certificate = await makeCertificate(work);
    const versions: string[] = [];
    const front = createSecureServer(
      {
        key: await readFile(certificate.keyFile),
        cert: await readFile(certificate.certFile),
        allowHTTP1: true,
      },
      (request, response) => {
        versions.push(request.httpVersion);
        const upstream = new URL(fixture.url);
        const forwarded = httpRequest(
          {
            host: upstream.hostname,
            port: upstream.port,
            method: request.method,
            path: request.url,
            headers: request.headers,
          },
          (reply) => {
            response.writeHead(reply.statusCode ?? 502, reply.headers);
            reply.pipe(response);
          },
        );
        request.pipe(forwarded);
      },
    );
    await new Promise<void>((ready) => front.listen(0, '127.0.0.1', ready));
    const { port } = front.address() as AddressInfo;
    try {
      // Act
      const result = await invoke(
        'httpShowImage',
        'GET',
        'modelarts',
        SEEDED.modelarts.builtIn,
        {},
        { url: `https://127.0.0.1:${port}`, caFile: certificate.certFile },
      );
      // Assess
      expect(result.statusCode, result.body).toBe(200);
      expect(JSON.parse(result.body)).toMatchObject({ image: { id: SEEDED.modelarts.builtIn } });
      expect(versions).toEqual(['1.1']);
      expect(result.nodeModules).toContain('tls');
      expect(result.nodeModules).not.toContain('http2');
    } finally {
      await new Promise((closed) => front.close(closed));
    }
  });

  it('runs a dry-run delete of a custom image: 200 {"outcome": "dry-run"}, nothing deleted', async () => {
    const result = await invoke('httpDeleteImage', 'DELETE', 'modelarts', SEEDED.modelarts.custom, {
      dryRun: 'true',
    });
    expect(result.statusCode).toBe(200);
    expect(JSON.parse(result.body)).toMatchObject({ outcome: 'dry-run' });
    expect(fixture.emulator.requests.filter((request) => request.method === 'DELETE')).toEqual([]);
  });
});
