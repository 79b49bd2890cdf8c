// Gateway registration and /v1/gateways against a real control plane (SQLite in a temp dir): what a
// gateway registers, how ports come from its range, several gateways, and a name used twice.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCertificateAuthority } from '../../src/gateway/tls/certificate-authority.js';
import { GATEWAY_CA_HEADER } from '../../src/sync/gateway-registration.js';
import { caFingerprint } from '../../src/trust/gateway-ca.js';
import type { AgentAnswer, AgentKeyAnswer } from '../../src/wire/agents.js';
import type { GatewayAnswer, GatewayList } from '../../src/wire/gateways.js';
import { type ControlHarness, registerTestGateway, startControlHarness } from '../helpers/control-harness.js';

let h: ControlHarness;
beforeAll(async () => {
  h = await startControlHarness();
});
afterAll(async () => {
  await h?.close();
});

interface Problem {
  code: string;
  detail: string;
}

const register = (opts: Parameters<typeof registerTestGateway>[2]) =>
  registerTestGateway(h.url, h.serviceToken, opts);

async function raw(path: string, body: unknown, token = h.serviceToken): Promise<Response> {
  return fetch(`${h.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

/** Opens a gateway's configuration stream as the gateway would; close() ends it. */
async function openStream(name: string, fingerprint: string) {
  const abort = new AbortController();
  const res = await fetch(`${h.url}/internal/gateway/stream?gateway=${name}`, {
    headers: { authorization: `Bearer ${h.serviceToken}`, [GATEWAY_CA_HEADER]: fingerprint },
    signal: abort.signal,
  });
  return {
    status: res.status,
    body: res.status === 200 ? undefined : await res.json(),
    close: () => abort.abort(),
  };
}

const agent = async (name: string) => (await h.api<AgentAnswer>('GET', `/v1/agents/${name}`)).body.agent;

describe('gateway registration', () => {
  it('waits with ports until the gateway registers its range, then assigns them', async () => {
    const before = await h.api<AgentKeyAnswer>('POST', '/v1/agents', { name: 'early' });
    expect(before.status).toBe(201);
    expect(before.body.agent).toMatchObject({ gateway: 'default', port: null, port_state: 'pending' });
    expect(before.body.agent.port_error).toMatch(/has not registered yet/);

    expect((await register({ start: 30100, end: 30101, publicUrl: 'http://gw-a.test:9443' })).status).toBe(
      200,
    );
    const after = await agent('early');
    expect(after).toMatchObject({ port: 30100, proxy_url: 'http://early@gw-a.test:9443' });
    const events = await h.db.db
      .selectFrom('audit_events')
      .select(['event_type', 'subject'])
      .where('event_type', 'in', ['gateway.registered', 'agent.port_assigned'])
      .orderBy('id')
      .execute();
    expect(events).toEqual([
      { event_type: 'gateway.registered', subject: 'gateway:default' },
      { event_type: 'agent.port_assigned', subject: 'agent:early' },
    ]);
  });

  it('assigns from the range and says clearly when it is full', async () => {
    expect((await h.api<AgentKeyAnswer>('POST', '/v1/agents', { name: 'second' })).body.agent.port).toBe(
      30101,
    );
    const full = await h.api<Problem>('POST', '/v1/agents', { name: 'third' });
    expect(full.status).toBe(409);
    expect(full.body.code).toBe('conflict');
    expect(full.body.detail).toMatch(/range 30100-30101 has no free port.*--agent-port-end/);
    // An explicit port is the operator's choice, inside the range or not.
    expect((await h.api<AgentKeyAnswer>('POST', '/v1/agents', { name: 'third', port: 30200 })).status).toBe(
      201,
    );
  });

  it("shows the gateway's port report on the agent: open, and a port it cannot listen on", async () => {
    expect(
      (
        await register({
          start: 30100,
          end: 30101,
          publicUrl: 'http://gw-a.test:9443',
          open: [30100],
          errors: { '30101': 'EADDRINUSE: another program on the gateway host already listens on this port' },
        })
      ).status,
    ).toBe(200);
    expect(await agent('early')).toMatchObject({ port_state: 'open', port_error: null });
    expect(await agent('second')).toMatchObject({
      port_state: 'failed',
      port_error: expect.stringMatching(/gateway default cannot listen on 30101: EADDRINUSE/),
    });
  });

  it('refuses a registration whose CA is not what its fingerprint says, or without the service token', async () => {
    const [a, b] = await Promise.all([createCertificateAuthority(), createCertificateAuthority()]);
    const body = {
      gateway: 'default',
      version: 't',
      public_url: 'http://gw-a.test:9443',
      ca_pem: a.certPem,
      ca_fingerprint: caFingerprint(b.certPem),
      agent_ports: { start: 30100, end: 30101, open: [], errors: {} },
      config_version: 0,
      outbox_backlog: 0,
      started_at: new Date().toISOString(),
    };
    const bad = await raw('/internal/gateway/register', body);
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as Problem).detail).toMatch(/registered CA is refused.*not the registered/);
    const https = await raw('/internal/gateway/register', {
      ...body,
      ca_fingerprint: caFingerprint(a.certPem),
      public_url: 'https://gw-a.test',
    });
    expect(https.status).toBe(400);
    expect((await raw('/internal/gateway/register', body, h.token)).status).toBe(401);
  });
});

describe('several gateways', () => {
  it('lists each with its address, range and CA, and shows the PEM of one', async () => {
    expect(
      (await register({ name: 'edge', start: 30300, end: 30399, publicUrl: 'http://gw-b.test:8443' })).status,
    ).toBe(200);
    const list = await h.api<GatewayList>('GET', '/v1/gateways');
    expect(list.body.gateways.map((g) => [g.name, g.status, g.public_url, g.agent_ports?.start])).toEqual([
      ['default', 'unreachable', 'http://gw-a.test:9443', 30100],
      ['edge', 'unreachable', 'http://gw-b.test:8443', 30300],
    ]);
    expect(list.body.gateways[0]).toMatchObject({
      agents: 3,
      connectors: 0,
      outbox_backlog: 0,
      version: 'test',
    });
    const edge = await h.api<GatewayAnswer>('GET', '/v1/gateways/edge');
    expect(caFingerprint(edge.body.gateway.ca_pem!)).toBe(edge.body.gateway.ca_fingerprint);
    expect((await h.api<Problem>('GET', '/v1/gateways/nope')).status).toBe(404);
  });

  it('creates agents and connectors for a named gateway, and refuses to guess between several', async () => {
    const guess = await h.api<Problem>('POST', '/v1/agents', { name: 'where' });
    expect(guess.status).toBe(400);
    expect(guess.body.detail).toMatch(/several gateways are registered \(default, edge\).*--gateway/);
    const unknown = await h.api<Problem>('POST', '/v1/agents', { name: 'where', gateway: 'nope' });
    expect(unknown.status).toBe(404);
    expect(unknown.body.detail).toMatch(/no gateway named nope \(known: default, edge\)/);
    const onEdge = await h.api<AgentKeyAnswer>('POST', '/v1/agents', { name: 'where', gateway: 'edge' });
    expect(onEdge.body.agent).toMatchObject({
      gateway: 'edge',
      port: 30300,
      proxy_url: 'http://where@gw-b.test:8443',
      port_url: 'http://gw-b.test:30300',
    });
    const conn = await h.api<Problem>('POST', '/v1/connectors', { type: 'generic', domains: ['x.test'] });
    expect(conn.status).toBe(400);
    const info = await h.api<{ url: string; proxy_port: number }>('GET', '/v1/gateway-info?gateway=edge');
    expect(info.body).toMatchObject({ url: 'http://gw-b.test:8443', proxy_port: 8443 });
  });

  it('tells a second gateway that starts under a name in use, and reports the first as connected', async () => {
    const first = (await h.api<GatewayAnswer>('GET', '/v1/gateways/edge')).body.gateway;
    const stream = await openStream('edge', first.ca_fingerprint!);
    expect(stream.status).toBe(200);
    try {
      const list = await h.api<GatewayList>('GET', '/v1/gateways');
      expect(list.body.gateways.find((g) => g.name === 'edge')?.status).toBe('connected');
      const health = (await (await fetch(`${h.url}/health`)).json()) as {
        gateways: { name: string; status: string }[];
      };
      expect(health.gateways).toEqual([
        expect.objectContaining({ name: 'default', status: 'unreachable' }),
        expect.objectContaining({ name: 'edge', status: 'connected' }),
      ]);
      const impostor = await register({ name: 'edge', start: 30300, end: 30399 });
      expect(impostor.status).toBe(409);
      expect(((await impostor.json()) as Problem).detail).toMatch(
        /another gateway \(CA .*\) is connected as edge: give this one its own name/,
      );
      const other = await createCertificateAuthority();
      const second = await openStream('edge', caFingerprint(other.certPem));
      expect(second.status).toBe(409);
      const removing = await h.api<Problem>('DELETE', '/v1/gateways/edge');
      expect(removing.status).toBe(409);
      expect(removing.body.detail).toMatch(/is connected/);
    } finally {
      stream.close();
    }
  });

  it('removes a gateway only when asked to take its agents with it', async () => {
    // The stream's end is seen by the server a moment after the client aborts.
    let refusal: { status: number; body: Problem } | undefined;
    for (let i = 0; i < 50; i++) {
      refusal = await h.api<Problem>('DELETE', '/v1/gateways/edge');
      if (!/is connected/.test(refusal.body.detail ?? '')) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(refusal!.status).toBe(409);
    expect(refusal!.body.detail).toMatch(/still has 1 agent\(s\) and 0 connector\(s\).*--force/);
    const forced = await h.api<{ deleted: boolean; agents: number }>(
      'DELETE',
      '/v1/gateways/edge?force=true',
    );
    expect(forced.body).toEqual({ deleted: true, agents: 1, connectors: 0 });
    expect((await h.api('GET', '/v1/agents/where')).status).toBe(404);
    // One gateway again: it is the default for new agents.
    expect(
      (await h.api<AgentKeyAnswer>('POST', '/v1/agents', { name: 'after', port: 30201 })).body.agent.gateway,
    ).toBe('default');
  });
});
