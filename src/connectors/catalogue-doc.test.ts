import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderConnectorDocs } from './catalogue-doc.js';
import { CONNECTOR_TYPES } from './registry.js';

describe('docs/connectors.md', () => {
  it('is exactly what the catalogues generate (regenerate: npm run build && node test/gen-connector-docs.mjs > docs/connectors.md)', () => {
    const committed = readFileSync(new URL('../../docs/connectors.md', import.meta.url), 'utf8');
    expect(committed).toBe(renderConnectorDocs());
  });

  it('has a table row for every catalogue row', () => {
    const doc = renderConnectorDocs();
    for (const c of CONNECTOR_TYPES) {
      for (const s of c.catalogue)
        expect(doc).toContain(`| \`${s.action}\` | ${s.method.replace(/\|/g, '\\|')} |`);
    }
  });
});
