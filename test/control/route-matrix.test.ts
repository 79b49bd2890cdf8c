// Every route × every kind of caller, checked against the one route-role table: no credential, each
// role's API token, a dashboard session, a revoked token, an expired token, an expired session, an
// agent key, the service token and the maintenance secret. A route added without a line in
// src/control/route-roles.ts cannot start (route-roles.test.ts); one added with a line is covered here
// without further ado.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROLES, type Role } from '../../src/control/accounts/roles.js';
import { hashToken } from '../../src/control/auth/secret-tokens.js';
import { ROUTE_ROLES, type RouteAccess } from '../../src/control/route-roles.js';
import { createApiToken } from '../../src/control/tokens/token-store.js';
import { type ControlHarness, startControlHarness } from '../helpers/control-harness.js';

const MAINTENANCE = 'maintenance-secret-0123456789';
const PASSWORD = 'correct horse battery staple';
let h: ControlHarness;

interface Caller {
  headers(): Record<string, string>;
  /** What the caller is: a role it holds, or a kind of secret. */
  is: Role | 'nobody' | 'agent' | 'service' | 'maintenance';
}
const callers = new Map<string, Caller>();

async function login(): Promise<{ cookie: string; csrf: string }> {
  const res = await fetch(`${h.url}/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'admin@localhost', password: PASSWORD }),
  });
  expect(res.status).toBe(200);
  const cookie = /^tf_session=([^;]*)/.exec(res.headers.get('set-cookie') ?? '')![1]!;
  const { csrf_token } = (await res.json()) as { csrf_token: string };
  return { cookie, csrf: csrf_token };
}

const bearer = (token: string) => () => ({ authorization: `Bearer ${token}` });

beforeAll(async () => {
  h = await startControlHarness({ env: { MAINTENANCE_SECRET: MAINTENANCE } });
  callers.set('no credentials', { is: 'nobody', headers: () => ({}) });
  for (const role of ROLES) {
    const token = role === 'owner' ? h.token : await h.tokenWithRole(role);
    callers.set(`${role} token`, { is: role, headers: bearer(token) });
  }
  const session = await login();
  callers.set('owner session', {
    is: 'owner',
    headers: () => ({ cookie: `tf_session=${session.cookie}`, 'x-csrf-token': session.csrf }),
  });
  const revoked = await h.api<{ token: string; info: { id: string } }>('POST', '/v1/tokens', {
    name: 'r',
    role: 'owner',
  });
  expect((await h.api('DELETE', `/v1/tokens/${revoked.body.info.id}`)).status).toBe(200);
  callers.set('revoked token', { is: 'nobody', headers: bearer(revoked.body.token) });
  const expired = await createApiToken(
    h.db.db,
    { name: 'e', role: 'owner', userId: null, expiresAt: new Date(Date.now() - 1000).toISOString() },
    { actor: 'test' },
  );
  callers.set('expired token', { is: 'nobody', headers: bearer(expired.token) });
  const stale = await login();
  await h.db.db
    .updateTable('sessions')
    .set({ expires_at: new Date(Date.now() - 1000).toISOString() })
    .where('id', '=', hashToken(stale.cookie))
    .execute();
  callers.set('expired session', {
    is: 'nobody',
    headers: () => ({ cookie: `tf_session=${stale.cookie}`, 'x-csrf-token': stale.csrf }),
  });
  const agent = await h.api<{ key: string }>('POST', '/v1/agents', { name: 'matrix-bot' });
  callers.set('agent key', { is: 'agent', headers: bearer(agent.body.key) });
  callers.set('service token', { is: 'service', headers: bearer(h.serviceToken) });
  callers.set('maintenance secret', { is: 'maintenance', headers: bearer(MAINTENANCE) });
}, 60_000);
afterAll(async () => {
  await h?.close();
});

/** Whether a caller gets past a route's access (what the route then answers is its own business). */
function admitted(access: RouteAccess, caller: Caller): boolean {
  if (access === 'public') return true;
  if (access === 'agent' || access === 'service' || access === 'maintenance') return caller.is === access;
  if (!(ROLES as readonly string[]).includes(caller.is)) return false;
  return ROLES.indexOf(caller.is as Role) >= ROLES.indexOf(access);
}

const concrete = (path: string) =>
  path
    .replace(/:id\b/g, '1')
    .replace(/:[a-z_]+/gi, 'x')
    .replace(/\*$/, 'x');

describe('every route × every caller', () => {
  it('covers every served route', () => {
    expect(h.control.routes().filter((r) => !(r in ROUTE_ROLES))).toEqual([]);
  });

  it('lets exactly the callers its access names through, and refuses the others with the right code', async () => {
    const failures: string[] = [];
    // Signing out ends the session the other rows use: it goes last.
    const keys = Object.keys(ROUTE_ROLES).sort(
      (a, b) => Number(a === 'POST /v1/auth/logout') - Number(b === 'POST /v1/auth/logout'),
    );
    for (const key of keys) {
      const access = ROUTE_ROLES[key]!;
      const [method, path] = key.split(' ') as [string, string];
      for (const [name, caller] of callers) {
        // Streams would stay open; their guard is the same as any service route's.
        if (key === 'GET /internal/gateway/stream' && caller.is === 'service') continue;
        const res = await fetch(`${h.url}${concrete(path)}`, { method, headers: caller.headers() });
        const text = await res.text();
        let code: string | undefined;
        try {
          code = (JSON.parse(text) as { code?: string }).code;
        } catch {
          code = undefined; // metrics, YAML, JSONL
        }
        const refusedCodes = ['unauthenticated', 'insufficient_role', 'csrf_failed'];
        const expectIn = admitted(access, caller);
        if (expectIn && refusedCodes.includes(code ?? ''))
          failures.push(`${key} as ${name}: refused (${res.status} ${code})`);
        if (!expectIn) {
          const want =
            (ROLES as readonly string[]).includes(access) && (ROLES as readonly string[]).includes(caller.is)
              ? [403, 'insufficient_role']
              : [401, 'unauthenticated'];
          if (res.status !== want[0] || code !== want[1])
            failures.push(`${key} as ${name}: ${res.status} ${code}, want ${want.join(' ')}`);
        }
      }
    }
    expect(failures).toEqual([]);
  });
});
