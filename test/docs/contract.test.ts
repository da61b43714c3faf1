// docs/contract.md is the product contract in the repository. What can be checked mechanically is
// checked here: its HTTP routes table names exactly the routes serverless.yml deploys, its error
// table is the service's error table, and the
// project's documents link nothing outside the repository (every clone has the files they link).

import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { ERROR_NAMES, ERROR_TABLE } from '../../lib/errors/error-table.js';
import { DETAIL_TYPES, schemaNameOf } from '../../lib/events/catalogue.js';
import {
  deployedRoutes,
  documentedRoutes,
  relativeLinks,
  routeMismatches,
} from './contract-checks.js';

const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));

let contract: string;
let serverlessYml: string;

beforeAll(async () => {
  [contract, serverlessYml] = await Promise.all([
    readFile(join(root, 'docs', 'contract.md'), 'utf8'),
    readFile(join(root, 'serverless.yml'), 'utf8'),
  ]);
});

/** The `| \`Name\` | status | \`CODE\` |` rows of the section under `heading`. */
const errorRowsOf = (document: string, heading: string) =>
  (document.split(heading)[1]?.split('\n## ')[0] ?? '')
    .split('\n')
    .filter((line) => /^\| `[A-Za-z]+` \|/.test(line))
    .map((line) => {
      const [, name, status, code] = line.split('|').map((cell) => cell.trim());
      return [name?.replace(/`/g, ''), Number.parseInt(status ?? '', 10), code?.replace(/`/g, '')];
    });

const SERVICE_ERROR_ROWS = () =>
  ERROR_NAMES.map((name) => [name, ERROR_TABLE[name].httpStatus, ERROR_TABLE[name].code]);

describe('README.md', () => {
  it("lists the service's error table under Errors: every name with its status and code, in order", async () => {
    const readme = await readFile(join(root, 'README.md'), 'utf8');
    expect(errorRowsOf(readme, '\n### Errors\n')).toEqual(SERVICE_ERROR_ROWS());
  });
});

describe('docs/contract.md', () => {
  it('documents every route serverless.yml deploys, and no other', () => {
    const documented = documentedRoutes(contract);
    const deployed = deployedRoutes(serverlessYml);

    expect(deployed.length).toBeGreaterThan(0);
    expect(routeMismatches(documented, deployed)).toEqual([]);
  });

  it("lists the service's error table: every name with its HTTP status and code, in order", () => {
    expect(errorRowsOf(contract, '\n## Errors\n')).toEqual(SERVICE_ERROR_ROWS());
  });

  it('has every section written (no placeholder left)', () => {
    for (const heading of [
      'Inventory and usage',
      'Retirement policies',
      'Events',
      'Command line',
    ]) {
      const section = contract.split(`\n## ${heading}\n`)[1]?.split('\n## ')[0] ?? '';
      expect(section.length, heading).toBeGreaterThan(200);
      expect(section, heading).not.toMatch(/Placeholder/);
    }
  });

  it('lists one JSON Schema per event detail-type, each a file that exists', () => {
    for (const detailType of DETAIL_TYPES) {
      const file = `events/${schemaNameOf(detailType)}.schema.json`;
      expect(contract).toContain(`| \`${detailType}\` |`);
      expect(contract).toContain(`(${file})`);
      expect(existsSync(join(root, 'docs', file)), file).toBe(true);
    }
  });
});

describe('the route check fails when the table and serverless.yml disagree', () => {
  const table = (...routes: string[]) =>
    [
      '### HTTP routes',
      '',
      '| route | query parameters | success |',
      '|---|---|---|',
      ...routes.map((route) => `| \`${route}\` | none | 200 |`),
      '',
      '### Next',
      '| `GET /not/a/route/table` | | |',
    ].join('\n');

  it('a deployed route left out, a documented route not deployed, a route written twice', () => {
    const documented = documentedRoutes(
      table('GET /images/{provider}/{imageId}', 'GET /images/{provider}', 'GET /images/{provider}'),
    );
    const deployed = deployedRoutes(
      [
        'functions:',
        '  show:',
        '    events:',
        '      - httpApi: {method: get, path: "/images/{provider}/{imageId}"}',
        '  remove:',
        '    events:',
        "      - httpApi: 'DELETE /images/{provider}/{imageId}'",
        '      - sqs: {arn: x}',
      ].join('\n'),
    );

    expect(documented).toEqual([
      'GET /images/{provider}/{imageId}',
      'GET /images/{provider}',
      'GET /images/{provider}',
    ]);
    expect(routeMismatches(documented, deployed)).toEqual([
      'deployed, not documented: DELETE /images/{provider}/{imageId}',
      'documented, not deployed: GET /images/{provider}',
      'documented, not deployed: GET /images/{provider}',
      'documented twice: GET /images/{provider}',
    ]);
  });

  it('the real contract with one route removed from serverless.yml', () => {
    const trimmed = serverlessYml.replace(/path: \/openapi\.json/, 'path: /openapi.yaml');
    expect(routeMismatches(documentedRoutes(contract), deployedRoutes(trimmed))).toEqual([
      'deployed, not documented: GET /openapi.yaml',
      'documented, not deployed: GET /openapi.json',
    ]);
  });
});

describe("the project's documents", () => {
  const documents = async (): Promise<string[]> => [
    'README.md',
    'ARCHITECTURE.md',
    ...(await readdir(join(root, 'docs')))
      .filter((name) => name.endsWith('.md'))
      .map((name) => `docs/${name}`),
  ];

  it('link only files inside the repository that exist', async () => {
    const broken: string[] = [];
    for (const document of await documents()) {
      const text = await readFile(join(root, document), 'utf8');
      for (const target of relativeLinks(text)) {
        const file = resolve(root, dirname(document), target);
        if (relative(root, file).startsWith('..') || !existsSync(file)) {
          broken.push(`${document}: ${target}`);
        }
      }
    }
    expect(broken).toEqual([]);
  });

  it('mention no path outside the repository (../shared is missing in every clone)', async () => {
    for (const document of await documents()) {
      const text = await readFile(join(root, document), 'utf8');
      expect(text, document).not.toMatch(/\.\.\/shared\b/);
    }
  });

  it('the link check sees links that leave the repository or point nowhere', () => {
    expect(
      relativeLinks(
        '[spec](../shared/product-spec.md) [a](docs/x.md#y) [web](https://example.com) ![i](img.png "t")',
      ),
    ).toEqual(['../shared/product-spec.md', 'docs/x.md', 'img.png']);
  });
});
