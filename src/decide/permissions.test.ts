import { describe, expect, it } from 'vitest';
import { isValidActionPattern, matchesActionPattern, patternSpecificity } from './patterns.js';
import { describePermission, presetPermissions, resolvePermission } from './permissions.js';
import type { PermissionRule, Verdict } from './types.js';

describe('action patterns', () => {
  it.each([
    ['stripe.refund.create', 'stripe.refund.create', true],
    ['stripe.refund.create', 'stripe.refund.list', false],
    ['stripe.*.create', 'stripe.refund.create', true],
    ['stripe.*.create', 'stripe.refund.x.create', false],
    ['stripe.*', 'stripe.refund.create', true],
    ['stripe.*', 'stripe.refund', true],
    ['stripe.*', 'stripe', false],
    ['stripe.refund.*', 'stripe.refund', false],
    ['*', 'anything.at.all', true],
    ['*.http.get', 'github.http.get', true],
    ['*.http.get', 'http.get', false],
    ['stripe.*.*', 'stripe.refund.create', true],
    ['stripe.*.*', 'stripe.refund', false],
    ['stripe.*.*', 'stripe.refund.create.more', true],
    ['github.repo.delete', 'github.repo.delete.x', false],
    ['Stripe.*', 'Stripe.refund', false],
    ['stripe..x', 'stripe..x', false],
    ['stripe.refund', 'stripe.refund.', false],
  ])('%s vs %s → %s', (pattern, action, want) => {
    expect(matchesActionPattern(pattern, action)).toBe(want);
  });

  it('counts literal segments', () => {
    expect(patternSpecificity('*')).toBe(0);
    expect(patternSpecificity('stripe.*')).toBe(1);
    expect(patternSpecificity('stripe.*.create')).toBe(2);
    expect(patternSpecificity('stripe.refund.create')).toBe(3);
  });

  it('validates', () => {
    for (const ok of ['*', 'a.b', 'a.*', '*.b.*', 'mcp.tools.read_file'])
      expect(isValidActionPattern(ok)).toBe(true);
    for (const bad of ['', 'a..b', 'a.', '.a', 'A.b', 'a.b-c', 'a.**', 'a b', 'x'.repeat(300)]) {
      expect(isValidActionPattern(bad)).toBe(false);
    }
  });
});

let n = 0;
const rule = (action: string, decision: Verdict, over: Partial<PermissionRule> = {}): PermissionRule => ({
  id: String(++n),
  agent: 'pay-bot',
  connector: 'stripe',
  action,
  decision,
  ...over,
});

describe('resolvePermission', () => {
  it('picks the most specific pattern', () => {
    const rules = [rule('*', 'deny'), rule('stripe.*', 'allow'), rule('stripe.refund.*', 'require_approval')];
    expect(resolvePermission(rules, 'pay-bot', 'stripe', 'stripe.refund.create')?.decision).toBe(
      'require_approval',
    );
    expect(resolvePermission(rules, 'pay-bot', 'stripe', 'stripe.charge.create')?.decision).toBe('allow');
  });

  it.each([
    [['allow', 'deny'], 'deny'],
    [['deny', 'allow'], 'deny'],
    [['allow', 'require_approval'], 'require_approval'],
    [['require_approval', 'deny', 'allow'], 'deny'],
  ] as [Verdict[], Verdict][])('breaks ties by severity: %j → %s', (decisions, want) => {
    // Different patterns, same specificity (2).
    const patterns = ['stripe.refund.*', 'stripe.*.create', 'stripe.refund.*'];
    const rules = decisions.map((d, i) => rule(patterns[i]!, d));
    expect(resolvePermission(rules, 'pay-bot', 'stripe', 'stripe.refund.create')?.decision).toBe(want);
    expect(
      resolvePermission([...rules].reverse(), 'pay-bot', 'stripe', 'stripe.refund.create')?.decision,
    ).toBe(want);
  });

  it('does not depend on list order for full ties', () => {
    const a = rule('stripe.*', 'allow', { id: 'a' });
    const b = rule('stripe.*', 'allow', { id: 'b' });
    expect(resolvePermission([a, b], 'pay-bot', 'stripe', 'stripe.x')?.id).toBe('a');
    expect(resolvePermission([b, a], 'pay-bot', 'stripe', 'stripe.x')?.id).toBe('a');
  });

  it('matches agent and connector names exactly, and defaults to undefined (deny)', () => {
    const rules = [rule('*', 'allow')];
    expect(resolvePermission(rules, 'other', 'stripe', 'stripe.x')).toBeUndefined();
    expect(resolvePermission(rules, 'pay-bot', 'github', 'github.x')).toBeUndefined();
    expect(resolvePermission([], 'pay-bot', 'stripe', 'stripe.x')).toBeUndefined();
  });

  it('describes a rule in words', () => {
    expect(
      describePermission({
        id: '12',
        agent: 'pay-bot',
        connector: 'stripe',
        action: 'stripe.refund.*',
        decision: 'allow',
      }),
    ).toBe('permission #12 (agent pay-bot, connector stripe, stripe.refund.*) → allow');
  });
});

describe('presetPermissions', () => {
  const decideWith = (rules: PermissionRule[], action: string) =>
    resolvePermission(rules, 'bot', 'gh', action)?.decision ?? 'deny (none)';

  it('allow-all and require-approval cover every action', () => {
    expect(decideWith(presetPermissions('allow-all', 'bot', 'gh', 'github'), 'github.repo.delete')).toBe(
      'allow',
    );
    expect(decideWith(presetPermissions('require-approval', 'bot', 'gh', 'github'), 'github.pr.merge')).toBe(
      'require_approval',
    );
  });

  it('read-only without a catalogue allows read verbs and read-only transports', () => {
    const rules = presetPermissions('read-only', 'bot', 'gh', 'github');
    expect(rules.every((r) => r.agent === 'bot' && r.connector === 'gh')).toBe(true);
    for (const a of [
      'github.repo.get',
      'github.pr.list',
      'github.run.job.list',
      'github.http.get',
      'github.http.head',
      'github.graphql.query',
      'github.git.fetch',
    ]) {
      expect(decideWith(rules, a), a).toBe('allow');
    }
    for (const a of [
      'github.repo.delete',
      'github.pr.merge',
      'github.http.post',
      'github.git.push',
      'github.graphql.mutation',
      'github.code.search',
    ]) {
      expect(decideWith(rules, a), a).toBe('deny');
    }
  });

  it('read-only with a catalogue follows the catalogue methods', () => {
    const catalogue = [
      { action: 'stripe.balance.retrieve', method: 'GET' },
      { action: 'stripe.refund.create', method: 'POST' },
      { action: 'stripe.charge.search', method: 'get' },
      { action: 'mcp.tools.{tool}', method: 'HEAD' },
      { action: 'stripe.git.push', method: 'GET' },
      { action: 'stripe.git.push', method: 'POST' },
      { action: 'stripe.realtime.connect', method: 'GET' },
    ];
    const rules = presetPermissions('read-only', 'bot', 'gh', 'stripe', catalogue);
    const d = (a: string) => resolvePermission(rules, 'bot', 'gh', a)?.decision;
    expect(d('stripe.balance.retrieve')).toBe('allow');
    expect(d('stripe.charge.search')).toBe('allow');
    expect(d('mcp.tools.read_file')).toBe('allow');
    expect(d('stripe.refund.create')).toBe('deny');
    expect(d('stripe.customer.get')).toBe('deny'); // not in the catalogue as a GET
    expect(d('stripe.git.push')).toBe('deny'); // also reached by a POST
    expect(d('stripe.realtime.connect')).toBe('deny'); // a WebSocket whose messages are not decided
  });

  it('read-only covers two-segment method actions (webhook.get)', () => {
    const rules = presetPermissions('read-only', 'bot', 'gh', 'webhook');
    expect(decideWith(rules, 'webhook.get')).toBe('allow');
    expect(decideWith(rules, 'webhook.post')).toBe('deny');
  });

  it('read-only for generic also covers unprefixed http.get', () => {
    const rules = presetPermissions('read-only', 'bot', 'gh', 'generic');
    expect(decideWith(rules, 'http.get')).toBe('allow');
    expect(decideWith(rules, 'generic.http.get')).toBe('allow');
    expect(decideWith(rules, 'http.post')).toBe('deny');
  });
});
