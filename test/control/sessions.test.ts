// Dashboard sign-in (issue 11 item 2, CONTRACTS.md) against a real control plane and SQLite file:
// cookie attributes, CSRF on every cookie-authenticated mutation, id rotation at sign-in, idle and
// absolute expiry, lockout per account and per address, and no difference between an unknown email
// and a wrong password.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashToken } from '../../src/control/auth/secret-tokens.js';
import { SESSION_ABSOLUTE_MS } from '../../src/control/sessions/session-store.js';
import { type ControlHarness, startControlHarness } from '../helpers/control-harness.js';

const PASSWORD = 'correct horse battery staple';
let h: ControlHarness;

beforeAll(async () => {
  h = await startControlHarness();
  const users: [string, string, string][] = [
    ['viewer@example.test', 'viewer password 123', 'viewer'],
    ...[1, 2, 3].map((n): [string, string, string] => [`user${n}@example.test`, PASSWORD, 'admin']),
  ];
  for (const [email, password, role] of users) {
    const r = await h.api('POST', '/v1/users', { email, password, role });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
  }
}, 60_000);

afterAll(async () => {
  await h?.close();
});

interface Answer {
  status: number;
  body: Record<string, unknown>;
  headers: Headers;
}

async function call(
  method: string,
  path: string,
  opts: { body?: unknown; cookie?: string; csrf?: string; headers?: Record<string, string> } = {},
): Promise<Answer> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  if (opts.cookie) headers.cookie = `tf_session=${opts.cookie}`;
  if (opts.csrf) headers['x-csrf-token'] = opts.csrf;
  const res = await fetch(`${h.url}${path}`, {
    method,
    headers,
    body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
  });
  const text = await res.text();
  return {
    status: res.status,
    body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
    headers: res.headers,
  };
}

function cookieOf(a: Answer): string {
  const m = /^tf_session=([^;]*)/.exec(a.headers.get('set-cookie') ?? '');
  if (!m) throw new Error(`no session cookie in ${a.headers.get('set-cookie')}`);
  return m[1]!;
}

async function login(
  email: string,
  password: string,
  extra: { cookie?: string; headers?: Record<string, string> } = {},
) {
  const a = await call('POST', '/v1/auth/login', { body: { email, password }, ...extra });
  return { answer: a, cookie: a.status === 200 ? cookieOf(a) : '', csrf: String(a.body.csrf_token ?? '') };
}

describe('dashboard sessions', () => {
  it('signs in with an HttpOnly SameSite=Strict cookie and answers the CSRF token', async () => {
    const { answer, cookie, csrf } = await login('ADMIN@localhost ', PASSWORD);
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ user: { email: 'admin@localhost', role: 'owner' } });
    expect(csrf.length).toBeGreaterThanOrEqual(32);
    const setCookie = answer.headers.get('set-cookie')!;
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Strict/);
    expect(setCookie).toMatch(/Path=\//);
    expect(setCookie).not.toMatch(/Secure/);
    const me = await call('GET', '/v1/auth/me', { cookie });
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({
      kind: 'session',
      role: 'owner',
      email: 'admin@localhost',
      csrf_token: csrf,
    });
    // Only a hash of the cookie is stored.
    const rows = await h.db.db.selectFrom('sessions').select('id').execute();
    expect(rows.map((r) => r.id)).toContain(hashToken(cookie));
    expect(rows.map((r) => r.id)).not.toContain(cookie);
    const withToken = await call('GET', '/v1/auth/me', { headers: { authorization: `Bearer ${h.token}` } });
    expect(withToken.body.csrf_token).toBeUndefined();
  });

  it('marks the cookie Secure when the browser came over TLS through a proxy', async () => {
    const { answer } = await login('user1@example.test', PASSWORD, {
      headers: { 'x-forwarded-proto': 'https' },
    });
    expect(answer.headers.get('set-cookie')).toMatch(/; Secure/);
  });

  it('requires the CSRF token on every cookie-authenticated mutation, not on bearer calls', async () => {
    const { cookie, csrf } = await login('user2@example.test', PASSWORD);
    const none = await call('POST', '/v1/agents', { cookie, body: { name: 'csrf-a' } });
    expect([none.status, none.body.code]).toEqual([403, 'csrf_failed']);
    const wrong = await call('POST', '/v1/agents', {
      cookie,
      csrf: `${csrf.slice(0, -2)}xx`,
      body: { name: 'csrf-a' },
    });
    expect([wrong.status, wrong.body.code]).toEqual([403, 'csrf_failed']);
    const other = await login('user3@example.test', PASSWORD);
    const crossed = await call('POST', '/v1/agents', { cookie, csrf: other.csrf, body: { name: 'csrf-a' } });
    expect(crossed.status).toBe(403);
    expect(await h.db.db.selectFrom('agents').select('name').where('name', '=', 'csrf-a').execute()).toEqual(
      [],
    );
    const right = await call('POST', '/v1/agents', { cookie, csrf, body: { name: 'csrf-a' } });
    expect(right.status).toBe(201);
    const logoutWithout = await call('POST', '/v1/auth/logout', { cookie });
    expect(logoutWithout.status).toBe(403);
    const bearer = await call('POST', '/v1/agents', {
      headers: { authorization: `Bearer ${h.token}` },
      body: { name: 'csrf-b' },
    });
    expect(bearer.status).toBe(201);
  });

  it('keeps the role of the user: a viewer session cannot change anything', async () => {
    const { cookie, csrf } = await login('viewer@example.test', 'viewer password 123');
    expect((await call('GET', '/v1/agents', { cookie })).status).toBe(200);
    const r = await call('POST', '/v1/agents', { cookie, csrf, body: { name: 'by-viewer' } });
    expect([r.status, r.body.code]).toEqual([403, 'insufficient_role']);
  });

  it('rotates the session id at sign-in: a planted id is worthless afterwards', async () => {
    const first = await login('user1@example.test', PASSWORD);
    const second = await login('user1@example.test', PASSWORD, { cookie: first.cookie });
    expect(second.cookie).not.toBe(first.cookie);
    expect((await call('GET', '/v1/auth/me', { cookie: first.cookie })).status).toBe(401);
    expect((await call('GET', '/v1/auth/me', { cookie: second.cookie })).status).toBe(200);
    // A made-up id presented at sign-in is not adopted either.
    const planted = 'A'.repeat(43);
    const third = await login('user1@example.test', PASSWORD, { cookie: planted });
    expect(third.cookie).not.toBe(planted);
    expect((await call('GET', '/v1/auth/me', { cookie: planted })).status).toBe(401);
  });

  it('ends sessions that were idle too long and sessions past their absolute lifetime', async () => {
    const idle = await login('user2@example.test', PASSWORD);
    await h.db.db
      .updateTable('sessions')
      .set({ expires_at: new Date(Date.now() - 1000).toISOString() })
      .where('id', '=', hashToken(idle.cookie))
      .execute();
    const a = await call('GET', '/v1/auth/me', { cookie: idle.cookie });
    expect([a.status, a.body.code]).toEqual([401, 'unauthenticated']);

    const old = await login('user2@example.test', PASSWORD);
    await h.db.db
      .updateTable('sessions')
      .set({ created_at: new Date(Date.now() - SESSION_ABSOLUTE_MS - 1000).toISOString() })
      .where('id', '=', hashToken(old.cookie))
      .execute();
    expect((await call('GET', '/v1/auth/me', { cookie: old.cookie })).status).toBe(401);
    const left = await h.db.db
      .selectFrom('sessions')
      .select('id')
      .where('id', 'in', [hashToken(idle.cookie), hashToken(old.cookie)])
      .execute();
    expect(left).toEqual([]);
  });

  it('signs out: the row is deleted and the cookie cleared', async () => {
    const { cookie, csrf } = await login('user3@example.test', PASSWORD);
    const out = await call('POST', '/v1/auth/logout', { cookie, csrf });
    expect(out.status).toBe(204);
    expect(out.headers.get('set-cookie')).toMatch(/^tf_session=; .*Max-Age=0/);
    expect((await call('GET', '/v1/auth/me', { cookie })).status).toBe(401);
    expect(
      await h.db.db.selectFrom('sessions').select('id').where('id', '=', hashToken(cookie)).execute(),
    ).toEqual([]);
  });

  it('answers an unknown email exactly as a wrong password', async () => {
    const unknown = await login('nobody@example.test', 'some password here');
    const wrong = await login('viewer@example.test', 'not the password');
    for (const a of [unknown.answer, wrong.answer]) {
      expect(a.status).toBe(401);
      expect(a.headers.get('set-cookie')).toBeNull();
    }
    const strip = (b: Record<string, unknown>) => ({ ...b, request_id: undefined });
    expect(strip(unknown.answer.body)).toEqual(strip(wrong.answer.body));
    expect(unknown.answer.body.code).toBe('invalid_credentials');
  });

  // Each failed sign-in costs a real bcrypt compare, so the server-level test keeps to one lockout;
  // the limiter's arithmetic (windows, per-address spraying, unknown accounts) is unit-tested beside it.
  it('locks an account after repeated failures, with Retry-After, even for the right password', async () => {
    for (let i = 0; i < 5; i++)
      expect((await login('user3@example.test', `wrong ${i}`)).answer.status).toBe(401);
    const locked = await login('user3@example.test', PASSWORD);
    expect([locked.answer.status, locked.answer.body.code]).toEqual([429, 'rate_limited']);
    const retry = Number(locked.answer.headers.get('retry-after'));
    expect(retry).toBeGreaterThan(0);
    expect(retry).toBeLessThanOrEqual(15 * 60);
    expect(locked.answer.body.retry_after).toBe(retry);
    // Another account from the same address still signs in (the address limit is higher).
    expect((await login('user1@example.test', PASSWORD)).answer.status).toBe(200);
  });

  it('rejects a login body with unknown fields or missing members', async () => {
    const extra = await call('POST', '/v1/auth/login', {
      body: { email: 'a@b', password: 'x', remember: true },
    });
    expect([extra.status, extra.body.code]).toEqual([400, 'validation_failed']);
    const missing = await call('POST', '/v1/auth/login', { body: { email: 'a@b' } });
    expect(missing.status).toBe(400);
  });
});
