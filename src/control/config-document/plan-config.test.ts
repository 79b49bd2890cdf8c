import { describe, expect, it } from 'vitest';
import { formatPath } from '../../decide/schema-reader.js';
import type { ConfigDocument, LiveConfig } from './config-document.js';
import { planConfig } from './plan-config.js';

const agent = (name: string, port: number, extra: Partial<LiveConfig['agents'][number]> = {}) => ({
  name,
  gateway: 'default',
  mode: 'enforce' as const,
  labels: {},
  port,
  proxy_auth: true,
  status: 'active' as const,
  ...extra,
});

function live(): LiveConfig {
  return {
    gateways: ['default', 'edge'],
    agents: [agent('a', 9444), agent('b', 9445)],
    connectors: [
      {
        name: 'stripe',
        gateway: 'default',
        type: 'stripe',
        domains: ['api.stripe.com'],
        auth: 'bearer',
        intercept: true,
        options: {},
        credential_set: true,
      },
    ],
    permissions: [
      { id: 1, agent: 'a', connector: 'stripe', action: '*', decision: 'allow' },
      { id: 2, agent: 'b', connector: 'stripe', action: '*', decision: 'deny' },
    ],
    policies: [
      { name: 'p', enabled: true, priority: 100, mode: 'enforce', rules: [{ name: 'r', decision: 'deny' }] },
    ],
    rate_limits: [{ id: 'x', agent: 'b', rate: 1, burst: 1 }],
  };
}

const plan = (doc: Omit<ConfigDocument, 'version'>, prune = false) =>
  planConfig({ version: 1, ...doc }, live(), { prune, defaultGateway: 'default' });
const names = (items: { kind: string; name: string }[]) => items.map((i) => `${i.kind}:${i.name}`);

describe('planConfig', () => {
  it('leaves sections the document does not have alone, even with prune', () => {
    const p = plan({ policies: [] }, true);
    expect(names(p.delete)).toEqual(['policy:p']);
    expect(p.agents.remove).toEqual([]);
  });

  it('keeps live items missing from a managed section, or deletes them with their permissions and limits', () => {
    const doc = {
      agents: [
        { name: 'a', mode: 'enforce' as const, labels: {}, proxy_auth: true, status: 'active' as const },
      ],
    };
    const kept = plan(doc);
    expect(names(kept.kept)).toEqual(['agent:b']);
    expect(kept.unchanged).toBe(1);
    const pruned = plan(doc, true);
    expect(names(pruned.delete)).toEqual(['agent:b', 'permission:b/stripe/*', 'rate_limit:b/*/*']);
    expect(pruned.kept).toEqual([]);
  });

  it('lists the changed fields of an update, and a policy key that went away as null', () => {
    const p = plan({
      agents: [{ name: 'a', mode: 'monitor', labels: { env: 'prod' }, proxy_auth: true, status: 'active' }],
      policies: [
        { name: 'p', enabled: true, priority: 5, mode: 'enforce', rules: [{ name: 'r', decision: 'deny' }] },
      ],
    });
    expect(p.update.map((u) => [u.name, Object.keys(u.changes)])).toEqual([
      ['a', ['mode', 'labels']],
      ['p', ['priority']],
    ]);
    const dropped = planConfig(
      {
        version: 1,
        policies: [
          {
            name: 'p',
            enabled: true,
            priority: 100,
            mode: 'enforce',
            rules: [{ name: 'r', decision: 'deny' }],
          },
        ],
      },
      { ...live(), policies: [{ ...live().policies[0]!, description: 'old' }] },
      { prune: false, defaultGateway: 'default' },
    );
    expect(dropped.update[0]!.changes).toEqual({ description: { from: 'old', to: null } });
  });

  it('checks references against the configuration after the apply', () => {
    const p = plan(
      {
        agents: [
          { name: 'c', mode: 'enforce', labels: {}, proxy_auth: true, status: 'active', port: 9444 },
          { name: 'd', gateway: 'nowhere', mode: 'enforce', labels: {}, proxy_auth: true, status: 'active' },
          { name: 'b', gateway: 'edge', mode: 'enforce', labels: {}, proxy_auth: true, status: 'active' },
        ],
        permissions: [
          { agent: 'ghost', connector: 'stripe', action: '*', decision: 'allow' },
          { agent: 'c', connector: 'github', action: '*', decision: 'allow' },
        ],
        rate_limits: [{ agent: '*', connector: 'nope', rate: 1, burst: 1 }],
      },
      false,
    );
    expect(p.issues.map((i) => `${formatPath(i.segments)}: ${i.message}`)).toEqual([
      'agents[1].gateway: no gateway named nowhere',
      'agents[2].gateway: agent b is on gateway default; apply does not move agents (remove and re-add it)',
      'agents[0].port: port 9444 is also the port of agent a',
      'permissions[0].agent: no agent named ghost (neither in the document nor kept)',
      'permissions[1].connector: no connector named github (neither in the document nor kept)',
      'rate_limits[0].connector: no connector named nope (neither in the document nor kept)',
    ]);
  });

  it('accepts a port freed by a pruned agent, and two agents swapping ports', () => {
    const a = { mode: 'enforce' as const, labels: {}, proxy_auth: true, status: 'active' as const };
    const freed = plan(
      {
        agents: [
          { name: 'a', ...a },
          { name: 'c', ...a, port: 9445 },
        ],
      },
      true,
    );
    expect(freed.issues).toEqual([]);
    const swap = plan({
      agents: [
        { name: 'a', ...a, port: 9445 },
        { name: 'b', ...a, port: 9444 },
      ],
    });
    expect(swap.issues).toEqual([]);
    expect(swap.update.map((u) => u.changes.port)).toEqual([
      { from: 9444, to: 9445 },
      { from: 9445, to: 9444 },
    ]);
  });
});
