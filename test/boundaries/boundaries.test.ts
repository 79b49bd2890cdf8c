// The import boundaries of src/ (test/dependency-rules.cjs), checked with dependency-cruiser: the real
// tree has no violation, and a planted tree proves that each rule really fails when broken.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = new URL('../..', import.meta.url).pathname;
const rules = join(root, 'test/dependency-rules.cjs');
const depcruise = join(root, 'node_modules/.bin/depcruise');

interface Violation {
  rule: { name: string };
  from: string;
  to: string;
}

function cruise(cwd: string, paths: string[]): Violation[] {
  const r = spawnSync(depcruise, ['--config', rules, '--output-type', 'json', ...paths], {
    cwd,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.status !== 0) throw new Error(`depcruise failed (${r.status}): ${r.stderr}`);
  return (JSON.parse(r.stdout) as { summary: { violations: Violation[] } }).summary.violations;
}

describe('import boundaries', () => {
  it('src/ and migrations/ break no rule', () => {
    const violations = cruise(root, ['src', 'migrations']);
    expect(violations.map((v) => `${v.rule.name}: ${v.from} → ${v.to}`)).toEqual([]);
  });

  const planted = mkdtempSync(join(tmpdir(), 'tf-boundaries-'));
  afterAll(() => rmSync(planted, { recursive: true, force: true }));
  const plant = (path: string, text: string) => {
    mkdirSync(dirname(join(planted, path)), { recursive: true });
    writeFileSync(join(planted, path), text);
  };

  it('each rule catches a planted violation', () => {
    plant(
      'tsconfig.json',
      '{"compilerOptions":{"module":"NodeNext","moduleResolution":"NodeNext","strict":true},"include":["src/**/*.ts"]}',
    );
    plant('src/decide/a.ts', "import { b } from './b.js';\nexport const a = () => b;\n");
    plant('src/decide/b.ts', "import { a } from './a.js';\nexport const b = () => a;\n");
    plant(
      'src/connectors/reads-files.ts',
      "import { readFileSync } from 'node:fs';\nexport const r = readFileSync;\n",
    );
    plant('src/connectors/reaches-out.ts', "import { g } from '../gateway/g.js';\nexport const x = g;\n");
    plant('src/gateway/g.ts', 'export const g = 1;\n');
    plant('src/control/things/thing-routes.ts', "import { sql } from 'kysely';\nexport const q = sql;\n");
    plant(
      'src/cli/commands/thing-command.ts',
      "import { g } from '../../gateway/g.js';\nexport const c = g;\n",
    );
    plant('src/gateway/uses-test.ts', "import { t } from '../../test/helper.js';\nexport const u = t;\n");
    plant('test/helper.ts', 'export const t = 1;\n');
    const found = cruise(planted, ['src']).map((v) => `${v.rule.name}: ${v.from} → ${v.to}`);
    expect(found).toEqual(
      expect.arrayContaining([
        'no-circular: src/decide/a.ts → src/decide/b.ts',
        'pure-core-no-io: src/connectors/reads-files.ts → fs',
        'pure-core-stays-inside: src/connectors/reaches-out.ts → src/gateway/g.ts',
        'routes-no-database: src/control/things/thing-routes.ts → kysely',
        'cli-through-api: src/cli/commands/thing-command.ts → src/gateway/g.ts',
        'no-test-code-in-src: src/gateway/uses-test.ts → test/helper.ts',
      ]),
    );
  });
});
