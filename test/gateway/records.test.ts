// What the gateway remembers and reports: complete, secret-free traffic rows and outbox events,
// monitor mode, dedicated agent ports, the internal API, restart from the cached configuration and
// vault, and a clear refusal to start with the wrong master key.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Registry } from 'prom-client';
import { fetch, ProxyAgent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Secret } from '../../src/config/secret.js';
import { createGatewayServices } from '../../src/daemon/gateway-services.js';
import { buildGateway } from '../../src/gateway/gateway.js';
import {
  createCertificateAuthority,
  loadCertificateAuthority,
} from '../../src/gateway/tls/certificate-authority.js';
import { createLogger } from '../../src/logging/create-logger.js';
import {
  DUMMY,
  type GatewayHarness,
  GITHUB_SECRET,
  PLAIN_SECRET,
  startGatewayHarness,
} from '../helpers/gateway-harness.js';
import { curl } from '../helpers/run-client.js';

let h: GatewayHarness;
let ca: string;
const TOKEN = 'svc-token-for-records-test';
beforeAll(async () => {
  h = await startGatewayHarness({ serviceToken: TOKEN });
  ca = readFileSync(h.caFile, 'utf8');
});
afterAll(async () => {
  await h?.close();
});

async function get(url: string, proxy: string, headers: Record<string, string> = {}) {
  const dispatcher = new ProxyAgent({ uri: proxy, requestTls: { ca } });
  try {
    const res = await fetch(url, { dispatcher, headers });
    return { status: res.status, headers: res.headers, body: await res.text() };
  } finally {
    await dispatcher.close();
  }
}

/** Waits for a condition the gateway's writer thread makes true shortly (outbox events). */
async function until(condition: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 200 && !(await condition()); i++) await new Promise((r) => setTimeout(r, 25));
  expect(await condition()).toBe(true);
}

function internal(method: string, path: string, body?: unknown, token = TOKEN) {
  return fetch(`http://127.0.0.1:${h.port}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

describe('traffic log and outbox', () => {
  it('rows are complete, hold parameter names only, and no secret appears anywhere', async () => {
    const before = (await h.gateway.outbox.pending(10_000)).at(-1)?.id ?? 0;
    const ok = await get(
      'https://api.github.com/repos/octo/hello?access_token=QUERYSECRET&per_page=5',
      h.proxyUrl('bot'),
      {
        authorization: `Bearer ${DUMMY}`,
        cookie: 'session=COOKIESECRET',
      },
    );
    expect(ok.status).toBe(200);
    const plainGet = await get('https://api.github.com/repos/octo/hello', h.proxyUrl('bot'));
    expect(plainGet.status).toBe(200);
    const rows = await h.waitForRows(
      (rs) => rs.length >= 2 && rs.every((r) => r.completed_at !== null),
      "host = 'api.github.com' AND path LIKE '/repos/octo/hello%'",
    );
    const row = rows.find((r) => r.path.includes('?'))!;
    expect(row).toMatchObject({
      agent: 'bot',
      connector: 'github',
      action: 'github.repo.get',
      method: 'GET',
      path: '/repos/octo/hello?access_token&per_page',
      decision: 'allow',
      status: 200,
      mode: 'enforce',
      error: null,
    });
    expect(row.latency_ms).toBeGreaterThan(0);
    expect(row.bytes_out).toBeGreaterThan(0);
    expect(row.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    const today = h.db.raw
      .prepare("SELECT COUNT(*) AS n FROM traffic_log WHERE created_at > date('now')")
      .get() as { n: number };
    expect(today.n).toBeGreaterThanOrEqual(2);

    const events = (await h.gateway.outbox.pending(10_000)).filter((e) => e.id > before);
    const allowed = events.find(
      (e) => e.event_type === 'action.allowed' && JSON.parse(e.payload).traffic_id === row.id,
    );
    // What the ledger keeps, and the row it refers to for the rest (compact action events).
    expect(JSON.parse(allowed!.payload)).toMatchObject({
      agent: 'bot',
      action: 'github.repo.get',
      decision: 'allow',
      traffic_id: row.id,
    });

    const everything = [
      JSON.stringify(h.db.raw.prepare('SELECT * FROM traffic_log').all()),
      JSON.stringify(h.db.raw.prepare('SELECT * FROM outbox').all()),
      JSON.stringify(h.db.raw.prepare('SELECT * FROM config_cache').all()),
      JSON.stringify(h.db.raw.prepare('SELECT connector, last4, updated_at FROM vault_credentials').all()),
      h.logs.join(''),
    ].join('\n');
    for (const secret of [GITHUB_SECRET, PLAIN_SECRET, 'QUERYSECRET', 'COOKIESECRET', h.keys['bot']!]) {
      expect(everything).not.toContain(secret);
    }
    // And nowhere in the raw database file either (the vault is encrypted at rest).
    h.db.raw.pragma('wal_checkpoint(TRUNCATE)');
    const file = readFileSync(h.db.path).toString('latin1');
    expect(file).not.toContain(GITHUB_SECRET);
  });

  it('refused requests are recorded as denied, with the code in the reason', async () => {
    const r = await get('https://api.github.com/repos/octo/gone', h.proxyUrl('bot'), {});
    expect(r.status).toBe(200);
    const del = await fetch('https://api.github.com/repos/octo/gone', {
      method: 'DELETE',
      dispatcher: new ProxyAgent({ uri: h.proxyUrl('bot'), requestTls: { ca } }),
    });
    expect(del.status).toBe(403);
    const requestId = del.headers.get('x-tameflare-request-id')!;
    const [row] = await h.waitForRows(
      (rs) => rs.length === 1 && rs[0]!.completed_at !== null,
      `request_id = '${requestId}'`,
    );
    expect(row).toMatchObject({ decision: 'deny', status: 403, action: 'github.repo.delete' });
    const event = (await h.gateway.outbox.pending(10_000)).find(
      (e) => JSON.parse(e.payload).traffic_id === row!.id,
    );
    expect(event?.event_type).toBe('action.denied');
  });

  it('monitor mode forwards a request enforce mode would deny, and records "would deny"', async () => {
    const r = await fetch('https://api.github.com/repos/octo/hello', {
      method: 'DELETE',
      dispatcher: new ProxyAgent({ uri: h.proxyUrl('watcher'), requestTls: { ca } }),
    });
    expect(r.status).toBe(200);
    const requestId = r.headers.get('x-tameflare-request-id')!;
    const [row] = await h.waitForRows(
      (rs) => rs.length === 1 && rs[0]!.completed_at !== null,
      `request_id = '${requestId}'`,
    );
    expect(row).toMatchObject({ agent: 'watcher', decision: 'allow', mode: 'monitor', status: 200 });
    expect(row!.reason).toMatch(/^would deny: /);
    const event = (await h.gateway.outbox.pending(10_000)).find(
      (e) => JSON.parse(e.payload).traffic_id === row!.id,
    );
    expect(event?.event_type).toBe('action.would_deny');
  });

  it('outbox acknowledge removes shipped events', async () => {
    const pending = await h.gateway.outbox.pending(5);
    expect(pending.length).toBeGreaterThan(0);
    const last = pending.at(-1)!.id;
    h.gateway.outbox.acknowledge(last);
    expect((await h.gateway.outbox.pending(10_000)).every((e) => e.id > last)).toBe(true);
    // Deleted from gateway.db with the next commit, which the writer makes on its own.
    const left = () =>
      (h.db.raw.prepare('SELECT COUNT(*) AS n FROM outbox WHERE id <= ?').get(last) as { n: number }).n;
    await until(async () => left() === 0);
  });
});

describe('dedicated agent ports', () => {
  it('the port names the agent; the key is still required', async () => {
    const port = h.gateway.agentPort('porty');
    expect(port).toBe(h.agentPorts.porty);
    const ok = await curl([
      '-x',
      `http://porty:${h.keys['porty']}@127.0.0.1:${port}`,
      'http://plain.test/who',
    ]);
    expect(ok.status).toBe(200);
    const noKey = await curl(['-x', `http://127.0.0.1:${port}`, 'http://plain.test/who']);
    expect(noKey.status).toBe(407);
    const otherAgent = await curl([
      '-x',
      `http://bot:${h.keys['bot']}@127.0.0.1:${port}`,
      'http://plain.test/who',
    ]);
    expect(otherAgent.status).toBe(407);
    const rows = await h.waitForRows((rs) => rs.some((r) => r.status === 200), "agent = 'porty'");
    expect(rows.some((r) => r.agent === 'porty' && r.status === 200)).toBe(true);
  });

  it('an agent created with --no-proxy-auth works on its port without a key', async () => {
    const r = await curl([
      '-x',
      `http://127.0.0.1:${h.agentPorts.open}`,
      '--cacert',
      h.caFile,
      'https://api.github.com/repos/o/r',
    ]);
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body).headers.authorization).toBe(`Bearer ${GITHUB_SECRET}`);
  });

  it('removing the agent closes its port without a restart', async () => {
    await h.apply((s) => {
      s.agents = s.agents.filter((a) => a.name !== 'open');
    });
    expect(h.gateway.agentPort('open')).toBeUndefined();
    const r = await curl(['-x', `http://127.0.0.1:${h.agentPorts.open}`, 'http://plain.test/']);
    expect(r.status).toBe(0); // connection refused
  });
});

describe('internal API', () => {
  it('credentials: write-only, metadata back, last four only', async () => {
    const put = await internal('PUT', '/internal/credentials/plain', { secret: 'new-plain-secret-7890' });
    expect(put.status).toBe(200);
    expect(await put.json()).toEqual({ connector: 'plain', set: true, last4: '7890' });
    const list = (await (await internal('GET', '/internal/credentials')).json()) as {
      credentials: { connector: string }[];
    };
    expect(JSON.stringify(list)).not.toContain('new-plain-secret');
    expect(list.credentials.map((c) => c.connector).sort()).toEqual(['github', 'plain']);
    const r = await curl(['-x', h.proxyUrl('bot'), 'http://plain.test/x']);
    expect(JSON.parse(r.body).headers['x-api-key']).toBe('new-plain-secret-7890');
    expect((await internal('DELETE', '/internal/credentials/plain')).status).toBe(200);
    // No stored credential: the agent's own header passes through.
    const own = await curl(['-x', h.proxyUrl('bot'), '-H', 'X-Api-Key: agents-own', 'http://plain.test/x']);
    expect(JSON.parse(own.body).headers['x-api-key']).toBe('agents-own');
    h.gateway.vault.set('plain', new Secret(PLAIN_SECRET));
  });

  it('validates bodies: 400 bad_request with a clear detail', async () => {
    const bad = await internal('PUT', '/internal/credentials/plain', { token: 'x' });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { code: string; detail: string }).detail).toMatch(/secret/);
    const snap = await internal('PUT', '/internal/snapshot', { version: 'x' });
    expect(snap.status).toBe(400);
    expect(((await snap.json()) as { code: string }).code).toBe('bad_request');
    const noToken = await fetch(`http://127.0.0.1:${h.port}/internal/credentials`);
    expect(noToken.status).toBe(401);
  });

  it('snapshot: applies newer versions, refuses older ones with 409', async () => {
    const next = { ...structuredClone(h.snapshot), version: h.snapshot.version + 1 };
    const ok = await internal('PUT', '/internal/snapshot', next);
    expect(ok.status).toBe(200);
    h.snapshot.version = next.version;
    const old = await internal('PUT', '/internal/snapshot', { ...next, version: 1 });
    expect(old.status).toBe(409);
    expect(h.gateway.health()['snapshot_version']).toBe(next.version);
    // Its own control plane's stream is the source of truth: an older version from it (a restored
    // database) is followed rather than refused forever.
    await h.gateway.applySnapshot({ ...structuredClone(next), version: 2 }, { followOlder: true });
    expect(h.gateway.health()['snapshot_version']).toBe(2);
    h.snapshot.version = 2;
  });

  it('local kill switch: activation denies at once and is merged with the snapshot', async () => {
    const on = await internal('POST', '/internal/kill-switch', {
      scope: 'connector:plain',
      reason: 'control plane down',
    });
    expect(on.status).toBe(200);
    const r = await curl(['-x', h.proxyUrl('bot'), 'http://plain.test/x']);
    expect(r.status).toBe(403);
    expect(r.headers).toMatch(/x-tameflare-kill-switch: active/i);
    expect(JSON.parse(r.body).code).toBe('kill_switch_active');
    const gh = await curl([
      '-x',
      h.proxyUrl('bot'),
      '--cacert',
      h.caFile,
      'https://api.github.com/repos/o/r',
    ]);
    expect(gh.status).toBe(200);
    expect((await internal('DELETE', '/internal/kill-switch?scope=connector:plain')).status).toBe(200);
    expect((await curl(['-x', h.proxyUrl('bot'), 'http://plain.test/x'])).status).toBe(200);
    await until(async () =>
      (await h.gateway.outbox.pending(10_000)).some((e) => e.event_type === 'kill_switch.activated'),
    );
  });

  it('ports available: bindable ports, skipping those agents hold', async () => {
    const res = await internal('GET', `/internal/ports/available?count=3&start=${h.agentPorts.porty}`);
    const { ports } = (await res.json()) as { ports: number[] };
    expect(ports).toHaveLength(3);
    expect(ports).not.toContain(h.agentPorts.porty);
  });

  it('health and metrics', async () => {
    const health = (await (await fetch(`http://127.0.0.1:${h.port}/health`)).json()) as Record<
      string,
      unknown
    >;
    expect(health).toMatchObject({ status: 'ok', db: 'ok', version: '0.0.0-test' });
    expect(typeof health['uptime_seconds']).toBe('number');
    const metrics = await (await fetch(`http://127.0.0.1:${h.port}/metrics`)).text();
    expect(metrics).toContain('tameflare_gateway_requests_total{decision="allow",code="allowed"}');
    expect(metrics).toContain('tameflare_gateway_leaf_certificates_minted_total');
  });
});

describe('restart', () => {
  it('a new gateway object on the same gateway.db serves from the cached snapshot and vault', async () => {
    await h.restart();
    const r = await curl(['-x', h.proxyUrl('bot'), '--cacert', h.caFile, 'https://api.github.com/repos/o/r']);
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body).headers.authorization).toBe(`Bearer ${GITHUB_SECRET}`);
  });

  it('the wrong master key stops start-up with a clear error', async () => {
    const pems = await createCertificateAuthority();
    const services = createGatewayServices({
      db: h.db,
      ca: await loadCertificateAuthority(pems.certPem, pems.keyPem),
      masterKey: randomBytes(32),
      upstream: { caPems: [], connectTo: [], allowPrivateEgress: [] },
      registry: new Registry(),
      logger: createLogger({ level: 'silent' }),
      now: () => new Date(),
    });
    const gateway = buildGateway(services, {
      host: '127.0.0.1',
      port: 0,
      agentPortStart: 20000,
      maxBodyBytes: 1024,
      serviceToken: undefined,
      shutdownGraceMs: 200,
      version: 'x',
    });
    await expect(gateway.start()).rejects.toThrow(
      'the master key does not match the one this gateway.db was created with',
    );
    await gateway.close();
    await services.close();
  });
});
