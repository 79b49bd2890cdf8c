import { describe, expect, it } from 'vitest';
import { tunnelAction } from './generic.js';
import { CONNECTOR_TYPES, getConnectorType } from './registry.js';
import { ACTION_NAME_PATTERN } from './types.js';
import {
  signWebhookBody,
  verifyWebhookSignature,
  WEBHOOK_SIGNATURE_HEADER,
  webhookSignatureHeader,
} from './webhook.js';

const actions = (type: string) => new Set(getConnectorType(type)!.catalogue.map((s) => s.action));

describe('registry', () => {
  it('lists each type once and finds it by name', () => {
    const types = CONNECTOR_TYPES.map((c) => c.type);
    expect(new Set(types).size).toBe(types.length);
    expect(types).toEqual(['generic', 'github', 'openai', 'anthropic', 'stripe', 'slack', 'mcp', 'webhook']);
    for (const c of CONNECTOR_TYPES) expect(getConnectorType(c.type)).toBe(c);
    expect(getConnectorType('gitlab')).toBeUndefined();
    expect(getConnectorType('__proto__')).toBeUndefined();
  });

  it('has the default domains and auth of SPEC 4.5', () => {
    const table: Array<[string, string[], string]> = [
      ['github', ['api.github.com', 'github.com'], 'bearer'],
      ['openai', ['api.openai.com'], 'bearer'],
      ['anthropic', ['api.anthropic.com'], 'header:x-api-key'],
      ['stripe', ['api.stripe.com'], 'bearer'],
      ['slack', ['slack.com', 'api.slack.com'], 'bearer'],
      ['generic', [], 'bearer'],
      ['mcp', [], 'bearer'],
      ['webhook', [], 'none'],
    ];
    for (const [type, domains, auth] of table) {
      const c = getConnectorType(type)!;
      expect(c.defaultDomains({}), type).toEqual(domains);
      expect(c.defaultAuth, type).toBe(auth);
    }
    expect(
      getConnectorType('github')!.defaultDomains({ baseUrl: 'https://GHE.example.com:8443/api/v3' }),
    ).toEqual(['ghe.example.com']);
    expect(getConnectorType('github')!.defaultDomains({ baseUrl: 'nonsense' })).toEqual([
      'api.github.com',
      'github.com',
    ]);
  });

  it('catalogue rows are well formed', () => {
    for (const c of CONNECTOR_TYPES) {
      const seen = new Set<string>();
      for (const s of c.catalogue) {
        const concrete = s.action.replace(/\{[a-z_]+\}$/, 'x');
        expect(concrete, s.action).toMatch(ACTION_NAME_PATTERN);
        const prefix = c.type === 'generic' ? /^(http|tunnel)\./ : new RegExp(`^${c.type}\\.`);
        expect(s.action).toMatch(prefix);
        expect(['low', 'medium', 'high']).toContain(s.risk);
        expect(s.description.length).toBeGreaterThan(0);
        const key = `${s.method} ${s.path} ${s.description}`;
        expect(seen.has(key), key).toBe(false);
        seen.add(key);
      }
      expect(c.docs, c.type).toBeDefined();
    }
  });

  it('covers the actions SPEC 4.5 and issue 4 name', () => {
    const github = actions('github');
    const writes = [
      'pr.create',
      'pr.merge',
      'pr.update',
      'pr.close',
      'pr.review',
      'issue.create',
      'issue.update',
      'issue.close',
      'branch.create',
      'branch.delete',
      'release.create',
      'release.delete',
      'file.create',
      'file.update',
      'file.delete',
      'repo.create',
      'repo.delete',
      'repo.update',
      'org.update',
      'team.create',
    ];
    for (const w of [
      ...writes,
      'repo.get',
      'git.push',
      'git.fetch',
      'comment.create',
      'label.add',
      'workflow.dispatch',
      'graphql.query',
      'graphql.mutation',
    ]) {
      expect(github.has(`github.${w}`), w).toBe(true);
    }
    for (const a of [
      'chat.create',
      'response.create',
      'embedding.create',
      'image.generate',
      'file.upload',
      'model.list',
    ]) {
      expect(actions('openai').has(`openai.${a}`), a).toBe(true);
    }
    for (const a of ['message.create', 'message.count_tokens', 'model.list'])
      expect(actions('anthropic').has(`anthropic.${a}`)).toBe(true);
    for (const a of [
      'charge.create',
      'refund.create',
      'transfer.create',
      'customer.delete',
      'subscription.cancel',
    ]) {
      expect(actions('stripe').has(`stripe.${a}`), a).toBe(true);
    }
    for (const a of ['message.send', 'channel.archive', 'file.upload'])
      expect(actions('slack').has(`slack.${a}`)).toBe(true);
    for (const a of ['mcp.tools.{tool}', 'mcp.tools.list', 'mcp.rpc.{method}'])
      expect(actions('mcp').has(a)).toBe(true);
    for (const a of ['http.get', 'http.post', 'http.delete']) expect(actions('generic').has(a)).toBe(true);
  });

  it('has at least the catalogue sizes issue 4 asks for', () => {
    expect(actions('openai').size).toBeGreaterThanOrEqual(24);
    expect(actions('stripe').size).toBeGreaterThanOrEqual(40);
    expect(actions('slack').size).toBeGreaterThanOrEqual(35);
  });

  it('maps unknown requests to <type>.http.<method> (generic and webhook name every request by method)', () => {
    const req = {
      method: 'PURGE',
      host: 'h',
      port: 443,
      path: '/nowhere/at/all',
      query: new URLSearchParams(),
      headers: {},
    };
    for (const c of CONNECTOR_TYPES) {
      const expected =
        c.type === 'generic' ? 'http.purge' : c.type === 'webhook' ? 'webhook.purge' : `${c.type}.http.purge`;
      expect(c.map(req, {}).action, c.type).toBe(expected);
    }
  });
});

describe('generic tunnel', () => {
  it('tunnelAction', () => {
    expect(tunnelAction('db.example.com', 5432)).toEqual({
      action: 'tunnel.connect',
      params: { host: 'db.example.com', port: 5432 },
      risk: 'medium',
    });
  });
});

describe('webhook signing', () => {
  const body = Buffer.from('{"event":"approval.created"}');
  it('signs t.body with HMAC-SHA256 (known vector)', () => {
    // echo -n '1700000000.{"event":"approval.created"}' | openssl dgst -sha256 -hmac whsec_test
    expect(signWebhookBody('whsec_test', body, 1_700_000_000)).toBe(
      't=1700000000,v1=7513adb30a66db9d88f5f06303b6bf86f913e375c24350b7c6cea5b7780c6c12',
    );
    expect(signWebhookBody('whsec_test', body, 1_700_000_000.9)).toBe(
      signWebhookBody('whsec_test', body, 1_700_000_000),
    );
  });
  it('verifies its own signature and refuses changes', () => {
    const sig = signWebhookBody('k', body, 1_700_000_000);
    expect(verifyWebhookSignature('k', body, sig)).toBe(true);
    expect(verifyWebhookSignature('other', body, sig)).toBe(false);
    expect(verifyWebhookSignature('k', Buffer.from(`${body} `), sig)).toBe(false);
    expect(verifyWebhookSignature('k', body, sig.replace('t=1700000000', 't=1700000001'))).toBe(false);
    expect(verifyWebhookSignature('k', body, 'garbage')).toBe(false);
  });
  it('signature header option', () => {
    expect(webhookSignatureHeader({})).toBe(WEBHOOK_SIGNATURE_HEADER);
    expect(webhookSignatureHeader({ extra: { signatureHeader: 'X-Hub-Signature' } })).toBe('x-hub-signature');
    expect(webhookSignatureHeader({ extra: { signatureHeader: 'bad header\r\n' } })).toBe(
      WEBHOOK_SIGNATURE_HEADER,
    );
  });
});
