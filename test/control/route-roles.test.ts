// The route-role table (src/control/route-roles.ts) against the real server: every served route is
// in the table and every table line is served, and each line's access is what a caller meets.
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/config/resolve-config.js';
import { ROLES, type Role } from '../../src/control/accounts/roles.js';
import { buildControlPlane } from '../../src/control/build-control-plane.js';
import { ROUTE_ROLES, type RouteAccess } from '../../src/control/route-roles.js';
import { type ControlHarness, startControlHarness } from '../helpers/control-harness.js';

let h: ControlHarness;
const tokens = new Map<Role, string>();
beforeAll(async () => {
  h = await startControlHarness({ env: { MAINTENANCE_SECRET: 'maintenance-secret-0123456789' } });
  for (const role of ROLES) tokens.set(role, role === 'owner' ? h.token : await h.tokenWithRole(role));
});
afterAll(async () => {
  await h?.close();
});

const entries = Object.entries(ROUTE_ROLES) as [string, RouteAccess][];

/** A concrete URL for a route pattern (`:name` → a name; the route need not find anything). */
function concrete(path: string): string {
  return path.replace(/:id\b/g, '1').replace(/:[a-z]+/g, 'x');
}

async function call(key: string, token?: string) {
  const [method, path] = key.split(' ') as [string, string];
  const res = await fetch(`${h.url}${concrete(path)}`, {
    method,
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
  const text = await res.text();
  let body: { code?: string; required_role?: string } = {};
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    // metrics and YAML answers are not JSON
  }
  return { status: res.status, code: body.code, body };
}

describe('the route-role table', () => {
  it('names every route the server has, and the server has every route it names', () => {
    const served = h.control.routes();
    expect(served.filter((r) => !(r in ROUTE_ROLES))).toEqual([]);
    expect(Object.keys(ROUTE_ROLES).filter((r) => !served.includes(r))).toEqual([]);
  });

  it('refuses to register a route it does not name', async () => {
    const dataDir = h.dataDir;
    const { config } = resolveConfig({ flags: { dataDir, port: '0', role: 'control' }, env: {} });
    const control = buildControlPlane({
      config,
      logger: pino({ level: 'silent' }),
      db: h.db,
      metrics: new Registry(),
      version: 'test',
      routes: [(app, scope) => scope === 'v1' && app.get('/unlisted', async () => ({ open: true }))],
    });
    await expect(control.start()).rejects.toThrow(
      /GET \/v1\/unlisted has no entry in src\/control\/route-roles\.ts/,
    );
    await control.close();
  });

  it('asks every role route for a token, and refuses the role just below its own', async () => {
    for (const [key, access] of entries) {
      if (!(ROLES as readonly string[]).includes(access)) continue;
      const anonymous = await call(key);
      expect([anonymous.status, anonymous.code], `${key} without a token`).toEqual([401, 'unauthenticated']);
      const below = ROLES[ROLES.indexOf(access as Role) - 1];
      if (!below) continue;
      const refused = await call(key, tokens.get(below));
      expect([refused.status, refused.code], `${key} as ${below}`).toEqual([403, 'insufficient_role']);
      expect(refused.body.required_role).toBe(access);
      // The role itself gets past the guard (whatever the route then answers).
      const allowed = await call(key, tokens.get(access as Role));
      expect([401, 403], `${key} as ${access}`).not.toContain(allowed.status);
    }
  });

  it('keeps secret-guarded routes closed to API tokens and open routes open', async () => {
    for (const [key, access] of entries) {
      if (access === 'public') {
        // Sign-in is open but needs a body: without one it is a validation error, not a 401.
        expect((await call(key)).status, key).toBe(key === 'POST /v1/auth/login' ? 400 : 200);
      } else if (access === 'service' || access === 'maintenance') {
        const r = await call(key, h.token);
        expect([r.status, r.code], `${key} with an API token`).toEqual([401, 'unauthenticated']);
      }
    }
  });

  it('lets the maintenance secret through and nothing else', async () => {
    const ok = await call('POST /api/maintenance/cleanup', 'maintenance-secret-0123456789');
    expect(ok.status).toBe(200);
  });
});
