// The policy files deploy with the stack (scripts/policy-schedules.cjs): every file of the folder
// is checked with the functions' own policy schema, and each policy with a `schedule` becomes one
// EventBridge Scheduler schedule of scheduledPlan. Checked as functions over real folders (the
// repository's policies/, the fixtures, and folders made here), then once for real: `osls package`
// of a folder holding an invalid policy stops, naming the file and the field, and builds nothing.
// (The packaged template of the fixtures, one scheduled policy and one not, is template.test.ts's.)

import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Policy } from '../../lib/retirement/policy.js';
import { parsePolicyText } from '../../lib/retirement/policy-text.js';
import { esbuildWorkFolder, root, runOsls } from './packaging.js';

interface PolicyFile {
  file: string;
  policy: Policy;
}
interface Schedule {
  Type: string;
  Properties: {
    Name: string;
    ScheduleExpression: string;
    Description: string;
    Target: { Input: unknown; RetryPolicy: unknown };
  };
}
interface PolicySchedules {
  DEFAULT_POLICIES_DIR: string;
  logicalIdOf(name: string): string;
  readPolicies(options: {
    dir: string;
    shown: string;
    parsePolicyText: typeof parsePolicyText;
    required?: boolean;
  }): PolicyFile[];
  scheduleResources(policies: PolicyFile[]): { Resources: Record<string, Schedule> };
  readScheduleInput(input: unknown): Record<string, unknown>;
}

const schedules = createRequire(import.meta.url)(
  '../../scripts/policy-schedules.cjs',
) as PolicySchedules;

const FIXTURES = join(root, 'test', 'deploy', 'fixtures', 'policies');

let work: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'cif-policies-'));
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
  await rm(join(root, esbuildWorkFolder('invalid-policy')), { recursive: true, force: true });
});

/** A folder of its own under `work` holding `files` (name → text). */
const folder = async (name: string, files: Record<string, string>): Promise<string> => {
  const dir = join(work, name);
  await mkdir(dir, { recursive: true });
  for (const [file, text] of Object.entries(files)) await writeFile(join(dir, file), text);
  return dir;
};

const read = (dir: string, required = false) =>
  schedules.readPolicies({ dir, shown: 'policies', parsePolicyText, required });

const VALID = `name: weekly
provider: bcc
regions: [bj]
select: { olderThanDays: 30 }
limits: { maxDeletions: 5, maxPercent: 10 }
schedule: rate(7 days)
`;

describe('the policy files (scripts/policy-schedules.cjs)', () => {
  it('schedules exactly the policies that have a schedule: one scheduled and one not give one schedule', async () => {
    const policies = read(FIXTURES);
    expect(policies.map(({ file, policy }) => [file, policy.name])).toEqual([
      ['policies/golden-review.json', 'golden-review'],
      ['policies/nightly-bcc-cleanup.yml', 'nightly-bcc-cleanup'],
    ]);

    const { Resources } = schedules.scheduleResources(policies);

    expect(Object.keys(Resources)).toEqual(['PolicyScheduleNightlyBccCleanup']);
    const schedule = Resources.PolicyScheduleNightlyBccCleanup;
    const policy = parsePolicyText(
      await readFile(join(FIXTURES, 'nightly-bcc-cleanup.yml'), 'utf8'),
      'yaml',
    );
    expect(schedule?.Type).toBe('AWS::Scheduler::Schedule');
    expect(schedule?.Properties).toMatchObject({
      Name: 'nightly-bcc-cleanup',
      ScheduleExpression: 'rate(1 day)',
      Description:
        'Plans the retirement policy nightly-bcc-cleanup (policies/nightly-bcc-cleanup.yml), apply auto',
    });
    expect(schedules.readScheduleInput(schedule?.Properties.Target.Input)).toEqual({
      policy,
      identity: { 'Fn::GetAtt': ['PolicyScheduleRole', 'Arn'] },
      scheduledTime: '<aws.scheduler.scheduled-time>',
    });
  });

  it("holds the repository's example: stale-training-images, planned Mondays at 03:00 UTC, applied by a person", () => {
    const policies = read(join(root, schedules.DEFAULT_POLICIES_DIR), true);
    const example = policies.find(({ policy }) => policy.name === 'stale-training-images');
    expect(example?.file).toBe('policies/stale-training-images.yml');
    expect(example?.policy).toMatchObject({
      provider: 'modelarts',
      schedule: 'cron(0 3 ? * MON *)',
      apply: 'manual',
      select: { kind: 'custom' },
      limits: { maxDeletions: 50, maxPercent: 20 },
    });
    const { Resources } = schedules.scheduleResources(policies);
    expect(Resources.PolicyScheduleStaleTrainingImages?.Properties.ScheduleExpression).toBe(
      'cron(0 3 ? * MON *)',
    );
  });

  it('refuses invalid policy files, naming each file and its field, all at once', async () => {
    const dir = await folder('invalid', {
      'weekly.yml': VALID,
      'no-limits.yml': 'name: no-limits\nprovider: bcc\nregions: [bj]\nselect: {}\n',
      'typo.json': JSON.stringify({
        name: 'typo',
        provider: 'bcc',
        regions: ['bj'],
        select: {},
        limits: { maxDeletions: 1, maxPercent: 1 },
        exlude: { names: ['keep-*'] },
      }),
      'broken.yaml': 'name: broken\nregions: [bj\n',
      'broken-json.json': '{\n  "name": "broken-json",\n  "regions": ["bj",]\n}\n',
      'auto.yml': VALID.replace('name: weekly', 'name: auto').replace(
        'schedule: rate(7 days)\n',
        'apply: auto\n',
      ),
    });

    let message = '';
    try {
      read(dir);
    } catch (error) {
      message = (error as Error).message;
    }
    const lines = message.split('\n');
    expect(lines[0]).toBe(
      'Invalid retirement policies in policies (nothing was packaged; fix or remove the file):',
    );
    expect(lines.slice(1)).toEqual([
      '  - policies/auto.yml: apply: `auto` needs a schedule (plans made on request are always applied by a person)',
      '  - policies/broken-json.json: policy: is not valid JSON: expected a value (line 3, column 20)',
      expect.stringMatching(
        /^ {2}- policies\/broken\.yaml: policy: is not valid YAML: .+\(line \d+/,
      ),
      '  - policies/no-limits.yml: limits: is required',
      '  - policies/typo.json: policy: unknown field(s): exlude',
    ]);
    // osls prints the message as it is, without a stack trace.
    expect(() => read(dir)).toThrow(
      expect.objectContaining({ stack: expect.stringMatching(/^Invalid retirement policies/) }),
    );
  });

  it('refuses a key written twice, in JSON as in YAML, naming the file, the path and where the second is', async () => {
    const dir = await folder('twice', {
      'json-twice.json': `{
  "name": "json-twice",
  "provider": "bcc",
  "regions": ["bj"],
  "select": {},
  "limits": { "maxDeletions": 5, "maxPercent": 10, "maxDeletions": 500 }
}
`,
      'yaml-twice.yml': `${VALID.replace('name: weekly', 'name: yaml-twice')}select: { olderThanDays: 400 }\n`,
    });

    let message = '';
    try {
      read(dir);
    } catch (error) {
      message = (error as Error).message;
    }

    expect(message.split('\n').slice(1)).toEqual([
      '  - policies/json-twice.json: limits.maxDeletions: is written twice (the second at line 6, column 52)',
      '  - policies/yaml-twice.yml: select: is written twice (the second at line 7, column 1)',
    ]);
  });

  it('refuses a file not named after its policy, two files of one policy, and names one schedule id would share', async () => {
    const renamed = await folder('renamed', { 'monday.yml': VALID });
    expect(() => read(renamed)).toThrow(
      'policies/monday.yml: name: is "weekly", but a policy file is named after its policy (rename the file to weekly.yml, or the policy to monday)',
    );

    const twice = await folder('twice', {
      'weekly.yml': VALID,
      'weekly.json': JSON.stringify(parsePolicyText(VALID, 'yaml')),
    });
    expect(() => read(twice)).toThrow(
      'policies/weekly.yml: name: "weekly" is also the name of policies/weekly.json',
    );

    const alike = await folder('alike', {
      'old-images.yml': VALID.replace('name: weekly', 'name: old-images'),
      'old_images.yml': VALID.replace('name: weekly', 'name: old_images'),
    });
    expect(schedules.logicalIdOf('old-images')).toBe('PolicyScheduleOldImages');
    expect(() => read(alike)).toThrow(
      'policies/old_images.yml: name: "old_images" and "old-images" (policies/old-images.yml) differ only in punctuation, and would share the schedule PolicyScheduleOldImages',
    );
  });

  it('ignores files that are not policies; a missing default folder holds none, a missing given one is refused', async () => {
    const dir = await folder('with-readme', {
      'weekly.yml': VALID,
      'README.md': '# not a policy: {',
      'weekly.yml.bak': 'name: [',
    });
    expect(read(dir).map(({ policy }) => policy.name)).toEqual(['weekly']);

    const missing = join(work, 'nowhere');
    expect(read(missing)).toEqual([]);
    expect(() => read(missing, true)).toThrow(
      'The policies folder policies does not exist (parameter policiesDir).',
    );
  });
});

describe('osls with an invalid policy file', () => {
  it('refuses to package, naming the file and the field, and builds nothing', async () => {
    const dir = await folder('osls-invalid', {
      'weekly.yml': VALID.replace('limits: { maxDeletions: 5, maxPercent: 10 }\n', ''),
    });
    const packageDir = join(work, 'package');

    const result = await runOsls(
      [
        'package',
        '--stage',
        'ci',
        '--param',
        'imageCredentialsSecretId=cloud-image-functions/ci',
        '--param',
        `policiesDir=${dir}`,
        '--package',
        packageDir,
      ],
      'invalid-policy',
      90_000,
    );
    const output = `${result.stdout}\n${result.stderr}`;

    expect(result.code, output).not.toBe(0);
    expect(output).toContain(
      `Invalid retirement policy in ${dir} (nothing was packaged; fix or remove the file):`,
    );
    expect(output).toContain(`- ${dir}/weekly.yml: limits: is required`);
    expect(output).not.toMatch(/at readPolicies|Service packaged/);
    expect(existsSync(join(packageDir, 'cloudformation-template-update-stack.json'))).toBe(false);
  }, 100_000);
});
