// The retirement variables: defaults, the rate-limit grammar (provider default, region override,
// built-in defaults), the per-process share, the choice of backends, and errors that name the
// variable without quoting what else the environment holds.

import { describe, expect, it } from 'vitest';
import {
  BUILT_IN_RATE_LIMITS,
  DEFAULT_STORE_DIR,
  loadRetirementConfig,
  processRateLimits,
  rateLimitFor,
  retirementBackends,
} from '../../lib/config/retirement-config.js';
import { ConfigurationError } from '../../lib/errors/errors.js';
import { thrownBy } from '../support/outcomes.js';

const configError = (run: () => unknown): ConfigurationError => thrownBy(run, ConfigurationError);

describe('loadRetirementConfig', () => {
  it('with nothing set: local directory, built-in rates, one process, five receives', () => {
    const config = loadRetirementConfig({});

    expect(config).toMatchObject({
      plansBucket: undefined,
      runsTable: undefined,
      eventBusName: undefined,
      storeDir: DEFAULT_STORE_DIR,
      storeDirSet: false,
      sqsMaxConcurrency: 1,
      maxReceiveCount: 5,
    });
    expect(config.rateLimits.providers).toEqual(BUILT_IN_RATE_LIMITS);
    expect(config.rateLimits.regions.size).toBe(0);
  });

  it('empty strings count as unset (serverless.yml writes empty values)', () => {
    const config = loadRetirementConfig({
      PLANS_BUCKET: '',
      RUNS_TABLE: '',
      EVENT_BUS_NAME: ' ',
      RETIREMENT_STORE_DIR: '',
      UPSTREAM_RATE_LIMITS: '',
      SQS_MAX_CONCURRENCY: '',
      MAX_RECEIVE_COUNT: '',
    });

    expect(retirementBackends(config)).toEqual({
      plans: { kind: 'local', dir: DEFAULT_STORE_DIR },
      runs: { kind: 'local', dir: DEFAULT_STORE_DIR },
      events: { kind: 'off', why: expect.stringContaining('EVENT_BUS_NAME') },
      queue: { kind: 'local', dir: DEFAULT_STORE_DIR },
    });
  });

  it('the stack: S3, DynamoDB and EventBridge', () => {
    const config = loadRetirementConfig({
      PLANS_BUCKET: 'cif-dev-plans',
      RUNS_TABLE: 'cif-dev-runs',
      EVENT_BUS_NAME: 'cloud-image-functions-dev',
      DELETE_QUEUE_URL: 'https://sqs.eu-central-1.amazonaws.com/123456789012/cif-dev-image-delete',
      SQS_MAX_CONCURRENCY: '5',
      MAX_RECEIVE_COUNT: '3',
    });

    expect(retirementBackends(config)).toEqual({
      plans: { kind: 's3', bucket: 'cif-dev-plans' },
      runs: { kind: 'dynamodb', table: 'cif-dev-runs' },
      events: { kind: 'eventbridge', busName: 'cloud-image-functions-dev' },
      queue: {
        kind: 'sqs',
        url: 'https://sqs.eu-central-1.amazonaws.com/123456789012/cif-dev-image-delete',
      },
    });
    expect(config.sqsMaxConcurrency).toBe(5);
    expect(config.maxReceiveCount).toBe(3);
  });

  it('a local directory set explicitly also receives the events', () => {
    const config = loadRetirementConfig({ RETIREMENT_STORE_DIR: '/tmp/cif-store/' });

    expect(retirementBackends(config)).toEqual({
      plans: { kind: 'local', dir: '/tmp/cif-store/' },
      runs: { kind: 'local', dir: '/tmp/cif-store/' },
      events: { kind: 'local', file: '/tmp/cif-store/events.jsonl' },
      queue: { kind: 'local', dir: '/tmp/cif-store/' },
    });
  });

  it('a bad value names its variable; several bad values are all named', () => {
    const error = configError(() =>
      loadRetirementConfig({
        PLANS_BUCKET: 'a bucket with spaces',
        SQS_MAX_CONCURRENCY: '0',
        MAX_RECEIVE_COUNT: 'five',
      }),
    );

    expect(error.message).toMatch(/^invalid configuration: /);
    expect(error.message).toContain('PLANS_BUCKET');
    expect(error.message).toContain('SQS_MAX_CONCURRENCY');
    expect(error.message).toContain('MAX_RECEIVE_COUNT');
    expect(error.message).not.toContain('RUNS_TABLE');
  });
});

describe('UPSTREAM_RATE_LIMITS', () => {
  const limits = (value: string) =>
    loadRetirementConfig({ UPSTREAM_RATE_LIMITS: value }).rateLimits;

  it('a provider default applies to every region; a region override wins for its region', () => {
    const parsed = limits('modelarts=10,modelarts:cn-north-4=5,bcc=20');

    expect(rateLimitFor(parsed, 'modelarts', 'ap-southeast-1')).toBe(10);
    expect(rateLimitFor(parsed, 'modelarts', 'cn-north-4')).toBe(5);
    expect(rateLimitFor(parsed, 'bcc', 'bj')).toBe(20);
  });

  it('what the operator leaves out keeps its built-in default; decimals and spaces are fine', () => {
    const parsed = limits(' modelarts = 2.5 , bcc:gz=1 ,');

    expect(rateLimitFor(parsed, 'modelarts', 'cn-north-4')).toBe(2.5);
    expect(rateLimitFor(parsed, 'bcc', 'bj')).toBe(BUILT_IN_RATE_LIMITS.get('bcc'));
    expect(rateLimitFor(parsed, 'bcc', 'gz')).toBe(1);
  });

  it('a provider with no limit at all is not paced (undefined), even one named like a prototype member', () => {
    const parsed = limits('');

    expect(rateLimitFor(parsed, 'othercloud', 'x')).toBeUndefined();
    expect(rateLimitFor(parsed, 'constructor', 'x')).toBeUndefined();
    expect(rateLimitFor(parsed, '__proto__', 'x')).toBeUndefined();
  });

  it.each([
    ['no rate', 'modelarts'],
    ['a rate of zero', 'modelarts=0'],
    ['a negative rate', 'modelarts=-1'],
    ['a rate that is not a number', 'modelarts=fast'],
    ['an absurd rate', 'bcc=1000000'],
    ['an uppercase provider', 'ModelArts=3'],
    ['a bad region', 'modelarts:CN_NORTH=3'],
    ['a key given twice', 'bcc=3,bcc=4'],
    ['a region given twice', 'bcc:bj=3,bcc:bj=4'],
  ])(
    'refuses %s with a ConfigurationError naming the variable and entry, not the value',
    (_case, value) => {
      const error = configError(() => limits(value));

      expect(error.message).toContain('UPSTREAM_RATE_LIMITS');
      expect(error.message).toMatch(/UPSTREAM_RATE_LIMITS: entr(y 1|ies 1 and 2)\b/);
      for (const entry of value.split(',')) expect(error.message).not.toContain(entry);
    },
  );

  it('says which entries repeat, and what they repeat', () => {
    expect(configError(() => limits('bcc=3,bcc=4')).message).toContain(
      'UPSTREAM_RATE_LIMITS: entries 1 and 2 set the same provider',
    );
    expect(configError(() => limits('bcc=3,bcc:bj=4,bcc:bj=5')).message).toContain(
      'UPSTREAM_RATE_LIMITS: entries 2 and 3 set the same provider and region',
    );
    expect(configError(() => limits('bcc=3,bcc=4')).message).not.toContain('and region');
  });
});

describe('processRateLimits', () => {
  it('divides every rate by SQS_MAX_CONCURRENCY: M consumers share the deployment rate', () => {
    const share = processRateLimits({
      UPSTREAM_RATE_LIMITS: 'modelarts=10,modelarts:cn-north-4=5',
      SQS_MAX_CONCURRENCY: '5',
    });

    expect(rateLimitFor(share, 'modelarts', 'ap-southeast-1')).toBe(2);
    expect(rateLimitFor(share, 'modelarts', 'cn-north-4')).toBe(1);
    expect(rateLimitFor(share, 'bcc', 'bj')).toBe(4);
  });

  it('one process (the default) gets the whole rate', () => {
    expect(rateLimitFor(processRateLimits({}), 'modelarts', 'cn-north-4')).toBe(10);
  });

  it('reads only its own variables: a bad store variable does not stop pacing', () => {
    expect(() => processRateLimits({ PLANS_BUCKET: 'bad bucket' })).not.toThrow();
    expect(configError(() => processRateLimits({ SQS_MAX_CONCURRENCY: '-2' })).message).toContain(
      'SQS_MAX_CONCURRENCY',
    );
  });
});
