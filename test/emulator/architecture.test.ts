// The emulator stands on its own: it imports nothing from the service (lib/, functions/), only
// Node built-ins and zod from outside its folder, and its modules form no cycle.

import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const EMULATOR = join(ROOT, 'emulator');

const sourceFiles = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? sourceFiles(join(dir, entry.name))
      : entry.name.endsWith('.ts')
        ? [join(dir, entry.name)]
        : [],
  );

/** Every module specifier in `import ... from`, `export ... from`, `import '...'`, `import(...)`. */
const specifiers = (source: string): string[] =>
  [...source.matchAll(/(?:\bfrom\s*|\bimport\s*\(?\s*)'([^']+)'/g)].map((m) => m[1] as string);

const graph = new Map(
  sourceFiles(EMULATOR).map((file) => {
    const targets = specifiers(readFileSync(file, 'utf8')).map((specifier) =>
      specifier.startsWith('.')
        ? resolve(dirname(file), specifier.replace(/\.js$/, '.ts'))
        : specifier,
    );
    return [file, targets] as const;
  }),
);
const name = (file: string): string => relative(ROOT, file);

describe('emulator/ module boundaries', () => {
  it('finds the emulator sources and their imports (the scan itself works)', () => {
    expect(graph.size).toBeGreaterThan(20);
    expect(graph.get(join(EMULATOR, 'server.ts'))).toContain(join(EMULATOR, 'control.ts'));
  });

  it('imports only its own modules, node: built-ins and zod', () => {
    const outside = [...graph].flatMap(([file, targets]) =>
      targets
        .filter((target) =>
          target.startsWith('/')
            ? !target.startsWith(`${EMULATOR}/`)
            : !target.startsWith('node:') && target !== 'zod',
        )
        .map((target) => `${name(file)} → ${target.startsWith('/') ? name(target) : target}`),
    );
    expect(outside).toEqual([]);
  });

  it('has no import cycle', () => {
    const cycles: string[] = [];
    const state = new Map<string, 'visiting' | 'done'>();
    const visit = (file: string, trail: string[]): void => {
      if (state.get(file) === 'done') return;
      if (state.get(file) === 'visiting') {
        cycles.push([...trail.slice(trail.indexOf(file)), file].map(name).join(' → '));
        return;
      }
      state.set(file, 'visiting');
      for (const target of graph.get(file) ?? []) {
        if (graph.has(target)) visit(target, [...trail, file]);
      }
      state.set(file, 'done');
    };
    for (const file of graph.keys()) visit(file, []);
    expect(cycles).toEqual([]);
  });
});
