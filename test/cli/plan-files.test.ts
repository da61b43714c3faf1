// What `cloud-images plan` does around the plan operation: the policy file (JSON or YAML, read and
// parsed as the API parses policies, every problem an InvalidRequest naming `policy` and the
// path; a key written twice refused alike in both, the command run in a child process), the
// summary people read, and the HTML report written next to it. Real files in a temporary folder;
// the plan comes from the real planner.

import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exitStatusOfError } from '../../lib/cli/exit-status.js';
import { paint } from '../../lib/cli/output/colour.js';
import { planSummary, writePlanReport } from '../../lib/cli/output/plan.js';
import { readPolicyFile } from '../../lib/cli/policy-file.js';
import { parseStoredPlan } from '../../lib/cli/storage.js';
import { InvalidRequest } from '../../lib/errors/errors.js';
import { planRetirement } from '../../lib/retirement/planner.js';
import { MAX_POLICY_TEXT_LENGTH } from '../../lib/retirement/policy.js';
import { daysAgo, modelartsImage, NOW, policyOf } from '../retirement/fixtures.js';
import { useFixture } from '../support/fixture.js';
import { cloudImages } from './cli-child.js';

const fixture = useFixture({ emulator: {}, demoEnv: false });

let dir: string;

const POLICY = {
  name: 'stale-training-images',
  provider: 'modelarts',
  regions: ['cn-north-4'],
  select: { kind: 'custom', name: 'train-*', olderThanDays: 90 },
  keep: { newestPerFamily: 1 },
  limits: { maxDeletions: 50, maxPercent: 50 },
};

const YAML = `# kept in the repository
name: stale-training-images
provider: modelarts
regions: [cn-north-4]
select:
  kind: custom
  name: "train-*"
  olderThanDays: 90
keep:
  newestPerFamily: 1
limits:
  maxDeletions: 50
  maxPercent: 50
`;

const file = async (name: string, content: string | Uint8Array): Promise<string> => {
  const path = join(dir, name);
  await writeFile(path, content);
  return path;
};

/** The InvalidRequest readPolicyFile rejects with. */
const refusal = async (path: string): Promise<InvalidRequest> => {
  const error = await readPolicyFile(path).then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  if (!(error instanceof InvalidRequest))
    throw new Error(`not an InvalidRequest: ${String(error)}`);
  return error;
};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cloud-images-plan-'));
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('the policy file', () => {
  it('reads JSON and YAML alike, by extension or by the first character', async () => {
    const paths = [
      await file('policy.json', JSON.stringify(POLICY)),
      await file('policy.yaml', YAML),
      await file('policy.yml', YAML),
      await file('policy-json', `\n  ${JSON.stringify(POLICY)}`),
      await file('policy-yaml', YAML),
      await file('policy-bom.json', `\uFEFF${JSON.stringify(POLICY)}`),
    ];

    const policies = await Promise.all(paths.map((path) => readPolicyFile(path)));

    for (const policy of policies) {
      expect(policy).toMatchObject({ ...POLICY, apply: 'manual' });
    }
  });

  it('a file that cannot be read is InvalidRequest naming policy and the path', async () => {
    await mkdir(join(dir, 'a-folder'), { recursive: true });

    const missing = await refusal(join(dir, 'nope.yaml'));
    const folder = await refusal(join(dir, 'a-folder'));

    expect(missing.message).toBe(
      `policy: cannot read ${join(dir, 'nope.yaml')}: there is no such file`,
    );
    expect(missing.field).toBe('policy');
    expect(folder.message).toBe(`policy: cannot read ${join(dir, 'a-folder')}: it is not a file`);
  });

  it('a document that is not a policy is refused as the API refuses it, naming the field', async () => {
    const noLimits = await refusal(
      await file('no-limits.json', JSON.stringify({ ...POLICY, limits: undefined })),
    );
    const typo = await refusal(await file('typo.yaml', `${YAML}exlude:\n  ids: []\n`));
    const notYaml = await refusal(await file('broken.yaml', 'name: [unclosed\n'));
    const yamlAsJson = await refusal(await file('yaml.json', YAML));

    expect(noLimits.message).toBe('limits: is required');
    expect(noLimits.field).toBe('limits');
    expect(typo.message).toMatch(/unknown field\(s\): exlude/);
    expect(notYaml.message).toMatch(/^policy: is not valid YAML: .+ \(line 2, column 1 of /);
    expect(notYaml.message.endsWith(`of ${join(dir, 'broken.yaml')})`)).toBe(true);
    expect(yamlAsJson.message).toBe(
      `policy: is not valid JSON: expected a value (line 1, column 1 of ${join(dir, 'yaml.json')})`,
    );
  });

  it('a file that is not text (a NUL byte, or not UTF-8) is InvalidRequest saying so, naming the path', async () => {
    // Prepare: a NUL in YAML that would parse, UTF-16 with its byte order mark, and JSON whose
    // one string holds a byte that is not UTF-8 (read leniently: a U+FFFD the schema refused).
    const withNul = await file('nul.yaml', `${YAML}\u0000`);
    const utf16 = await file('utf16.yaml', Buffer.from(`\uFEFF${YAML}`, 'utf16le'));
    const latin1Bytes = Buffer.from(JSON.stringify({ ...POLICY, name: 'caf?' }));
    latin1Bytes[latin1Bytes.indexOf('?')] = 0xe9; // é in Latin-1
    const latin1 = await file('latin1.json', latin1Bytes);

    // Act
    const refused = await Promise.all([withNul, utf16, latin1].map((path) => refusal(path)));

    // Assess
    expect(refused.map((error) => [error.field, error.message])).toEqual([
      ['policy', `policy: ${withNul} is not text (it holds a NUL byte: a binary file, or UTF-16)`],
      ['policy', `policy: ${utf16} is not text (it holds a NUL byte: a binary file, or UTF-16)`],
      ['policy', `policy: ${latin1} is not text (it is not UTF-8)`],
    ]);
  });

  it('a file too large to be a policy is refused before it is read', async () => {
    const path = await file('huge.json', ' '.repeat(MAX_POLICY_TEXT_LENGTH * 4 + 1));

    const error = await refusal(path);

    expect(error.message).toBe(`policy: must be at most ${MAX_POLICY_TEXT_LENGTH} characters`);
  });
});

describe('the plan file given to apply', () => {
  /** The InvalidRequest parseStoredPlan throws for `text` read from `path`. */
  const planRefusal = (text: string, path: string): InvalidRequest => {
    try {
      parseStoredPlan(text, path);
    } catch (error) {
      if (error instanceof InvalidRequest) return error;
      throw error;
    }
    throw new Error('accepted');
  };

  it('a file that is not JSON is refused saying what broke it, the line, the column and the file', () => {
    // Act
    const error = planRefusal('{\n  "planId": "plan-0"\n  "policy": {}\n}\n', '/plans/broken.json');

    // Assess
    expect(error.field).toBe('plan');
    expect(error.message).toBe(
      "plan: is not valid JSON: expected ',' or '}' after a value (line 3, column 3 of /plans/broken.json)",
    );
  });

  it('a document that is not a plan (a policy given by mistake) is refused naming the field', () => {
    // Act
    const error = planRefusal(JSON.stringify(POLICY), '/plans/policy.json');

    // Assess
    expect(error.field).toBe('plan');
    expect(error.message).toBe('plan: /plans/policy.json is not a plan (planId: is required)');
  });

  it('a plan edited into a wrong type or an unknown field is refused in the words of the inputs and policies', () => {
    // Act
    const wrongType = planRefusal(JSON.stringify({ planId: 7 }), '/plans/typed.json');
    const unknown = planRefusal(JSON.stringify({ planId: 'x', extra: 1 }), '/plans/extra.json');

    // Assess: not zod's 'Invalid input: expected string, received number' or 'Unrecognized key'.
    expect(wrongType.message).toBe(
      'plan: /plans/typed.json is not a plan (planId: must be a string)',
    );
    // The first issue is the ID's (zod reports the plan's own fields before unknown ones), in the
    // words of the apply route's planId, not zod's 'Invalid string: must match pattern
    // /^plan-[0-9a-f]{24}$/'.
    expect(unknown.message).toBe(
      "plan: /plans/extra.json is not a plan (planId: must be a plan id ('plan-' and 24 hex digits))",
    );
  });

  it('a plan with a field a plan does not have is refused naming it, not read without it', () => {
    // Prepare: a whole plan as the planner writes it, then a key added at the top by hand.
    const plan = planRetirement({
      policy: policyOf(),
      inventory: [modelartsImage({ name: 'train-a', createdAt: daysAgo(300) })],
      usage: new Map(),
      protection: () => undefined,
      now: NOW,
    });

    // Act
    const kept = parseStoredPlan(JSON.stringify(plan), '/plans/as-written.json');
    const error = planRefusal(JSON.stringify({ ...plan, extra: 1 }), '/plans/extra.json');

    // Assess: the plan as written still loads; the edited one names the key as a policy would.
    expect(kept).toEqual(plan);
    expect(error.field).toBe('plan');
    expect(error.message).toBe(
      'plan: /plans/extra.json is not a plan (plan: unknown field(s): extra)',
    );
  });

  it('a plan whose createdAt was edited into something else says what a date and time looks like', () => {
    // Act
    const error = planRefusal(
      JSON.stringify({ planId: `plan-${'0'.repeat(24)}`, policy: POLICY, createdAt: 'yesterday' }),
      '/plans/dated.json',
    );

    // Assess: not zod's 'Invalid ISO datetime'.
    expect(error.message).toMatch(
      /^plan: \/plans\/dated\.json is not a plan \(.*: must be an ISO 8601 date and time in UTC, such as 2026-01-31T12:00:00\.000Z/,
    );
  });
});

describe('cloud-images plan with a policy file that is not JSON', () => {
  it('says what broke it, the line, the column and the file; nothing is sent upstream', async () => {
    const path = await file(
      'missing-comma.json',
      '{\n  "name": "stale-training-images",\n  "provider": "modelarts"\n  "regions": ["cn-north-4"]\n}\n',
    );

    const run = await cloudImages(['--emulator', fixture.url, 'plan', path, '--json']);

    expect(run.code, run.stderr).toBe(exitStatusOfError('InvalidRequest'));
    expect(run.errorBody().error.message).toBe(
      `policy: is not valid JSON: expected ',' or '}' after a value (line 4, column 3 of ${path})`,
    );
    expect(fixture.emulator.requests).toEqual([]);
  });
});

describe('cloud-images plan with a key written twice', () => {
  it('refuses it in JSON as in YAML, naming the path, where the second is and the file; nothing is sent upstream', async () => {
    const json = await file(
      'twice.json',
      `{
  "name": "stale-training-images",
  "provider": "modelarts",
  "regions": ["cn-north-4"],
  "select": { "kind": "custom" },
  "limits": { "maxDeletions": 5, "maxPercent": 10, "maxDeletions": 500 }
}
`,
    );
    const yaml = await file('twice.yaml', `${YAML}  maxDeletions: 500\n`);
    const plan = (path: string) =>
      cloudImages([
        '--emulator',
        fixture.url,
        'plan',
        path,
        '--json',
        '--dir',
        join(dir, 'plans-twice'),
      ]);

    const [fromJson, fromYaml] = [await plan(json), await plan(yaml)];

    expect(fromJson.code, fromJson.stderr).toBe(exitStatusOfError('InvalidRequest'));
    expect(fromJson.errorBody().error.message).toBe(
      `limits.maxDeletions: is written twice (the second at line 6, column 52 of ${json})`,
    );
    expect(fromYaml.code, fromYaml.stderr).toBe(exitStatusOfError('InvalidRequest'));
    expect(fromYaml.errorBody().error.message).toBe(
      `limits.maxDeletions: is written twice (the second at line 14, column 3 of ${yaml})`,
    );
    expect(fixture.emulator.requests).toEqual([]);
  });

  it('names a nested key by its path, and takes a key written with escapes for the same key', async () => {
    const path = await file(
      'nested.json',
      JSON.stringify({ ...POLICY, exclude: { ids: [] } }).replace(
        '"ids":[]',
        '"names":[], "ids":[], "\\u006eames":["*-golden"]',
      ),
    );

    const error = await refusal(path);

    expect(error.message).toMatch(
      /^exclude\.names: is written twice \(the second at line 1, column \d+ of /,
    );
    expect(error.field).toBe('exclude.names');
  });
});

describe('the plan for people', () => {
  const plan = planRetirement({
    policy: policyOf({ limits: { maxDeletions: 2, maxPercent: 100 } }),
    inventory: [
      modelartsImage({ name: 'train-a', createdAt: daysAgo(300) }),
      modelartsImage({ name: 'train-b', createdAt: daysAgo(250) }),
      modelartsImage({ name: 'train-c', createdAt: daysAgo(200) }),
      modelartsImage({ name: 'built-in', kind: 'system' }),
    ],
    usage: new Map(),
    protection: () => undefined,
    now: NOW,
  });

  it('sums it up: the counts, the limits that bound it, each reason that applies', () => {
    const text = planSummary(plan, paint(false));

    expect(text.split('\n')).toEqual([
      `plan ${plan.planId} of policy test-policy (modelarts: cn-north-4)`,
      '  4 images: 2 to retire, 1 deferred, 1 kept',
      '  the limits allow 2 of the 3 it would retire; the oldest go first, the rest wait for a later plan',
      expect.stringMatching(/^ {2}REASON +IMAGES$/),
      expect.stringMatching(/^ {2}system +1$/),
      expect.stringMatching(/^ {2}over-limit +1$/),
      expect.stringMatching(/^ {2}retire +2$/),
      '',
    ]);
  });

  it('writes the HTML report, making its folder', async () => {
    const path = join(dir, 'reports', `${plan.planId}.html`);

    await writePlanReport(plan, path);

    const html = await readFile(path, 'utf8');
    expect(html).toMatch(/^<!doctype html>/i);
    expect(html).toContain(plan.planId);
  });
});
