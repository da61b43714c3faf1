// Policy documents: the spec's example is accepted in JSON and in YAML, and every mistake is a 400
// (InvalidRequest) whose message and `field` name the bad field. Unknown keys are refused at every
// level: a typo must never widen a deletion.

import { describe, expect, it, vi } from 'vitest';
import { InvalidRequest } from '../../lib/errors/errors.js';
import { MAX_POLICY_TEXT_LENGTH, parsePolicy } from '../../lib/retirement/policy.js';
import { parsePolicyText } from '../../lib/retirement/policy-text.js';
import { thrownBy } from '../support/outcomes.js';
import { SPEC_POLICY } from './fixtures.js';

const SPEC_EXAMPLE_YAML = `# yaml-language-server: $schema=../docs/policy.schema.json
name: stale-training-images
provider: modelarts
regions: [cn-north-4]
select:
  kind: custom
  name: "train-*"
  status: [available, failed, error]
  olderThanDays: 90
keep:
  newestPerFamily: 3
exclude:
  ids: []
  names: ["*-golden"]
limits:
  maxDeletions: 50
  maxPercent: 20
force: false
`;

/** The InvalidRequest a bad policy throws (fails the test when it parses). */
const refusal = (run: () => unknown): InvalidRequest => thrownBy(run, InvalidRequest);

const withChanges = (changes: Record<string, unknown>): Record<string, unknown> => ({
  ...SPEC_POLICY,
  ...changes,
});

describe('parsePolicy: the spec example', () => {
  it('is accepted, with `apply` defaulting to manual', () => {
    const policy = parsePolicy(SPEC_POLICY);

    // Its statuses in code-unit order (a set: see below).
    expect(policy).toEqual({
      ...SPEC_POLICY,
      select: { ...SPEC_POLICY.select, status: ['available', 'error', 'failed'] },
      apply: 'manual',
    });
  });

  it('reads the same from YAML as from JSON', () => {
    expect(parsePolicyText(SPEC_EXAMPLE_YAML, 'yaml')).toEqual(parsePolicy(SPEC_POLICY));
    expect(parsePolicyText(JSON.stringify(SPEC_POLICY), 'json')).toEqual(parsePolicy(SPEC_POLICY));
  });

  it('accepts a minimal policy: select {} means custom images, any known status', () => {
    const policy = parsePolicy({
      name: 'all-old',
      provider: 'bcc',
      regions: ['bj', 'gz'],
      select: {},
      limits: { maxDeletions: 0, maxPercent: 0 },
    });

    expect(policy.select).toEqual({});
    expect(policy.apply).toBe('manual');
  });

  it.each([
    ['rate(1 minute)'],
    ['rate(15 minutes)'],
    ['rate(1 day)'],
    ['cron(0 3 * * ? *)'],
    ['cron(0/15 8-17 ? * MON-FRI *)'],
    ['cron(0 12 L * ? 2030)'],
    ['at(2030-01-31T03:00:00)'],
  ])('accepts the schedule %s (EventBridge Scheduler), with apply auto', (schedule) => {
    const policy = parsePolicy(withChanges({ schedule, apply: 'auto' }));

    expect(policy.schedule).toBe(schedule);
    expect(policy.apply).toBe('auto');
  });
});

describe('parsePolicy: regions are a set', () => {
  it('lists them in code-unit order, whatever order they were written in (a plan of either is the same)', () => {
    // Act
    const written = parsePolicy(
      withChanges({ regions: ['cn-south-1', 'ap-southeast-1', 'cn-north-4'] }),
    );
    const reordered = parsePolicy(
      withChanges({ regions: ['cn-north-4', 'cn-south-1', 'ap-southeast-1'] }),
    );

    // Assess
    expect(written.regions).toEqual(['ap-southeast-1', 'cn-north-4', 'cn-south-1']);
    expect(reordered).toEqual(written);
  });
});

describe('parsePolicy: every list whose order means nothing', () => {
  it('comes back in code-unit order, whatever order it was written in: select.status, exclude.ids, exclude.names', () => {
    // Act
    const written = parsePolicy(
      withChanges({
        select: { ...SPEC_POLICY.select, status: ['failed', 'available', 'error'] },
        exclude: {
          ids: ['ffffffff-0000-4000-8000-000000000000', '0000abcd-0000-4000-8000-000000000000'],
          names: ['*-golden', '*-Pinned', 'base-*'],
        },
      }),
    );
    const reordered = parsePolicy(
      withChanges({
        select: { ...SPEC_POLICY.select, status: ['error', 'failed', 'available'] },
        exclude: {
          ids: ['0000abcd-0000-4000-8000-000000000000', 'ffffffff-0000-4000-8000-000000000000'],
          names: ['base-*', '*-golden', '*-Pinned'],
        },
      }),
    );

    // Assess
    expect(written.select.status).toEqual(['available', 'error', 'failed']);
    expect(written.exclude).toEqual({
      ids: ['0000abcd-0000-4000-8000-000000000000', 'ffffffff-0000-4000-8000-000000000000'],
      names: ['*-Pinned', '*-golden', 'base-*'],
    });
    expect(reordered).toEqual(written);
  });
});

describe('parsePolicy: each mistake names its field', () => {
  it.each<[string, Record<string, unknown>, string, string]>([
    ['limits missing', { limits: undefined }, 'limits', 'limits: is required'],
    [
      'limits.maxDeletions missing',
      { limits: { maxPercent: 20 } },
      'limits.maxDeletions',
      'limits.maxDeletions: is required',
    ],
    [
      'limits.maxPercent above 100',
      { limits: { maxDeletions: 5, maxPercent: 120 } },
      'limits.maxPercent',
      'limits.maxPercent: must be at most 100',
    ],
    [
      'limits.maxDeletions negative',
      { limits: { maxDeletions: -1, maxPercent: 20 } },
      'limits.maxDeletions',
      'limits.maxDeletions: must be at least 0',
    ],
    [
      'limits.maxDeletions fractional',
      { limits: { maxDeletions: 1.5, maxPercent: 20 } },
      'limits.maxDeletions',
      'limits.maxDeletions: must be a whole number',
    ],
    [
      'a misspelt top-level key',
      { exlude: { names: ['*'] } },
      'exlude',
      'policy: unknown field(s): exlude',
    ],
    [
      'a misspelt nested key',
      { select: { kinds: 'custom' } },
      'select.kinds',
      'select: unknown field(s): kinds',
    ],
    ['select missing', { select: undefined }, 'select', 'select: is required'],
    [
      'select.kind other than custom',
      { select: { kind: 'system' } },
      'select.kind',
      'select.kind: must be custom',
    ],
    [
      'an unknown status',
      { select: { status: ['available', 'gone'] } },
      'select.status.1',
      'select.status.1: must be one of available, creating, failed, error, unavailable, deleted, unknown',
    ],
    [
      'a status listed twice',
      { select: { status: ['failed', 'failed'] } },
      'select.status',
      'select.status: lists failed twice',
    ],
    [
      'more statuses than there are',
      { select: { status: Array(8).fill('failed') } },
      'select.status',
      'select.status: must list at most 7 statuses',
    ],
    [
      'olderThanDays fractional',
      { select: { olderThanDays: 1.5 } },
      'select.olderThanDays',
      'select.olderThanDays: must be a whole number of days',
    ],
    [
      'a glob longer than 256 characters',
      { select: { name: `${'a'.repeat(256)}*` } },
      'select.name',
      'select.name: must be at most 256 characters',
    ],
    [
      'an empty exclusion glob',
      { exclude: { names: [''] } },
      'exclude.names.0',
      'exclude.names.0: must not be empty',
    ],
    [
      'an unknown provider',
      { provider: 'aws' },
      'provider',
      'provider: must be one of modelarts, bcc',
    ],
    [
      'a malformed region',
      { regions: ['CN North'] },
      'regions.0',
      'regions.0: must be lowercase letters, digits and single hyphens',
    ],
    ['no region', { regions: [] }, 'regions', 'regions: must list at least one region'],
    [
      'a region listed twice',
      { regions: ['cn-north-4', 'cn-north-4'] },
      'regions',
      'regions: lists cn-north-4 twice',
    ],
    [
      'an excluded ID in the wrong format for the provider',
      { exclude: { ids: ['m-abc123'] } },
      'exclude.ids.0',
      'exclude.ids.0: must be a UUID for provider modelarts',
    ],
    [
      'force for BCC',
      { provider: 'bcc', exclude: undefined, force: true },
      'force',
      'force: is not supported for provider bcc',
    ],
    ['force that is not a boolean', { force: 'yes' }, 'force', 'force: must be true or false'],
    [
      'a bad policy name',
      { name: 'stale images!' },
      'name',
      'name: must be letters, digits, dots, dashes and underscores',
    ],
    [
      'apply auto without a schedule',
      { apply: 'auto' },
      'apply',
      'apply: `auto` needs a schedule (plans made on request are always applied by a person)',
    ],
  ])('%s', (_case, changes, field, message) => {
    const error = refusal(() => parsePolicy(withChanges(changes)));

    expect(error.field).toBe(field);
    expect(error.message).toBe(message);
    expect(error.httpStatus).toBe(400);
  });

  it.each([
    ['rate(1 minutes)'],
    ['rate(5 minute)'],
    ['rate(0 days)'],
    ['rate(5 weeks)'],
    ['cron(0 3 * * *)'],
    // Scheduler refuses a day of month and a day of week together: one of them must be `?`.
    ['cron(0 3 * * * *)'],
    ['cron(0 3 1 * MON *)'],
    ['cron(0 3 ? * ? *)'],
    ['cron(? 3 * * ? *)'],
    ['at(2030-13-01T00:00:00)'],
    ['every day'],
  ])('refuses the schedule %j, naming schedule', (schedule) => {
    const error = refusal(() => parsePolicy(withChanges({ schedule })));

    expect(error.field).toBe('schedule');
    expect(error.message).toMatch(/^schedule: must be an EventBridge Scheduler expression/);
  });

  it('names every bad field at once, the first as `field`', () => {
    const error = refusal(() =>
      parsePolicy(withChanges({ provider: 'bcc', limits: {}, exclude: { ids: ['not-an-id'] } })),
    );

    expect(error.field).toBe('limits.maxDeletions');
    expect(error.message).toBe('limits.maxDeletions: is required; limits.maxPercent: is required');
  });

  it('refuses a value that is not an object', () => {
    const error = refusal(() => parsePolicy(['a policy']));

    expect(error.field).toBe('policy');
    expect(error.message).toBe('policy: must be an object');
  });
});

describe('parsePolicyText', () => {
  it('refuses text that is not JSON, saying what and where, without echoing the document', () => {
    const ended = refusal(() => parsePolicyText('{"name": ', 'json'));
    const secret = refusal(() =>
      parsePolicyText('{\n  "name": "x",\n  "secret": s3cr3t\n}', 'json', 'policy.json'),
    );

    expect(ended.message).toBe(
      'policy: is not valid JSON: the text ends inside the document (line 1, column 10)',
    );
    expect(ended.field).toBe('policy');
    expect(secret.message).toBe(
      'policy: is not valid JSON: expected a value (line 3, column 13 of policy.json)',
    );
  });

  it('refuses YAML that does not parse, saying where, without echoing the document', () => {
    const error = refusal(() => parsePolicyText('name: x\nregions: [bj\nsecret: s3cr3t\n', 'yaml'));

    expect(error.message).toMatch(/^policy: is not valid YAML: .+ \(line \d+, column \d+\)$/);
    expect(error.message).not.toContain('s3cr3t');
  });

  it.each([
    ['!!float 20', 'tag:yaml.org,2002:float'],
    ['!percent 20', '!percent'],
  ])(
    'refuses a value with a YAML tag it cannot read (%s), saying where, with no warning printed',
    (tagged, tag) => {
      // Prepare
      const text = SPEC_EXAMPLE_YAML.replace('maxPercent: 20', `maxPercent: ${tagged}`);
      const warnings = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
      try {
        // Act
        const error = refusal(() => parsePolicyText(text, 'yaml', 'weekly.yaml'));

        // Assess: not "expected number, received string" (the parser kept the text), nor a
        // Node warning on stderr beside the command's own error (or --json body).
        const line = text.split('\n').findIndex((each) => each.includes(tagged)) + 1;
        expect(error.field).toBe('policy');
        expect(error.message).toBe(
          `policy: has a YAML tag this service does not read (${tag}): write the value without it (line ${line}, column 15 of weekly.yaml)`,
        );
        expect(warnings).not.toHaveBeenCalled();
      } finally {
        warnings.mockRestore();
      }
    },
  );

  it.each([
    ['%YAML 1.3', 'Unsupported YAML version 1.3', 7],
    ['%FOO bar', 'Unknown directive %FOO', 1],
  ])(
    'refuses a YAML directive it cannot read (%s) as a directive, not as a tag, with no warning printed',
    (directive, what, column) => {
      // Prepare
      const text = `${directive}\n---\n${SPEC_EXAMPLE_YAML}`;
      const warnings = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
      try {
        // Act
        const error = refusal(() => parsePolicyText(text, 'yaml', 'weekly.yaml'));

        // Assess: the parser's word for it, and where; not "has a YAML tag ...: write the value
        // without it", for there is no tag and no value to change.
        expect(error.field).toBe('policy');
        expect(error.message).toBe(
          `policy: has a YAML directive this service does not read (${what}): write the document without it (line 1, column ${column} of weekly.yaml)`,
        );
        expect(warnings).not.toHaveBeenCalled();
      } finally {
        warnings.mockRestore();
      }
    },
  );

  it('refuses a %YAML 1.1 directive, which would read the document by other rules (yes is true, 0755 is 493), and reads an explicit %YAML 1.2', () => {
    // Prepare: under YAML 1.1, `maxDeletions: 0755` would be 493, and `1:30` would be 90.
    const text = SPEC_EXAMPLE_YAML.replace('maxPercent: 20', 'maxPercent: 0020');

    // Act
    const error = refusal(() => parsePolicyText(`%YAML 1.1\n---\n${text}`, 'yaml', 'weekly.yaml'));
    const explicit = parsePolicyText(`%YAML 1.2\n---\n${text}`, 'yaml', 'weekly.yaml');

    // Assess
    expect(error.field).toBe('policy');
    expect(error.message).toBe(
      'policy: has a YAML directive this service does not read (%YAML 1.1: it reads YAML 1.2): write the document without it (line 1, column 1 of weekly.yaml)',
    );
    expect(explicit).toEqual(parsePolicyText(SPEC_EXAMPLE_YAML, 'yaml'));
  });

  it.each(['', '  \n', '# only a comment\n'])(
    'refuses YAML text %j as empty, naming the file (not "expected object, received null")',
    (text) => {
      const error = refusal(() => parsePolicyText(text, 'yaml', 'old.yaml'));

      expect(error.message).toBe('policy: is empty (no YAML document in old.yaml)');
      expect(error.field).toBe('policy');
    },
  );

  it('a YAML document that is null (`~`) is still a policy of the wrong type, not an empty file', () => {
    expect(refusal(() => parsePolicyText('~\n', 'yaml')).message).toBe('policy: must be an object');
  });

  it('refuses YAML with a key written twice, naming its path and where the second is', () => {
    const text = `${SPEC_EXAMPLE_YAML}limits:\n  maxDeletions: 5000\n  maxPercent: 100\n`;

    const error = refusal(() => parsePolicyText(text, 'yaml'));

    expect(error.message).toBe('limits: is written twice (the second at line 19, column 1)');
    expect(error.field).toBe('limits');
  });

  it('refuses JSON with a key written twice as it refuses YAML (JSON.parse would keep the last)', () => {
    const text = JSON.stringify(SPEC_POLICY).replace(
      '"maxDeletions":50',
      '"maxDeletions":50,"maxDeletions":5000',
    );

    const error = refusal(() => parsePolicyText(text, 'json', 'policy.json'));

    expect(error.message).toBe(
      `limits.maxDeletions: is written twice (the second at line 1, column ${text.lastIndexOf('"maxDeletions"') + 1} of policy.json)`,
    );
    expect(error.field).toBe('limits.maxDeletions');
  });

  it('reads YAML 1.2: `yes` is a string, not true', () => {
    const error = refusal(() =>
      parsePolicyText(`${SPEC_EXAMPLE_YAML.replace('force: false', 'force: yes')}`, 'yaml'),
    );

    expect(error.field).toBe('force');
    expect(error.message).toBe('force: must be true or false');
  });

  it('says in words what a value of the wrong type must be (a quoted number, a region not in a list)', () => {
    const text = SPEC_EXAMPLE_YAML.replace('  maxPercent: 20\n', '  maxPercent: "20"\n').replace(
      'regions: [cn-north-4]',
      'regions: cn-north-4',
    );

    const error = refusal(() => parsePolicyText(text, 'yaml'));

    expect(error.message).toBe('regions: must be a list; limits.maxPercent: must be a number');
  });

  it('says of a status list written as one string only that it must be a list (not that it has too many statuses)', () => {
    const text = SPEC_EXAMPLE_YAML.replace(
      'status: [available, failed, error]',
      'status: available, failed, error',
    );

    const error = refusal(() => parsePolicyText(text, 'yaml'));

    expect(error.message).toBe('select.status: must be a list');
  });

  it('names nested fields from YAML the same way', () => {
    const text = SPEC_EXAMPLE_YAML.replace('  maxDeletions: 50\n', '  maxDeletion: 50\n');

    const error = refusal(() => parsePolicyText(text, 'yaml'));

    expect(error.message).toBe(
      'limits.maxDeletions: is required; limits: unknown field(s): maxDeletion',
    );
  });

  it('refuses YAML whose aliases would expand into far more than it holds (aliases of aliases), without expanding it', () => {
    // Prepare: four levels of ten aliases of the level below: 10,000 values from 200 characters.
    const levels = ['a0: &a0 [x, x, x, x, x, x, x, x, x, x]'];
    for (let level = 1; level < 4; level += 1) {
      const aliases = Array(10)
        .fill(`*a${level - 1}`)
        .join(', ');
      levels.push(`a${level}: &a${level} [${aliases}]`);
    }

    // Act
    const error = refusal(() => parsePolicyText(`${levels.join('\n')}\n`, 'yaml'));

    // Assess: the parser's cap, not the schema refusing the expanded document.
    expect(error.field).toBe('policy');
    expect(error.message).toBe(
      'policy: is not valid YAML: Excessive alias count indicates a resource exhaustion attack',
    );
  });

  it('refuses a YAML stream of several documents', () => {
    const error = refusal(() =>
      parsePolicyText(`${SPEC_EXAMPLE_YAML}---\n${SPEC_EXAMPLE_YAML}`, 'yaml'),
    );

    expect(error.message).toMatch(/^policy: is not valid YAML/);
  });

  it(`refuses text longer than ${MAX_POLICY_TEXT_LENGTH} characters before parsing it`, () => {
    const text = `${SPEC_EXAMPLE_YAML}#${'x'.repeat(MAX_POLICY_TEXT_LENGTH)}\n`;

    const error = refusal(() => parsePolicyText(text, 'yaml'));

    expect(error.message).toBe(`policy: must be at most ${MAX_POLICY_TEXT_LENGTH} characters`);
  });
});
