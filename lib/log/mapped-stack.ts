// An error's stack with its frames mapped to the sources, for the log line of a bug: the bundles
// ship their `.map` files, and the map of a frame's file is read only when a stack is logged
// (then kept), so that no cold start pays for source maps (Node's --enable-source-maps parses the
// map of every file as it loads). Frames Node has already mapped, or whose file has no map, stay as
// they are; a map that cannot be read leaves the stack as it is.

import { readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { dirname, isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** `at name (file:line:column)` or `at file:line:column`, file a path or a file: URL. */
const FRAME = /^(\s*at (?:.*? \()?)((?:file:\/\/)?\/[^:()]+\.m?js):(\d+):(\d+)(\)?)$/;

const maps = new Map<string, SourceMap | undefined>();

const mapOf = (file: string): SourceMap | undefined => {
  if (maps.has(file)) return maps.get(file);
  let map: SourceMap | undefined;
  try {
    map = new SourceMap(JSON.parse(readFileSync(`${file}.map`, 'utf8')));
  } catch {
    map = undefined;
  }
  if (maps.size < 100) maps.set(file, map);
  return map;
};

const mapFrame = (line: string): string => {
  const match = FRAME.exec(line);
  if (match === null) return line;
  const [, head = '', location = '', lineText = '', columnText = '', tail = ''] = match;
  const file = location.startsWith('file://') ? fileURLToPath(location) : location;
  const map = mapOf(file);
  // Stack lines and columns count from 1, source map entries from 0.
  const entry = map?.findEntry(Number(lineText) - 1, Number(columnText) - 1);
  if (entry === undefined || !('originalSource' in entry)) return line;
  const source = entry.originalSource.startsWith('file://')
    ? fileURLToPath(entry.originalSource)
    : isAbsolute(entry.originalSource)
      ? entry.originalSource
      : resolve(dirname(file), entry.originalSource);
  return `${head}${source}:${entry.originalLine + 1}:${entry.originalColumn + 1}${tail}`;
};

/** The error's stack with every bundle frame mapped to its source (undefined without a stack). */
export const mappedStack = (error: unknown): string | undefined => {
  const stack = error instanceof Error ? error.stack : undefined;
  if (stack === undefined) return undefined;
  try {
    return stack.split('\n').map(mapFrame).join('\n');
  } catch {
    return stack;
  }
};
