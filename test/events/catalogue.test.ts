// The event catalogue: the committed JSON Schemas (docs/events/, checked for staleness with the
// other schemas in test/retirement/schemas.test.ts) are valid 2020-12 and agree with zod on real
// details; what leaves the process keeps only documented members and stays within EventBridge's
// limits (256 KB per entry and per call, 10 entries per call).

import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type CatalogueEvent,
  DETAIL_TYPES,
  EVENT_CATALOGUE,
  schemaNameOf,
} from '../../lib/events/catalogue.js';
import {
  batchesOf,
  entryBytes,
  MAX_BATCH_BYTES,
  MAX_BATCH_ENTRIES,
  MAX_ENTRY_BYTES,
  MAX_TEXT_LENGTH,
  prepareEntries,
} from '../../lib/events/entries.js';
import { SCHEMA_FILES } from '../../scripts/schemas.js';
import { IMAGE, imageDeleted, imageDeleteFailed, oneOfEach, retirementPlanned } from './samples.js';

const validatorFor = (detailType: string) => {
  const file = SCHEMA_FILES.find((candidate) =>
    candidate.path.endsWith(`/docs/events/${schemaNameOf(detailType as never)}.schema.json`),
  );
  if (file === undefined) throw new Error(`no schema file for ${detailType}`);
  const schema = JSON.parse(readFileSync(file.path, 'utf8')) as Record<string, unknown>;
  const ajv = new Ajv2020({ strict: true, allErrors: true });
  ajv.addFormat(
    'date-time',
    (value: string) => /^\d{4}-\d{2}-\d{2}T/.test(value) && !Number.isNaN(Date.parse(value)),
  );
  expect(ajv.validateSchema(schema)).toBe(true);
  return ajv.compile(schema);
};

describe('docs/events/*.schema.json', () => {
  it('there is one committed schema per detail-type, written by `npm run schemas`', () => {
    const eventFiles = SCHEMA_FILES.filter((file) => file.path.includes('/docs/events/'));

    expect(eventFiles.map((file) => file.path.split('/').pop()).sort()).toEqual([
      'image-delete-failed.schema.json',
      'image-delete-refused.schema.json',
      'image-deleted.schema.json',
      'retirement-planned.schema.json',
      'retirement-run-completed.schema.json',
    ]);
  });

  it.each(oneOfEach().map((event) => [event.detailType, event] as const))(
    'accepts a real %s detail, as zod does',
    (detailType, event) => {
      const validate = validatorFor(detailType);

      expect(validate(event.detail), JSON.stringify(validate.errors)).toBe(true);
      expect(EVENT_CATALOGUE[detailType].safeParse(event.detail).success).toBe(true);
    },
  );

  it.each<[string, Record<string, unknown>]>([
    ['an unknown outcome', { outcome: 'dry-run' }],
    ['an unknown trigger', { trigger: 'cron' }],
    ['a time that is not ISO 8601', { at: 'yesterday' }],
    ['no request id', { requestId: undefined }],
    ['an image without its id', { image: { ...IMAGE, id: undefined } }],
    ['a refusal in place of an outcome', { outcome: 'refused' }],
  ])('Image Deleted: refuses %s, as zod does', (_case, changes) => {
    const validate = validatorFor('Image Deleted');
    const detail = JSON.parse(JSON.stringify({ ...imageDeleted().detail, ...changes }));

    expect(validate(detail)).toBe(false);
    expect(EVENT_CATALOGUE['Image Deleted'].safeParse(detail).success).toBe(false);
  });

  it('every detail-type has a schema', () => {
    expect(DETAIL_TYPES).toHaveLength(5);
  });
});

describe('prepareEntries', () => {
  it('keeps only documented members: an extra one (say a secret) never leaves', () => {
    const event = imageDeleteFailed();
    const leaky = {
      ...event,
      detail: { ...event.detail, secretAccessKey: 'canary-SK-1234' },
    } as unknown as CatalogueEvent;

    const { entries, rejected } = prepareEntries([leaky]);

    expect(rejected).toEqual([]);
    expect(entries[0]?.detail).not.toContain('canary-SK-1234');
    expect(JSON.parse(entries[0]?.detail ?? '{}')).toEqual(event.detail);
  });

  it('refuses a detail that does not match its schema, naming the fields, not the values', () => {
    const event = imageDeleted();
    const broken = {
      ...event,
      detail: { ...event.detail, outcome: 'maybe' },
    } as unknown as CatalogueEvent;

    const { entries, rejected } = prepareEntries([broken, imageDeleteFailed()]);

    expect(entries).toHaveLength(1);
    expect(rejected).toEqual([
      {
        detailType: 'Image Deleted',
        reason: expect.stringContaining('outcome'),
        summary: expect.objectContaining({ imageId: event.detail.imageId, requestId: 'req-1' }),
      },
    ]);
  });

  it('cuts long texts of an oversized detail and says truncated; the result fits 256 KB', () => {
    const event = imageDeleteFailed();
    const huge = {
      ...event,
      detail: { ...event.detail, message: 'x'.repeat(300_000) },
    } as unknown as CatalogueEvent;

    const { entries, rejected } = prepareEntries([huge]);

    expect(rejected).toEqual([]);
    const detail = JSON.parse(entries[0]?.detail ?? '{}');
    expect(detail.truncated).toBe(true);
    expect(detail.message).toHaveLength(MAX_TEXT_LENGTH);
    expect(detail.requestId).toBe('msg-3');
    expect(entries[0]?.bytes).toBeLessThanOrEqual(MAX_ENTRY_BYTES);
    expect(EVENT_CATALOGUE['Image Delete Failed'].safeParse(detail).success).toBe(true);
  });

  it('a detail too large even with its texts cut is not sent (counted by the caller)', () => {
    const event = retirementPlanned();
    const regions = Array.from({ length: 30_000 }, (_, index) => `region-${index}`);
    const huge = { ...event, detail: { ...event.detail, regions } } as unknown as CatalogueEvent;

    const { entries, rejected } = prepareEntries([huge]);

    expect(entries).toEqual([]);
    expect(rejected[0]?.reason).toContain('bytes even with its texts cut');
  });

  it('measures an entry as EventBridge does: UTF-8 bytes of source, detail-type and detail', () => {
    expect(entryBytes('Image Deleted', '{"name":"é"}')).toBe(
      'cloud-image-functions'.length + 'Image Deleted'.length + 13,
    );
  });
});

describe('batchesOf', () => {
  it('property: batches keep order, hold at most 10 entries and 256 KB (unless one entry alone)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: MAX_ENTRY_BYTES }), { maxLength: 60 }),
        (sizes) => {
          const entries = sizes.map((bytes, index) => ({ bytes, index }));

          const batches = batchesOf(entries);

          expect(batches.flat()).toEqual(entries);
          for (const batch of batches) {
            expect(batch.length).toBeGreaterThan(0);
            expect(batch.length).toBeLessThanOrEqual(MAX_BATCH_ENTRIES);
            const total = batch.reduce((sum, entry) => sum + entry.bytes, 0);
            expect(total).toBeLessThanOrEqual(MAX_BATCH_BYTES);
          }
        },
      ),
    );
  });

  it('23 small entries make batches of 10, 10 and 3', () => {
    const batches = batchesOf(Array.from({ length: 23 }, () => ({ bytes: 500 })));

    expect(batches.map((batch) => batch.length)).toEqual([10, 10, 3]);
  });
});
