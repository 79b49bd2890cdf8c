import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parsePolicyCasesYaml } from './policy-cases.js';
import { parsePolicyDocument, parsePolicyYaml, parsePolicyYamlAll } from './policy-schema.js';

interface InvalidCase {
  name: string;
  doc: unknown;
  errors: { path: string; message: string }[];
}

const invalid: InvalidCase[] = parse(
  readFileSync(new URL('../../test/fixtures/policies/invalid.yaml', import.meta.url), 'utf8'),
);

describe('parsePolicyDocument rejects', () => {
  it.each(invalid.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const result = parsePolicyDocument(c.doc);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    for (const want of c.errors) {
      const hit = result.errors.find((e) => e.path === want.path && e.message.includes(want.message));
      expect(
        hit,
        `wanted ${want.path}: ${want.message}\ngot ${JSON.stringify(result.errors, null, 2)}`,
      ).toBeDefined();
    }
    expect(result.errors).toHaveLength(c.errors.length);
  });
});

describe('parsePolicyDocument accepts', () => {
  it('fills the defaults and copies only known keys', () => {
    const result = parsePolicyDocument({ name: 'p', rules: [{ name: 'r', decision: 'deny' }] });
    expect(result).toEqual({
      ok: true,
      policy: {
        name: 'p',
        enabled: true,
        priority: 100,
        mode: 'enforce',
        rules: [{ name: 'r', decision: 'deny' }],
      },
    });
  });

  it('keeps every key of the SPEC 6 document', () => {
    const doc = {
      name: 'refund-limits',
      description: 'large refunds need finance',
      enabled: false,
      priority: 10,
      mode: 'monitor',
      scope: {
        agents: ['pay-bot'],
        labels: { environment: 'production' },
        connectors: ['stripe'],
        actions: ['stripe.refund.*'],
      },
      rules: [
        {
          name: 'big-refunds',
          when: { all: [{ field: 'params.amount', operator: 'gt', value: 5000 }] },
          decision: 'deny',
          reason: 'refunds above 50.00 need finance',
          risk_score: 80,
          approval: { timeout_seconds: 120, approver_roles: ['admin'] },
        },
      ],
    };
    expect(parsePolicyDocument(doc)).toEqual({ ok: true, policy: doc });
  });

  it('accepts a JSON round trip of its own output', () => {
    const first = parsePolicyDocument({
      name: 'p',
      rules: [{ name: 'r', decision: 'allow', when: { field: 'agent', operator: 'exists' } }],
    });
    expect(first.ok).toBe(true);
    if (first.ok) expect(parsePolicyDocument(JSON.parse(JSON.stringify(first.policy)))).toEqual(first);
  });
});

describe('parsePolicyYaml', () => {
  it('reports syntax errors with their line', () => {
    const result = parsePolicyYaml('name: p\nrules:\n  - name: r\n    decision: [deny\n');
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.errors[0]!.path).toBe('');
      expect(result.errors[0]!.message).toMatch(/^YAML syntax error at line \d+, column \d+/);
      expect(result.errors[0]!.line).toBeGreaterThan(0);
    }
  });

  it('rejects duplicate keys', () => {
    const result = parsePolicyYaml('name: p\nname: q\nrules: [{name: r, decision: deny}]\n');
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.errors[0]!.message).toContain('line 2');
  });

  it('gives validation errors the line they point at', () => {
    const text = [
      'name: refund-limits',
      'rules:',
      '  - name: big',
      '    decision: deny',
      '    when:',
      '      all:',
      '        - {field: action, operator: equals, value: x}',
      '        - {field: params.amount, operator: bigger, value: 5}',
    ].join('\n');
    const result = parsePolicyYaml(text);
    expect(result).toMatchObject({
      ok: false,
      errors: [
        {
          path: 'rules[0].when.all[1].operator',
          line: 8,
          message: expect.stringContaining('unknown operator "bigger"'),
        },
      ],
    });
  });

  it('reads JSON too (YAML is a superset)', () => {
    expect(parsePolicyYaml('{"name": "p", "rules": [{"name": "r", "decision": "deny"}]}').ok).toBe(true);
  });

  it('wants exactly one document', () => {
    const two =
      'name: a\nrules: [{name: r, decision: deny}]\n---\nname: b\nrules: [{name: r, decision: deny}]\n';
    expect(parsePolicyYaml(two)).toMatchObject({
      ok: false,
      errors: [{ message: 'expected one policy document, found 2' }],
    });
    expect(parsePolicyYamlAll(two)).toMatchObject({ ok: true, policies: [{ name: 'a' }, { name: 'b' }] });
  });

  it('prefixes errors with the document index in a stream and rejects duplicate names', () => {
    const text =
      'name: a\nrules: [{name: r, decision: deny}]\n---\nname: a\nrules: [{name: r, decision: nope}]\n---\nname: a\nrules: [{name: r, decision: deny}]\n';
    const result = parsePolicyYamlAll(text);
    expect(result).toMatchObject({
      ok: false,
      errors: [
        { path: 'documents[1].rules[0].decision', line: 5 },
        { path: 'documents[2].name', message: 'duplicate policy name "a"' },
      ],
    });
  });

  it('bounds alias expansion (billion laughs)', () => {
    const bomb = [
      'a: &a [x, x, x, x, x, x, x, x, x, x]',
      'b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]',
      'c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]',
      'd: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]',
    ].join('\n');
    expect(parsePolicyYaml(bomb)).toMatchObject({
      ok: false,
      errors: [{ message: expect.stringContaining('alias') }],
    });
  });
});

describe('docs/policies.md', () => {
  const text = readFileSync(new URL('../../docs/policies.md', import.meta.url), 'utf8');
  const blocks = [...text.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!);

  it.each(blocks.map((b, i) => [i, b] as const))('example %i is valid', (_i, block) => {
    if (/^cases:/m.test(block)) {
      expect(parsePolicyCasesYaml(block)).toMatchObject({ ok: true });
    } else {
      expect(parsePolicyYamlAll(block)).toMatchObject({ ok: true });
    }
  });
});
