// docs/agents.md carries the compatibility matrix rendered from compat-matrix.ts, between markers,
// so that the page and the tests that check each row cannot disagree. With TAMEFLARE_WRITE_DOCS=1
// the block is rewritten instead (the rest of the page is left as it is).
import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MATRIX, renderMatrix } from './compat-matrix.js';

const DOC = new URL('../../docs/agents.md', import.meta.url);
const START = '<!-- compat-matrix:start -->\n';
const END = '<!-- compat-matrix:end -->';

function withMatrix(doc: string): string {
  const start = doc.indexOf(START);
  const end = doc.indexOf(END);
  if (start < 0 || end < start) throw new Error('docs/agents.md has lost its compat-matrix markers');
  return doc.slice(0, start + START.length) + renderMatrix() + doc.slice(end);
}

describe('docs/agents.md', () => {
  it('shows the matrix the compatibility tests check (regenerate: TAMEFLARE_WRITE_DOCS=1)', () => {
    const doc = readFileSync(DOC, 'utf8');
    if (process.env['TAMEFLARE_WRITE_DOCS'] === '1') writeFileSync(DOC, withMatrix(doc));
    expect(readFileSync(DOC, 'utf8')).toBe(withMatrix(doc));
  });

  it('has unique row ids, and a probe suite for every routed or refused row', () => {
    expect(new Set(MATRIX.map((r) => r.id)).size).toBe(MATRIX.length);
    for (const row of MATRIX) {
      if (row.result === 'routed' || row.result === 'refused') {
        expect(row.suite, row.id).not.toBe('none');
      } else {
        expect(row.suite, row.id).toBe('none');
      }
    }
  });
});
