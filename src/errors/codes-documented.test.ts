// Error codes are a contract users' scripts match on: every code in the catalogue is documented with its
// status, in the gateway's table (what agents get) or the API's (what API callers get).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from './codes.js';

const doc = (name: string) => readFileSync(new URL(`../../docs/${name}`, import.meta.url), 'utf8');
const tables = `${doc('gateway.md')}\n${doc('api.md')}`;
// Table rows only: a code named in prose elsewhere does not document its status.
const rows = tables.split('\n').filter((line) => line.startsWith('| `'));

describe('the error-code catalogue and the docs', () => {
  for (const [code, { status }] of Object.entries(ERROR_CODES)) {
    it(`${code} (${status}) has a row in docs/gateway.md or docs/api.md`, () => {
      const row = rows.find((line) => line.split('|')[1]!.includes(`\`${code}\``));
      expect(row, `no table row names \`${code}\``).toBeDefined();
      // The status is in the row, unless the code is never answered (a decision or a log-only code).
      if (!/\| — \|/.test(row!)) expect(row).toContain(String(status));
    });
  }
});
