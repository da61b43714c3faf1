// `npm run openapi`: writes the HTTP API's OpenAPI 3.1 document (lib/openapi.ts, generated from the
// handlers' zod schemas) to docs/openapi.json, formatted as Biome formats JSON. A test fails when
// the committed file differs from what this would write.
//
//   node --import tsx scripts/openapi.ts [--check]    --check: exit 1 if the file is stale

import { execFileSync } from 'node:child_process';
import { readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildOpenApiDocument } from '../lib/openapi/openapi.js';

export const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
export const OPENAPI_FILE = join(root, 'docs', 'openapi.json');

/** The document as the committed file holds it (Biome's JSON formatting). */
export const renderOpenApi = (): string => {
  const biome = realpathSync(join(root, 'node_modules', '.bin', 'biome'));
  return execFileSync(biome, ['format', '--stdin-file-path=docs/openapi.json'], {
    cwd: root,
    input: `${JSON.stringify(buildOpenApiDocument(), null, 2)}\n`,
    encoding: 'utf8',
  });
};

const main = (): void => {
  const text = renderOpenApi();
  if (process.argv.includes('--check')) {
    let committed = '';
    try {
      committed = readFileSync(OPENAPI_FILE, 'utf8');
    } catch {
      // missing: stale
    }
    if (committed !== text) {
      console.error('docs/openapi.json is stale: run `npm run openapi`');
      process.exitCode = 1;
    }
    return;
  }
  writeFileSync(OPENAPI_FILE, text);
  console.log(`wrote ${OPENAPI_FILE}`);
};

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main();
}
