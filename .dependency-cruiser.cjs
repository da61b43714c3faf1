// The import rules of ARCHITECTURE.md, enforced by `npm run lint` (dependency-cruiser).
//
// lib/ is layered: a folder may import only folders of a lower layer (and itself). The image
// domain (images, retirement) owns the provider port; the cloud folders under providers/ import
// that port, and operations receive providers through their dependencies, so nothing in the domain
// imports a cloud. No import cycles anywhere; the emulator stands on its own (no lib/); lib never
// reaches into entry points, tests, benchmarks or the emulator; benchmarks do not borrow from tests.

/** Lowest first. Same rank = siblings, which may not import each other either. */
const LAYERS = [
  ['errors', 0],
  ['wire', 0],
  ['schema', 0],
  ['files', 0],
  ['config', 1],
  ['log', 2],
  ['signing', 3],
  ['http', 3],
  ['credentials', 3],
  ['images', 4],
  ['providers', 5],
  ['retirement', 6],
  ['validation', 7],
  ['stores', 7],
  ['events', 7],
  ['runtime', 8],
  ['triggers', 9],
  ['openapi', 10],
  ['cli', 10],
];

const folder = (name) => `^lib/${name}/`;

const layerRules = LAYERS.map(([name, rank]) => {
  const notBelow = LAYERS.filter(([other, otherRank]) => other !== name && otherRank >= rank).map(
    ([other]) => other,
  );
  return {
    name: `layer-${name}`,
    comment: `lib/${name} may import only lower layers (${
      LAYERS.filter(([, r]) => r < rank)
        .map(([n]) => n)
        .join(', ') || 'none'
    })`,
    severity: 'error',
    from: { path: folder(name) },
    to: { path: notBelow.length > 0 ? `^lib/(${notBelow.join('|')})/` : '^$' },
  };
});

module.exports = {
  forbidden: [
    ...layerRules,
    {
      name: 'no-cycles',
      comment: 'No import cycle between files (and so none between folders).',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'lib-is-self-contained',
      comment: 'lib/ never imports entry points, tests, benchmarks, scripts or the emulator.',
      severity: 'error',
      from: { path: '^lib/' },
      to: { path: '^(functions|test|bench|scripts|emulator|bin)/' },
    },
    {
      name: 'lib-folders-only',
      comment: 'Every lib module lives in a layer folder (the layer rules cover nothing else).',
      severity: 'error',
      from: { path: '^lib/[^/]+\\.ts$' },
      to: {},
    },
    {
      name: 'emulator-stands-alone',
      comment:
        'The emulator tests our clients: it must not share their code (a signing bug would pass both sides).',
      severity: 'error',
      from: { path: '^emulator/' },
      to: { path: '^(lib|functions|test|bench|scripts|bin)/' },
    },
    {
      name: 'zod-through-lib-schema',
      comment:
        'lib/ and the entry points import zod only through lib/schema/zod.ts (zod/mini, English messages).',
      severity: 'error',
      from: { path: '^(lib|functions)/', pathNot: '^lib/schema/' },
      to: { path: '(^|node_modules/)zod(/|$)' },
    },
    {
      name: 'bench-not-from-tests',
      comment: 'Benchmarks keep their own fixtures; tests may change theirs at any time.',
      severity: 'error',
      from: { path: '^bench/' },
      to: { path: '^test/' },
    },
    {
      name: 'handlers-are-entry-points',
      comment: 'Nothing imports a handler but tests and local runners.',
      severity: 'error',
      from: { pathNot: '^(test|scripts|bench)/' },
      to: { path: '^functions/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // node_modules stay in the graph as leaves (not followed), so rules can name a package.
    exclude: { path: '(^|/)(dist|\\.esbuild|\\.serverless|\\.tools)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    // `import type` counts: a type-only import is still a dependency of the design.
    moduleSystems: ['es6', 'cjs'],
  },
};
