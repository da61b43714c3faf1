// docs/policy.schema.json and docs/plan.schema.json (and docs/events/*.schema.json, whose content
// test/events/catalogue.test.ts checks): what `npm run schemas` writes from the zod schemas (not
// stale), valid JSON Schema 2020-12, and in agreement with zod on real documents: the spec's policy
// passes, mistakes zod refuses for their shape are refused too, and a real plan passes.

import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { planRetirement } from '../../lib/retirement/planner.js';
import { parsePolicy } from '../../lib/retirement/policy.js';
import { renderSchema, SCHEMA_FILES } from '../../scripts/schemas.js';
import {
  bccImage,
  daysAgo,
  modelartsImage,
  notebook,
  planInput,
  policyOf,
  SPEC_POLICY,
} from './fixtures.js';

const committed = (name: string): Record<string, unknown> => {
  const file = SCHEMA_FILES.find((candidate) => candidate.path.endsWith(name));
  if (file === undefined) throw new Error(`no schema file ${name}`);
  return JSON.parse(readFileSync(file.path, 'utf8')) as Record<string, unknown>;
};

const validator = (name: string) => {
  const ajv = new Ajv2020({ strict: true, allErrors: true });
  // The one format the schemas use (ajv-formats is not a dependency of ours).
  ajv.addFormat(
    'date-time',
    (value: string) => /^\d{4}-\d{2}-\d{2}T/.test(value) && !Number.isNaN(Date.parse(value)),
  );
  const schema = committed(name);
  expect(ajv.validateSchema(schema)).toBe(true);
  return ajv.compile(schema);
};

describe('the committed JSON Schemas', () => {
  it.each(SCHEMA_FILES.map((file) => [file.path.split('/').pop(), file] as const))(
    '%s is what `npm run schemas` writes (not stale)',
    (_name, file) => {
      // If this fails: run `npm run schemas` and commit docs/*.schema.json.
      expect(readFileSync(file.path, 'utf8')).toBe(renderSchema(file));
    },
  );
});

describe('docs/policy.schema.json', () => {
  const validate = validator('policy.schema.json');

  it('accepts the spec example, and a scheduled, auto-applied policy', () => {
    expect(validate(SPEC_POLICY)).toBe(true);
    expect(validate({ ...SPEC_POLICY, schedule: 'cron(0 3 * * ? *)', apply: 'auto' })).toBe(true);
  });

  it.each<[string, Record<string, unknown>]>([
    ['no limits', { limits: undefined }],
    ['a misspelt key', { exlude: {} }],
    ['a misspelt nested key', { limits: { maxDeletions: 1, maxPercent: 1, maxDeletes: 9 } }],
    ['a kind other than custom', { select: { kind: 'system' } }],
    ['maxPercent above 100', { limits: { maxDeletions: 1, maxPercent: 101 } }],
    ['an overlong glob', { select: { name: 'x'.repeat(257) } }],
    ['a bad schedule', { schedule: 'rate(1 minutes)' }],
    ['a region twice', { regions: ['bj', 'bj'] }],
  ])('refuses %s, as zod does', (_case, changes) => {
    const document = JSON.parse(JSON.stringify({ ...SPEC_POLICY, ...changes }));

    expect(validate(document)).toBe(false);
    expect(() => parsePolicy(document)).toThrow();
  });
});

describe('docs/plan.schema.json', () => {
  it('accepts a real plan with every kind of decision', () => {
    const validate = validator('plan.schema.json');
    const used = modelartsImage({ name: 'train-used' });
    const inventory = [
      modelartsImage({ createdAt: daysAgo(400) }),
      modelartsImage({ createdAt: daysAgo(300) }),
      modelartsImage({ kind: 'system' }),
      modelartsImage({ createdAt: undefined }),
      used,
      bccImage(),
    ];
    const plan = planRetirement(
      planInput(policyOf({ limits: { maxDeletions: 1, maxPercent: 100 } }), inventory, {
        usage: new Map([[`${used.region}/${used.id}`, [notebook('nb-1')]]]),
        createdBy: 'arn:aws:iam::123456789012:user/alice',
      }),
    );

    expect(new Set(plan.decisions.map((decision) => decision.decision))).toEqual(
      new Set(['retire', 'deferred', 'keep']),
    );
    expect(validate(JSON.parse(JSON.stringify(plan))), JSON.stringify(validate.errors)).toBe(true);
  });
});
