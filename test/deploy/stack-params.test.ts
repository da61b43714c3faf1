// The stage rules serverless.yml enforces through scripts/stack-params.cjs: the `local` stage
// (npm start) is the only one that goes without a credentials secret and is never deployed;
// packaging or deploying any other stage without one stops before anything is built. The rule
// is checked as a function, then once for real: `osls package` of a deployed stage with no
// secret, in a child process, as CI would run it. The retirement parameters likewise: checked as
// functions (ranges, the functions' own rate-limit parser, no stack resource in a local
// environment), then an unreadable upstreamRateLimits stopping `osls package`.

import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { esbuildWorkFolder, root, runOsls } from './packaging.js';

interface StackParams {
  LOCAL_STAGE: string;
  commandOf(argv: string[]): string;
  credentialsSecretProblem(input: {
    command: string;
    stage: string;
    secretId: unknown;
    secretArn?: unknown;
    service?: string;
  }): string | undefined;
  positiveInteger(name: string, value: unknown): number;
  positiveNumber(name: string, value: unknown): number;
  integerBetween(name: string, value: unknown, min: number, max: number): number;
  runsLocally(input: { command: string; stage: string }): boolean;
  upstreamRateLimitsProblem(value: unknown): Promise<string | undefined>;
}

const params = createRequire(import.meta.url)('../../scripts/stack-params.cjs') as StackParams;
const argv = (...args: string[]) => ['node', 'osls', ...args];

afterAll(async () => {
  for (const purpose of ['no-secret', 'print', 'bad-rates']) {
    await rm(join(root, esbuildWorkFolder(purpose)), { recursive: true, force: true });
  }
});

describe('the stage rule (scripts/stack-params.cjs)', () => {
  it('reads the osls command the way osls does: every argument before the first option', () => {
    expect(params.commandOf(argv('package', '--stage', 'prod'))).toBe('package');
    expect(params.commandOf(argv('deploy', 'function', '-f', 'x'))).toBe('deploy function');
    expect(params.commandOf(argv('offline', 'start', '--stage', 'local'))).toBe('offline start');
    expect(params.commandOf(argv('--stage', 'prod', 'package'))).toBe('');
  });

  it('stops package and deploy of a deployed stage whose secret is empty or blank', () => {
    for (const command of ['package', 'deploy', 'deploy function']) {
      for (const secretId of ['', '  ', undefined]) {
        expect(
          params.credentialsSecretProblem({ command, stage: 'prod', secretId }),
          `${command} ${JSON.stringify(secretId)}`,
        ).toMatch(
          /^Stage "prod" has no credentials secret: pass `--param imageCredentialsSecretId=/,
        );
      }
    }
  });

  it('refuses a secret the default grant does not cover, unless its ARN is given too', () => {
    // The default of serverless.yml: CloudFormation's own ${...} substitutions, not a template.
    const DEFAULT_ARN = [
      'arn:$',
      '{AWS::Partition}:secretsmanager:$',
      '{AWS::Region}:$',
      '{AWS::AccountId}:secret:cloud-image-functions/prod-??????',
    ].join('');
    const problem = (secretId: string, secretArn: string) =>
      params.credentialsSecretProblem({
        command: 'package',
        stage: 'prod',
        secretId,
        secretArn,
        service: 'cloud-image-functions',
      });

    expect(problem('team/other-secret', DEFAULT_ARN)).toMatch(
      /^The functions may read only the secret named cloud-image-functions\/prod \(the default grant\)/,
    );
    expect(
      problem('arn:aws:secretsmanager:eu-central-1:123456789012:secret:team/x-AbCdEf', DEFAULT_ARN),
    ).toMatch(/imageCredentialsSecretArn/);
    expect(problem('cloud-image-functions/prod', DEFAULT_ARN)).toBeUndefined();
    expect(
      problem(
        'arn:aws:secretsmanager:eu-central-1:123456789012:secret:cloud-image-functions/prod',
        DEFAULT_ARN,
      ),
      'a partial ARN of the default secret',
    ).toBeUndefined();
    expect(
      problem(
        'arn:aws:secretsmanager:eu-central-1:123456789012:secret:cloud-image-functions/prod-extra-AbCdEf',
        DEFAULT_ARN,
      ),
      'another secret whose name starts alike',
    ).toMatch(/imageCredentialsSecretArn/);
    expect(
      problem(
        'arn:aws:secretsmanager:eu-central-1:123456789012:secret:cloud-image-functions/prod-AbCdEf',
        DEFAULT_ARN,
      ),
    ).toBeUndefined();
    expect(
      problem(
        'team/other-secret',
        'arn:aws:secretsmanager:eu-central-1:123456789012:secret:team/other-secret-??????',
      ),
    ).toBeUndefined();
  });

  it('lets a deployed stage with a secret through, and every command that ships nothing', () => {
    for (const command of ['package', 'deploy']) {
      expect(
        params.credentialsSecretProblem({ command, stage: 'prod', secretId: 'cif/prod' }),
      ).toBeUndefined();
    }
    for (const command of ['print', 'info', 'remove', 'offline start', 'invoke local']) {
      expect(
        params.credentialsSecretProblem({ command, stage: 'prod', secretId: '' }),
        command,
      ).toBeUndefined();
    }
  });

  it('packages the local stage without a secret, and never deploys it, secret or not', () => {
    expect(params.LOCAL_STAGE).toBe('local');
    expect(
      params.credentialsSecretProblem({ command: 'package', stage: 'local', secretId: '' }),
    ).toBeUndefined();
    for (const secretId of ['', 'cif/local']) {
      expect(
        params.credentialsSecretProblem({ command: 'deploy', stage: 'local', secretId }),
      ).toMatch(/^The "local" stage runs on this machine only \(npm start\) and is never deployed/);
    }
  });

  it('takes throttle parameters as numbers (from --param text too) and refuses anything else', () => {
    expect(params.positiveInteger('b', '80')).toBe(80);
    expect(params.positiveInteger('b', 50)).toBe(50);
    expect(params.positiveNumber('r', '12.5')).toBe(12.5);
    for (const bad of ['', '0', '-1', '1.5', 'many']) {
      expect(() => params.positiveInteger('burst', bad), bad).toThrow(
        /^Parameter burst must be a whole number of at least 1/,
      );
    }
    for (const bad of ['', '0', '-2', 'fast']) {
      expect(() => params.positiveNumber('rate', bad), bad).toThrow(
        /^Parameter rate must be a number above 0/,
      );
    }
  });
});

describe('the retirement parameters (scripts/stack-params.cjs)', () => {
  it('takes whole numbers in their range (queue concurrency 2..1000, receives 1..1000, archive days 0 and up) and refuses anything else', () => {
    expect(params.integerBetween('queueMaximumConcurrency', '7', 2, 1000)).toBe(7);
    expect(params.integerBetween('eventArchiveRetentionDays', 0, 0, 36_500)).toBe(0);
    for (const bad of ['', '1', '1001', '2.5', 'five']) {
      expect(() => params.integerBetween('queueMaximumConcurrency', bad, 2, 1000), bad).toThrow(
        /^Parameter queueMaximumConcurrency must be a whole number from 2 to 1000, not /,
      );
    }
  });

  it("checks upstreamRateLimits with the functions' own parser, naming the bad entry", async () => {
    expect(await params.upstreamRateLimitsProblem('modelarts=10,bcc=20')).toBeUndefined();
    expect(await params.upstreamRateLimitsProblem('modelarts:cn-north-4=2.5')).toBeUndefined();
    expect(await params.upstreamRateLimitsProblem('bcc=20,modelarts=10,bcc:bj=x')).toBe(
      'Parameter upstreamRateLimits is not valid: UPSTREAM_RATE_LIMITS: entry 3: the rate must be a number of requests per second above 0 and at most 10000.',
    );
    expect(await params.upstreamRateLimitsProblem('modelarts=fast')).toBe(
      'Parameter upstreamRateLimits is not valid: UPSTREAM_RATE_LIMITS: entry 1: the rate must be a number of requests per second above 0 and at most 10000.',
    );
  });

  it('leaves the stack resources out of the environment where the functions run on this machine', () => {
    expect(params.runsLocally({ command: 'package', stage: 'local' })).toBe(true);
    expect(params.runsLocally({ command: 'offline start', stage: 'test' })).toBe(true);
    expect(params.runsLocally({ command: 'offline', stage: 'prod' })).toBe(true);
    expect(params.runsLocally({ command: 'invoke local', stage: 'prod' })).toBe(true);
    for (const command of ['package', 'deploy', 'deploy function', 'print', 'invoke']) {
      expect(params.runsLocally({ command, stage: 'prod' }), command).toBe(false);
    }
  });
});

describe('osls with serverless.yml', () => {
  it('refuses to package a deployed stage without a credentials secret, building nothing', async () => {
    const work = await mkdtemp(join(tmpdir(), 'cif-no-secret-'));
    const packageDir = join(work, 'package');
    try {
      const result = await runOsls(
        ['package', '--stage', 'ci', '--package', packageDir],
        'no-secret',
        60_000,
      );
      const output = `${result.stdout}\n${result.stderr}`;

      expect(result.code, output).not.toBe(0);
      expect(output).toContain(
        'Stage "ci" has no credentials secret: pass `--param imageCredentialsSecretId=<secret name or ARN>`',
      );
      expect(output).not.toMatch(/Service packaged/);
      expect(existsSync(join(packageDir, 'cloudformation-template-update-stack.json'))).toBe(false);
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  }, 70_000);

  it('resolves the local stage by default, with no secret and the default throttle (25/s, bursts of 50)', async () => {
    const result = await runOsls(['print', '--format', 'json'], 'print', 60_000);
    expect(result.code, result.stderr).toBe(0);
    const service = JSON.parse(result.stdout.slice(result.stdout.indexOf('{'))) as {
      provider: { stage: string; environment: Record<string, string> };
      resources: { extensions: { HttpApiStage: { Properties: Record<string, unknown> } } };
    };

    expect(service.provider.stage).toBe('local');
    expect(service.provider.environment.IMAGE_CREDENTIALS_SECRET_ID).toBe('');
    // npm start keeps plans, runs and events on disk: no stack resource in the environment.
    expect(service.provider.environment).toMatchObject({
      PLANS_BUCKET: '',
      RUNS_TABLE: '',
      EVENT_BUS_NAME: '',
      DELETE_QUEUE_URL: '',
      UPSTREAM_RATE_LIMITS: 'modelarts=10,bcc=20',
    });
    expect(service.resources.extensions.HttpApiStage.Properties.DefaultRouteSettings).toEqual({
      ThrottlingRateLimit: 25,
      ThrottlingBurstLimit: 50,
    });
  }, 70_000);

  it('refuses to package with upstream rate limits the functions could not read, building nothing', async () => {
    const work = await mkdtemp(join(tmpdir(), 'cif-bad-rates-'));
    const packageDir = join(work, 'package');
    try {
      const result = await runOsls(
        [
          'package',
          '--stage',
          'ci',
          '--param',
          'imageCredentialsSecretId=cloud-image-functions/ci',
          '--param',
          'upstreamRateLimits=modelarts=10,bcc',
          '--package',
          packageDir,
        ],
        'bad-rates',
        60_000,
      );
      const output = `${result.stdout}\n${result.stderr}`;

      expect(result.code, output).not.toBe(0);
      expect(output).toContain(
        'Parameter upstreamRateLimits is not valid: UPSTREAM_RATE_LIMITS: entry 2: each entry must be provider=rate or provider:region=rate.',
      );
      expect(existsSync(join(packageDir, 'cloudformation-template-update-stack.json'))).toBe(false);
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  }, 70_000);
});
