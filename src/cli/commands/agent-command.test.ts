import { describe, expect, it } from 'vitest';
import type { AgentView } from '../../wire/agents.js';
import { agentProxyUrls, proxyAddress } from '../agent-proxy-urls.js';
import { CliError } from '../cli-error.js';
import { parseLabels } from './agent-command.js';

const agent: AgentView = {
  name: 'bot',
  gateway: 'default',
  port: 9444,
  mode: 'enforce',
  labels: {},
  proxy_auth: true,
  status: 'active',
  created_at: '2026-01-01T00:00:00.000Z',
  updated_at: '2026-01-01T00:00:00.000Z',
  proxy_url: 'http://bot@127.0.0.1:9443',
  port_url: 'http://127.0.0.1:9444',
  port_state: 'open',
  port_error: null,
};

describe('parseLabels', () => {
  it('reads repeated k=v pairs, keeping = inside values', () => {
    expect(parseLabels(['team=infra', 'expr=a=b', 'empty='])).toEqual({
      team: 'infra',
      expr: 'a=b',
      empty: '',
    });
  });

  it.each([['novalue'], ['=v'], [' =v']])('refuses %j as a usage error', (raw) => {
    expect(() => parseLabels([raw])).toThrow(CliError);
    try {
      parseLabels([raw]);
    } catch (err) {
      expect((err as CliError).exitCode).toBe(2);
    }
  });

  it('refuses a key given twice', () => {
    expect(() => parseLabels(['a=1', 'a=2'])).toThrow(/twice/);
  });
});

describe('agentProxyUrls', () => {
  it('puts the key in both the shared and the dedicated port URL', () => {
    const info = {
      gateway: 'default',
      url: 'http://gw.internal:9443',
      proxy_host: 'gw.internal',
      proxy_port: 9443,
      ca_fingerprint: null,
    };
    expect(agentProxyUrls({ ...agent, proxy_url: null }, 'tf_agent_k', info)).toEqual({
      proxyUrl: 'http://bot:tf_agent_k@gw.internal:9443',
      portUrl: 'http://bot:tf_agent_k@gw.internal:9444',
    });
  });

  it('leaves the key out of the dedicated port URL of a --no-proxy-auth agent', () => {
    const urls = agentProxyUrls({ ...agent, proxy_auth: false }, 'k', undefined);
    expect(urls?.portUrl).toBe('http://127.0.0.1:9444');
    expect(urls?.proxyUrl).toBe('http://bot:k@127.0.0.1:9443');
  });

  it("prefers the agent record (its own gateway's address) and reports an unknown address as undefined", () => {
    const other = {
      gateway: 'd',
      url: 'http://other:1',
      proxy_host: 'other',
      proxy_port: 1,
      ca_fingerprint: null,
    };
    expect(proxyAddress(agent, other)).toEqual({ host: '127.0.0.1', port: 9443 });
    expect(agentProxyUrls({ ...agent, proxy_url: null }, 'k', undefined)).toBeUndefined();
  });

  it('brackets an IPv6 gateway address', () => {
    const urls = agentProxyUrls(
      { ...agent, proxy_url: 'http://bot@[::1]:9443', proxy_auth: false },
      'k',
      undefined,
    );
    expect(urls).toEqual({ proxyUrl: 'http://bot:k@[::1]:9443', portUrl: 'http://[::1]:9444' });
  });
});
