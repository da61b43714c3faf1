// `npm run schemas`: writes the JSON Schemas of the retirement documents, generated from their zod
// schemas (lib/retirement), formatted as Biome formats JSON:
//   docs/policy.schema.json  a policy as written (input: `apply` may be left out)
//   docs/plan.schema.json    a plan as the service returns it (output)
//   docs/events/<name>.schema.json   the `detail` of each event on the bus (lib/events/catalogue.ts)
// A test fails when a committed file differs from what this would write.
//
//   node --import tsx scripts/schemas.ts [--check]    --check: exit 1 if a file is stale

import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DETAIL_TYPES, eventJsonSchema, schemaNameOf } from '../lib/events/catalogue.js';
import { planSchema } from '../lib/retirement/plan.js';
import { policySchema } from '../lib/retirement/policy.js';
import * as z from '../lib/schema/zod.js';

export const root = resolve(fileURLToPath(new URL('..', import.meta.url)));

interface SchemaFile {
  readonly path: string;
  readonly build: () => Record<string, unknown>;
}

export const SCHEMA_FILES: readonly SchemaFile[] = [
  {
    path: join(root, 'docs', 'policy.schema.json'),
    build: () =>
      titled(
        'Retirement policy',
        z.toJSONSchema(policySchema, { target: 'draft-2020-12', io: 'input' }),
      ),
  },
  {
    path: join(root, 'docs', 'plan.schema.json'),
    build: () =>
      titled(
        'Retirement plan',
        z.toJSONSchema(planSchema, { target: 'draft-2020-12', io: 'output' }),
      ),
  },
  ...DETAIL_TYPES.map((detailType) => ({
    path: join(root, 'docs', 'events', `${schemaNameOf(detailType)}.schema.json`),
    build: () => eventJsonSchema(detailType),
  })),
];

/** `$schema` first, then a title, then the generated members. */
const titled = (title: string, schema: Record<string, unknown>): Record<string, unknown> => {
  const { $schema, ...rest } = schema;
  return { $schema, title, ...rest };
};

/** A schema as the committed file holds it (Biome's JSON formatting). */
export const renderSchema = (file: SchemaFile): string => {
  const biome = realpathSync(join(root, 'node_modules', '.bin', 'biome'));
  return execFileSync(biome, ['format', `--stdin-file-path=${file.path}`], {
    cwd: root,
    input: `${JSON.stringify(file.build(), null, 2)}\n`,
    encoding: 'utf8',
  });
};

const main = (): void => {
  const check = process.argv.includes('--check');
  for (const file of SCHEMA_FILES) {
    const text = renderSchema(file);
    if (!check) {
      mkdirSync(dirname(file.path), { recursive: true });
      writeFileSync(file.path, text);
      console.log(`wrote ${file.path}`);
      continue;
    }
    let committed = '';
    try {
      committed = readFileSync(file.path, 'utf8');
    } catch {
      // missing: stale
    }
    if (committed !== text) {
      console.error(`${file.path} is stale: run \`npm run schemas\``);
      process.exitCode = 1;
    }
  }
};

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main();
}
