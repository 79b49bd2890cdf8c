import { describe, expect, it } from 'vitest';
import { cellText, columnWidths, escapeControl, formatTable } from './format-table.js';

describe('formatTable', () => {
  it('aligns columns two spaces apart with upper-case headers and no trailing blanks', () => {
    const out = formatTable(
      [{ header: 'name' }, { header: 'port', align: 'right' }, { header: 'labels' }],
      [
        ['a', 9444, 'team=x'],
        ['longer-name', 10, ''],
      ],
    );
    expect(out).toBe(
      ['NAME         PORT  LABELS', 'a            9444  team=x', 'longer-name    10  -', ''].join('\n'),
    );
    for (const line of out.split('\n')) expect(line).toBe(line.trimEnd());
  });

  it('prints empty values as - and booleans as yes/no', () => {
    expect([null, undefined, '', true, false, 0].map(cellText)).toEqual(['-', '-', '-', 'yes', 'no', '0']);
  });

  it('escapes control characters so cells cannot drive the terminal', () => {
    expect(escapeControl('a\u001b[31mred\nb\u0007')).toBe('a\\x1b[31mred\\x0ab\\x07');
    const out = formatTable([{ header: 'path' }], [['/x\u001b]0;title\u0007']]);
    expect(out.replace(/\n/g, '')).not.toMatch(/[\u0000-\u001f]/);
    expect(out).toContain('\\x1b]0;title\\x07');
  });

  it('cuts cells longer than maxWidth with an ellipsis', () => {
    const out = formatTable([{ header: 'p', maxWidth: 5 }, { header: 'n' }], [['abcdefgh', 1]]);
    expect(out.split('\n')[1]).toBe('abcd…  1');
  });

  it('keeps given widths across batches and can omit the header', () => {
    const cols = [{ header: 'a', minWidth: 4 }, { header: 'b' }];
    const widths = columnWidths(cols, [['xy', 'z']]);
    expect(widths).toEqual([4, 1]);
    expect(formatTable(cols, [['q', 'r']], { widths, header: false })).toBe('q     r\n');
  });

  it('prints nothing for no rows and no header', () => {
    expect(formatTable([{ header: 'a' }], [], { header: false })).toBe('');
  });
});
