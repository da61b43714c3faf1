// The command line's tables: columns aligned by the width a terminal prints (colour codes none,
// CJK and other wide characters two columns), two spaces apart, no line ending in spaces, one
// record per line however many records there are.

import pc from 'picocolors';
import { describe, expect, it } from 'vitest';
import { columns, keyValues } from '../../lib/cli/output/table.js';

const colour = pc.createColors(true);

describe('columns', () => {
  it('aligns each column on its widest printed cell, wide characters counting two', () => {
    const table = columns(
      ['NAME', 'ID'],
      [
        ['训练', 'x'],
        ['ab', 'y'],
        ['训练镜像', 'z'],
      ],
    );

    expect(table).toBe('NAME      ID\n训练      x\nab        y\n训练镜像  z\n');
  });

  it('gives colour codes no width, and pads no last column', () => {
    const table = columns(
      ['A', 'STATUS', 'WHY'],
      [[colour.red('ok'), colour.green('deleted'), '']],
    );

    expect(table).toBe(`A   STATUS   WHY\n${colour.red('ok')}  ${colour.green('deleted')}\n`);
  });

  it('writes the header alone when there are no rows, and one line per record for many', () => {
    const rows = Array.from({ length: 10_000 }, (_, index) => [`image-${index}`, 'deleted']);

    const lines = columns(['IMAGE', 'OUTCOME'], rows).split('\n');

    expect(columns(['IMAGE', 'OUTCOME'], [])).toBe('IMAGE  OUTCOME\n');
    expect(lines).toHaveLength(10_002);
    expect(lines[10_000]).toBe('image-9999  deleted');
    expect(lines.at(-1)).toBe('');
  });
});

describe('keyValues', () => {
  it('aligns the values after the longest key, with no trailing spaces', () => {
    expect(
      keyValues([
        ['id', '1'],
        ['region', 'cn-north-4  '],
      ]),
    ).toBe('id      1\nregion  cn-north-4\n');
  });
});
