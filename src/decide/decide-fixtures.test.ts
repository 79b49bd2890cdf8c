// Table-driven policy tests: each file under test/fixtures/policies/ (except invalid.yaml) holds
// `policies` and a cases table in the `tameflare policy test` format, so the fixtures also exercise
// the cases parser and the runner that the CLI uses.
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parsePolicyCases } from './policy-cases.js';
import { parsePolicyDocument } from './policy-schema.js';
import { runPolicyTests } from './policy-test-runner.js';
import type { PolicyDocument } from './policy-types.js';

const dir = new URL('../../test/fixtures/policies/', import.meta.url);
const files = readdirSync(dir).filter((f) => f.endsWith('.yaml') && f !== 'invalid.yaml');

describe.each(files)('%s', (file) => {
  const { policies: rawPolicies, ...casesDoc } = parse(readFileSync(new URL(file, dir), 'utf8'));
  const policies: PolicyDocument[] = (rawPolicies as unknown[]).map((raw) => {
    const parsed = parsePolicyDocument(raw);
    if (!parsed.ok) throw new Error(`${file}: ${JSON.stringify(parsed.errors)}`);
    return parsed.policy;
  });
  const cases = parsePolicyCases(casesDoc);
  if (!cases.ok) throw new Error(`${file}: ${JSON.stringify(cases.errors)}`);
  const report = runPolicyTests(policies, cases.cases);

  it('has only valid policies', () => {
    expect(report.invalidPolicies).toEqual([]);
  });

  it.each(report.results.map((r) => [r.name, r] as const))('%s', (_name, result) => {
    expect(result.failures, result.explanation.join('\n')).toEqual([]);
  });
});
