// The deployable stack, checked from what `osls package` produces with no AWS credentials: the
// CloudFormation template (IAM authorization on every route, one least-privilege role per
// function, no wildcard resource on Secrets Manager / SQS / Step Functions / EventBridge actions,
// runtime, architecture, memory, timeout, environment and log retention as designed) and the
// deployment packages (each bundle loads in a plain `node` process; sizes reported). The checks
// are pure functions (template-checks.ts); the last block shows that they fail on wrong templates.

import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { oslsScript } from '../../scripts/build.js';
import { runChild } from '../support/child.js';
import { readZip } from '../support/zip.js';
import {
  grantsOf,
  isWildcardResource,
  lambdaFunctions,
  routesWithoutIam,
  sharedOrMissingRoles,
  type Template,
  wildcardGrants,
} from './template-checks.js';

const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const STAGE = 'ci';
const REGION = 'eu-west-1';
const SECRET_ID = 'cloud-image-functions/ci';

let work: string;
let packageDir: string;
let template: Template;

/** The environment of `osls package` in CI: no AWS credentials of any kind, no service config. */
const packagingEnv = (): NodeJS.ProcessEnv => {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (name.startsWith('AWS_')) continue;
    if (
      /^(IMAGE_CREDENTIALS_|MODELARTS_|BCC_|HUAWEICLOUD_|BCE_|PROTECTED_|LOG_LEVEL|POWERTOOLS_)/.test(
        name,
      )
    )
      continue;
    env[name] = value;
  }
  return {
    ...env,
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    AWS_EC2_METADATA_DISABLED: 'true',
    // A build folder of its own: `osls package` removes it afterwards, and `npm start` or another
    // package run may be using the default one.
    ESBUILD_WORK_FOLDER: join(
      'node_modules',
      '.cache',
      'cloud-image-functions',
      `package-${process.pid}`,
    ),
  };
};

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'cif-deploy-'));
  packageDir = join(work, 'package');
  const result = await runChild(
    process.execPath,
    [
      oslsScript(),
      'package',
      '--package',
      packageDir,
      '--stage',
      STAGE,
      '--region',
      REGION,
      '--param',
      `imageCredentialsSecretId=${SECRET_ID}`,
      '--param',
      'logLevel=warn',
      '--param',
      'protectedImageIds=m-golden1',
    ],
    { cwd: root, env: packagingEnv(), timeoutMs: 170_000 },
  );
  if (result.code !== 0) {
    throw new Error(`osls package failed (${result.code}):\n${result.stdout}\n${result.stderr}`);
  }
  template = JSON.parse(
    await readFile(join(packageDir, 'cloudformation-template-update-stack.json'), 'utf8'),
  ) as Template;
}, 180_000);

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
  await rm(join(root, packagingEnv().ESBUILD_WORK_FOLDER ?? 'none'), {
    recursive: true,
    force: true,
  });
});

const getAtt = (id: string) => JSON.stringify({ 'Fn::GetAtt': [id, 'Arn'] });
const SECRET_ARN = JSON.stringify({
  'Fn::Sub': `arn:\${AWS::Partition}:secretsmanager:\${AWS::Region}:\${AWS::AccountId}:secret:cloud-image-functions/${STAGE}-??????`,
});
const logs = (fn: string) => [
  { action: 'logs:CreateLogStream', resource: getAtt(`${fn}LogGroup`) },
  { action: 'logs:PutLogEvents', resource: getAtt(`${fn}LogGroup`) },
];
const readSecret = [{ action: 'secretsmanager:GetSecretValue', resource: SECRET_ARN }];
const consumeQueue = ['sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:ReceiveMessage'].map(
  (action) => ({ action, resource: getAtt('ImageDeleteQueue') }),
);

/** The design: each function's handler, memory, timeout and exactly what its role allows. */
const DESIGN: Record<
  string,
  {
    handler: string;
    memorySize: number;
    timeout: number;
    grants: Array<{ action: string; resource: string }>;
  }
> = {
  HttpShowImage: {
    handler: 'functions/http/show-image.handler',
    memorySize: 512,
    timeout: 29,
    grants: [...logs('HttpShowImage'), ...readSecret],
  },
  HttpDeleteImage: {
    handler: 'functions/http/delete-image.handler',
    memorySize: 512,
    timeout: 29,
    grants: [...logs('HttpDeleteImage'), ...readSecret],
  },
  HttpOpenApi: {
    handler: 'functions/http/openapi.handler',
    memorySize: 256,
    timeout: 5,
    grants: logs('HttpOpenApi'),
  },
  TaskShowImage: {
    handler: 'functions/task/show-image.handler',
    memorySize: 512,
    timeout: 30,
    grants: [...logs('TaskShowImage'), ...readSecret],
  },
  TaskDeleteImage: {
    handler: 'functions/task/delete-image.handler',
    memorySize: 512,
    timeout: 30,
    grants: [...logs('TaskDeleteImage'), ...readSecret],
  },
  SqsDeleteImage: {
    handler: 'functions/sqs/delete-image.handler',
    memorySize: 512,
    timeout: 60,
    grants: [...logs('SqsDeleteImage'), ...readSecret, ...consumeQueue],
  },
};

const ENVIRONMENT = {
  IMAGE_CREDENTIALS_SECRET_ID: SECRET_ID,
  MODELARTS_ENDPOINT: '',
  BCC_ENDPOINT: '',
  PROTECTED_IMAGE_IDS: 'm-golden1',
  PROTECTED_IMAGE_NAME_PATTERNS: '',
  LOG_LEVEL: 'warn',
  POWERTOOLS_SERVICE_NAME: 'cloud-image-functions',
  POWERTOOLS_METRICS_NAMESPACE: 'CloudImageFunctions',
  NODE_OPTIONS: '--enable-source-maps',
};

describe('the packaged template', () => {
  it('has every HTTP route behind IAM authorization (AWS_IAM)', () => {
    const routes = Object.values(template.Resources)
      .filter((resource) => resource.Type === 'AWS::ApiGatewayV2::Route')
      .map((route) => route.Properties?.RouteKey)
      .sort();
    expect(routes).toEqual([
      'DELETE /images/{provider}/{imageId}',
      'GET /images/{provider}/{imageId}',
      'GET /openapi.json',
    ]);
    expect(routesWithoutIam(template)).toEqual([]);
  });

  it('grants no Secrets Manager, SQS, Step Functions or EventBridge action on a wildcard resource', () => {
    expect(wildcardGrants(template)).toEqual([]);
  });

  it('gives each function a role of its own, and no shared execution role exists', () => {
    expect(sharedOrMissingRoles(template)).toEqual([]);
    expect(template.Resources.IamRoleLambdaExecution).toBeUndefined();
  });

  it("allows each function exactly what it does: its log group, the one secret, the consumer's queue", () => {
    const functions = lambdaFunctions(template)
      .map((fn) => fn.logicalId)
      .sort();
    expect(functions).toEqual(
      Object.keys(DESIGN)
        .map((name) => `${name}LambdaFunction`)
        .sort(),
    );
    for (const [name, design] of Object.entries(DESIGN)) {
      const expected = [...design.grants].sort((a, b) =>
        `${a.action} ${a.resource}`.localeCompare(`${b.action} ${b.resource}`),
      );
      expect(grantsOf(template, `${name}LambdaFunction`), name).toEqual(expected);
    }
  });

  it('runs every function on nodejs24.x, arm64, with its memory, timeout, handler and environment', () => {
    for (const fn of lambdaFunctions(template)) {
      const design = DESIGN[fn.logicalId.replace(/LambdaFunction$/, '')];
      expect(design, fn.logicalId).toBeDefined();
      expect(fn, fn.logicalId).toMatchObject({
        runtime: 'nodejs24.x',
        architectures: ['arm64'],
        memorySize: design?.memorySize,
        timeout: design?.timeout,
        handler: design?.handler,
      });
      const extra =
        fn.logicalId === 'SqsDeleteImageLambdaFunction' ? { SQS_RECORD_CONCURRENCY: '4' } : {};
      expect(fn.environment, fn.logicalId).toEqual({ ...ENVIRONMENT, ...extra });
    }
  });

  it('keeps every log group 30 days', () => {
    const groups = Object.entries(template.Resources).filter(
      ([, r]) => r.Type === 'AWS::Logs::LogGroup',
    );
    expect(groups.map(([id]) => id).sort()).toEqual(
      Object.keys(DESIGN)
        .map((name) => `${name}LogGroup`)
        .sort(),
    );
    for (const [, group] of groups) expect(group.Properties?.RetentionInDays).toBe(30);
  });

  it('feeds the consumer from its queue with partial batch responses, the queue its role may read', () => {
    const mappings = Object.values(template.Resources).filter(
      (resource) => resource.Type === 'AWS::Lambda::EventSourceMapping',
    );
    expect(mappings).toHaveLength(1);
    expect(mappings[0]?.Properties).toMatchObject({
      EventSourceArn: { 'Fn::GetAtt': ['ImageDeleteQueue', 'Arn'] },
      FunctionName: { 'Fn::GetAtt': ['SqsDeleteImageLambdaFunction', 'Arn'] },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
  });
});

describe('the deployment packages', () => {
  interface Bundle {
    fn: string;
    file: string;
    zipBytes: number;
    codeBytes: number;
    mapBytes: number;
  }
  const bundles: Bundle[] = [];

  beforeAll(async () => {
    const unpacked = join(work, 'unpacked');
    for (const fn of lambdaFunctions(template)) {
      const name = fn.logicalId.replace(/LambdaFunction$/, '');
      const zipName = `${name.charAt(0).toLowerCase()}${name.slice(1)}.zip`;
      const zip = join(packageDir, zipName);
      const entries = await readZip(zip);
      for (const entry of entries) {
        const target = join(unpacked, name, entry.name);
        await mkdir(dirname(target), { recursive: true });
        await writeFile(target, entry.data);
      }
      const handler = String(fn.handler);
      const file = join(unpacked, name, `${handler.slice(0, handler.lastIndexOf('.'))}.mjs`);
      const code = entries.find((entry) => join(unpacked, name, entry.name) === file);
      const map = entries.find((entry) => join(unpacked, name, entry.name) === `${file}.map`);
      bundles.push({
        fn: name,
        file,
        zipBytes: (await stat(zip)).size,
        codeBytes: code?.data.length ?? 0,
        mapBytes: map?.data.length ?? 0,
      });
    }
    const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`.padStart(11);
    console.log(
      [
        'deployment packages (minified ESM bundle, its source map, the zip):',
        ...bundles.map(
          (bundle) =>
            `  ${bundle.fn.padEnd(16)} ${kib(bundle.codeBytes)} code ${kib(bundle.mapBytes)} map ${kib(bundle.zipBytes)} zip`,
        ),
      ].join('\n'),
    );
  });

  it('holds one bundle and its source map per function, and nothing else', async () => {
    expect(bundles.map((bundle) => bundle.fn).sort()).toEqual(Object.keys(DESIGN).sort());
    for (const bundle of bundles) {
      expect(bundle.codeBytes, bundle.fn).toBeGreaterThan(0);
      expect(bundle.mapBytes, bundle.fn).toBeGreaterThan(0);
      const files = await readdir(dirname(bundle.file));
      expect(files.sort()).toEqual([
        bundle.file.slice(dirname(bundle.file).length + 1),
        `${bundle.file.slice(dirname(bundle.file).length + 1)}.map`,
      ]);
    }
  });

  it('bundles the Secrets Manager client into every function that reads the secret (nothing from the runtime)', async () => {
    for (const bundle of bundles) {
      const code = await readFile(bundle.file, 'utf8');
      // An import of the SDK left to the runtime (error-message text that quotes one, inside
      // brackets, is not an import).
      const external = code.match(
        /(?<![[\w.])(?:from|import|require)\s*\(?\s*["']@aws-sdk\/[^"']*/g,
      );
      expect(external ?? [], bundle.fn).toEqual([]);
      expect(code.includes('GetSecretValue'), bundle.fn).toBe(bundle.fn !== 'HttpOpenApi');
    }
  });

  it('each bundle loads in a plain node process and exports its handler; the document one answers', async () => {
    for (const bundle of bundles) {
      const probe = join(work, `probe-${bundle.fn}.mjs`);
      await writeFile(
        probe,
        [
          `if (typeof globalThis.require !== 'undefined') throw new Error('a global require is defined');`,
          `const bundle = await import(${JSON.stringify(pathToFileURL(bundle.file).href)});`,
          `const out = { handler: typeof bundle.handler };`,
          bundle.fn === 'HttpOpenApi'
            ? `const answer = await bundle.handler(); out.status = answer.statusCode; out.body = JSON.parse(answer.body);`
            : '',
          `console.log(JSON.stringify(out));`,
        ].join('\n'),
      );
      const result = await runChild(process.execPath, ['--enable-source-maps', probe], {
        cwd: work,
        env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'silent' },
        timeoutMs: 30_000,
      });
      expect(result.stderr, bundle.fn).toBe('');
      expect(result.code, bundle.fn).toBe(0);
      const out = JSON.parse(result.stdout) as { handler: string; status?: number; body?: unknown };
      expect(out.handler, bundle.fn).toBe('function');
      if (bundle.fn === 'HttpOpenApi') {
        expect(out.status).toBe(200);
        expect(out.body).toEqual(
          JSON.parse(await readFile(join(root, 'docs', 'openapi.json'), 'utf8')),
        );
      }
    }
  });
});

describe('the checks fail on a wrong template', () => {
  const wrong = (): Template => ({
    Resources: {
      OpenRoute: {
        Type: 'AWS::ApiGatewayV2::Route',
        Properties: { RouteKey: 'GET /images/{provider}/{imageId}', AuthorizationType: 'NONE' },
      },
      NoAuthRoute: {
        Type: 'AWS::ApiGatewayV2::Route',
        Properties: { RouteKey: 'DELETE /images/{provider}/{imageId}' },
      },
      SignedRoute: {
        Type: 'AWS::ApiGatewayV2::Route',
        Properties: { RouteKey: 'GET /openapi.json', AuthorizationType: 'AWS_IAM' },
      },
      SharedRole: {
        Type: 'AWS::IAM::Role',
        Properties: {
          Policies: [
            {
              PolicyName: 'too-much',
              PolicyDocument: {
                Statement: [
                  { Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: '*' },
                  {
                    Effect: 'Allow',
                    Action: ['sqs:*'],
                    Resource: 'arn:aws:sqs:eu-west-1:123456789012:*',
                  },
                  {
                    Effect: 'Allow',
                    Action: 'states:StartExecution',
                    NotResource: 'arn:aws:states:x',
                  },
                  { Effect: 'Allow', Action: '*', Resource: ['*'] },
                  { Effect: 'Deny', Action: 'events:PutEvents', Resource: '*' },
                  { Effect: 'Allow', Action: 'logs:PutLogEvents', Resource: '*' },
                ],
              },
            },
          ],
        },
      },
      One: {
        Type: 'AWS::Lambda::Function',
        Properties: { Role: { 'Fn::GetAtt': ['SharedRole', 'Arn'] } },
      },
      Two: {
        Type: 'AWS::Lambda::Function',
        Properties: { Role: { 'Fn::GetAtt': ['SharedRole', 'Arn'] } },
      },
      Three: {
        Type: 'AWS::Lambda::Function',
        Properties: { Role: 'arn:aws:iam::123456789012:role/x' },
      },
    },
  });

  it('a route without an IAM authorizer', () => {
    expect(routesWithoutIam(wrong())).toEqual([
      'OpenRoute (GET /images/{provider}/{imageId}): NONE',
      'NoAuthRoute (DELETE /images/{provider}/{imageId}): NONE',
    ]);
  });

  it("`Resource: '*'` on secretsmanager:GetSecretValue, and other wildcard grants of the four services", () => {
    expect(wildcardGrants(wrong())).toEqual([
      'SharedRole too-much #0: secretsmanager:GetSecretValue on *',
      'SharedRole too-much #1: sqs:* on arn:aws:sqs:eu-west-1:123456789012:*',
      'SharedRole too-much #2: states:StartExecution on NotResource',
      'SharedRole too-much #3: * on *',
    ]);
  });

  it('the same mistakes planted in the real packaged template', () => {
    const planted = structuredClone(template);
    const route = Object.values(planted.Resources).find(
      (r) => r.Type === 'AWS::ApiGatewayV2::Route',
    );
    if (route?.Properties) delete route.Properties.AuthorizationType;
    expect(routesWithoutIam(planted)).toHaveLength(1);

    const role = planted.Resources.HttpShowImageRole?.Properties as {
      Policies: Array<{ PolicyDocument: { Statement: unknown[] } }>;
    };
    role.Policies[0]?.PolicyDocument.Statement.push({
      Effect: 'Allow',
      Action: ['secretsmanager:GetSecretValue'],
      Resource: '*',
    });
    expect(wildcardGrants(planted)).toEqual([
      'HttpShowImageRole http-show-image #2: secretsmanager:GetSecretValue on *',
    ]);
    expect(grantsOf(planted, 'HttpShowImageLambdaFunction')).toContainEqual({
      action: 'secretsmanager:GetSecretValue',
      resource: '*',
    });
  });

  it('shared roles, and roles from outside the template', () => {
    expect(sharedOrMissingRoles(wrong())).toEqual([
      'Three: its role is not a role of this template',
      'SharedRole is shared by One, Two',
    ]);
  });

  it('wildcards inside Fn::Sub ARNs, but not the secret name pattern or a GetAtt', () => {
    const subArn = (tail: string) =>
      JSON.stringify({
        'Fn::Sub': `arn:\${AWS::Partition}:secretsmanager:\${AWS::Region}:${tail}`,
      });
    expect(isWildcardResource(subArn('*:secret:*'))).toBe(true);
    expect(isWildcardResource(subArn('*:*'))).toBe(true);
    expect(isWildcardResource(SECRET_ARN)).toBe(false);
    expect(isWildcardResource(getAtt('ImageDeleteQueue'))).toBe(false);
  });
});
