// Users and API tokens through the real API (control plane on loopback, SQLite file): who may do
// what, the last owner, role bounds, show-once secrets and the audit event of every change.
import { createHash } from 'node:crypto';
import bcrypt from 'bcryptjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiToken } from '../../src/control/tokens/token-store.js';
import type { CreatedTokenAnswer, TokenList } from '../../src/wire/tokens.js';
import type { CreatedUserAnswer, UserList } from '../../src/wire/users.js';
import { type ControlHarness, startControlHarness } from '../helpers/control-harness.js';

let h: ControlHarness;
beforeAll(async () => {
  h = await startControlHarness();
});
afterAll(async () => {
  await h?.close();
});

const PASSWORD = 'a long enough password 1';

async function userId(email: string): Promise<string> {
  const row = await h.db.db
    .selectFrom('users')
    .select('id')
    .where('email', '=', email)
    .executeTakeFirstOrThrow();
  return row.id;
}

/** A token acting for a person, as if they had made it. */
async function tokenFor(email: string, role: 'viewer' | 'member' | 'admin' | 'owner'): Promise<string> {
  const { token } = await createApiToken(
    h.db.db,
    { name: `for-${email}`, role, userId: await userId(email), expiresAt: null },
    { actor: 'test' },
  );
  return token;
}

async function lastEvent(type: string) {
  return h.db.db
    .selectFrom('audit_events')
    .selectAll()
    .where('event_type', '=', type)
    .orderBy('id', 'desc')
    .executeTakeFirst();
}

describe('users', () => {
  it('an owner adds a user with a given password, stored only as a bcrypt hash', async () => {
    const res = await h.api<CreatedUserAnswer>('POST', '/v1/users', {
      email: 'Ann@Example.org',
      role: 'admin',
      password: PASSWORD,
    });
    expect(res.status).toBe(201);
    expect(res.body.user).toMatchObject({ email: 'ann@example.org', role: 'admin' });
    expect(res.body.password).toBeUndefined();
    const row = await h.db.db
      .selectFrom('users')
      .select('password_hash')
      .where('email', '=', 'ann@example.org')
      .executeTakeFirstOrThrow();
    expect(row.password_hash).toMatch(/^\$2[aby]\$12\$/);
    expect(await bcrypt.compare(PASSWORD, row.password_hash)).toBe(true);
    const ev = await lastEvent('user.created');
    expect(ev).toMatchObject({ subject: 'user:ann@example.org', actor: 'token:cli (local)' });
    expect(JSON.parse(ev!.details)).toEqual({ role: 'admin' });
  });

  it('generates a password and answers it once when none is given', async () => {
    const res = await h.api<CreatedUserAnswer>('POST', '/v1/users', {
      email: 'bob@example.org',
      role: 'viewer',
    });
    expect(res.status).toBe(201);
    expect(res.body.password).toMatch(/^[A-Za-z0-9_-]{24}$/);
    const list = await h.api<UserList>('GET', '/v1/users');
    expect(JSON.stringify(list.body)).not.toContain(res.body.password!);
    expect(list.body.users.map((u) => u.email)).toEqual([
      'admin@localhost',
      'ann@example.org',
      'bob@example.org',
    ]);
  });

  it('refuses bad input with a clear error', async () => {
    const cases: [unknown, number, RegExp][] = [
      [{ email: 'ann@example.org', role: 'viewer', password: PASSWORD }, 409, /already exists/],
      [{ email: 'not-an-email', role: 'viewer' }, 400, /not an email/],
      [{ email: 'c@example.org', role: 'viewer', password: 'short' }, 400, /at least 12/],
      [{ email: 'c@example.org', role: 'viewer', password: 'é'.repeat(40) }, 400, /at most 72 bytes/],
      [{ email: 'c@example.org', role: 'root' }, 400, /role/],
      [{ email: 'c@example.org', role: 'viewer', admin: true }, 400, /admin/],
    ];
    for (const [body, status, detail] of cases) {
      const res = await h.api<{ detail?: string; error?: { message: string } }>('POST', '/v1/users', body);
      expect(res.status, JSON.stringify(body)).toBe(status);
      expect(res.body.detail ?? res.body.error?.message).toMatch(detail);
    }
  });

  it('lets admins list users but not change them', async () => {
    const admin = await tokenFor('ann@example.org', 'admin');
    expect((await h.api('GET', '/v1/users', undefined, admin)).status).toBe(200);
    const add = await h.api('POST', '/v1/users', { email: 'x@example.org', role: 'viewer' }, admin);
    expect(add.status).toBe(403);
    expect((await h.api('PUT', '/v1/users/bob%40example.org/role', { role: 'admin' }, admin)).status).toBe(
      403,
    );
    const viewer = await tokenFor('bob@example.org', 'viewer');
    expect((await h.api('GET', '/v1/users', undefined, viewer)).status).toBe(403);
  });

  it('never removes or demotes the last owner', async () => {
    const demote = await h.api<{ reason?: string; error?: { details?: { reason?: string } } }>(
      'PUT',
      '/v1/users/admin%40localhost/role',
      { role: 'admin' },
    );
    expect(demote.status).toBe(409);
    expect(demote.body.reason ?? demote.body.error?.details?.reason).toBe('last_owner');
    expect((await h.api('DELETE', '/v1/users/admin%40localhost')).status).toBe(409);
    // With a second owner, the first may step down; then the second is the last one.
    expect((await h.api('PUT', '/v1/users/ann%40example.org/role', { role: 'owner' })).status).toBe(200);
    const annOwner = await tokenFor('ann@example.org', 'owner');
    expect((await h.api('PUT', '/v1/users/admin%40localhost/role', { role: 'admin' }, annOwner)).status).toBe(
      200,
    );
    expect(
      (await h.api('PUT', '/v1/users/ann%40example.org/role', { role: 'member' }, annOwner)).status,
    ).toBe(409);
    const ev = await lastEvent('user.role_changed');
    expect(JSON.parse(ev!.details)).toEqual({ from: 'owner', to: 'admin' });
    // Restore: the harness's CLI token acts for admin@localhost.
    expect((await h.api('PUT', '/v1/users/admin%40localhost/role', { role: 'owner' }, annOwner)).status).toBe(
      200,
    );
  });

  it('bounds a token by its person: demoting the person lowers the token at once', async () => {
    await h.api('POST', '/v1/users', { email: 'dora@example.org', role: 'admin', password: PASSWORD });
    const token = await tokenFor('dora@example.org', 'admin');
    expect((await h.api('POST', '/v1/permissions/preset', {}, token)).status).not.toBe(403);
    expect((await h.api('PUT', '/v1/users/dora%40example.org/role', { role: 'viewer' })).status).toBe(200);
    const refused = await h.api('POST', '/v1/permissions/preset', {}, token);
    expect(refused.status).toBe(403);
    expect((await h.api('GET', '/v1/agents', undefined, token)).status).toBe(200);
  });

  it("removing a user removes their tokens and sessions, in the same audit event's transaction", async () => {
    await h.api('POST', '/v1/users', { email: 'eve@example.org', role: 'member', password: PASSWORD });
    const token = await tokenFor('eve@example.org', 'member');
    expect((await h.api('GET', '/v1/agents', undefined, token)).status).toBe(200);
    const res = await h.api<{ deleted: boolean; tokens_removed: number }>(
      'DELETE',
      '/v1/users/eve%40example.org',
    );
    expect(res.body).toEqual({ deleted: true, tokens_removed: 1 });
    expect((await h.api('GET', '/v1/agents', undefined, token)).status).toBe(401);
    expect(JSON.parse((await lastEvent('user.removed'))!.details)).toEqual({
      role: 'member',
      tokens_removed: 1,
    });
    expect((await h.api('DELETE', '/v1/users/eve%40example.org')).status).toBe(404);
  });

  it('sets a password (owner) and changes your own (with the current one)', async () => {
    const set = await h.api<{ password?: string }>('PUT', '/v1/users/bob%40example.org/password', {});
    expect(set.status).toBe(200);
    expect(set.body.password).toMatch(/^[A-Za-z0-9_-]{24}$/);
    const bob = await tokenFor('bob@example.org', 'viewer');
    const wrong = await h.api(
      'PUT',
      '/v1/account/password',
      { current_password: 'nope nope nope', new_password: PASSWORD },
      bob,
    );
    expect(wrong.status).toBe(403);
    const ok = await h.api(
      'PUT',
      '/v1/account/password',
      { current_password: set.body.password, new_password: PASSWORD },
      bob,
    );
    expect(ok.status).toBe(200);
    const row = await h.db.db
      .selectFrom('users')
      .select('password_hash')
      .where('email', '=', 'bob@example.org')
      .executeTakeFirstOrThrow();
    expect(await bcrypt.compare(PASSWORD, row.password_hash)).toBe(true);
    expect((await lastEvent('user.password_changed'))?.actor).toBe('token:for-bob@example.org');
    // A token of no person has no password to change.
    const system = await h.tokenWithRole('viewer');
    const none = await h.api(
      'PUT',
      '/v1/account/password',
      { current_password: PASSWORD, new_password: `${PASSWORD}!` },
      system,
    );
    expect(none.status).toBe(403);
  });
});

describe('API tokens', () => {
  it('are shown once, stored as a SHA-256 hash and listed by prefix', async () => {
    const res = await h.api<CreatedTokenAnswer>('POST', '/v1/tokens', {
      name: 'ci',
      role: 'member',
      expires_in_seconds: 3600,
    });
    expect(res.status).toBe(201);
    const { token, info } = res.body;
    expect(token).toMatch(/^tf_pat_[A-Za-z0-9_-]{43}$/);
    expect(info).toMatchObject({
      name: 'ci',
      role: 'member',
      status: 'active',
      user: 'admin@localhost',
      prefix: token.slice(0, 13),
    });
    expect(Date.parse(info.expires_at!) - Date.parse(info.created_at)).toBe(3_600_000);
    const row = await h.db.db
      .selectFrom('api_tokens')
      .selectAll()
      .where('id', '=', info.id)
      .executeTakeFirstOrThrow();
    expect(row.token_hash).toBe(createHash('sha256').update(token).digest('hex'));
    expect(JSON.stringify(row)).not.toContain(token);
    const list = await h.api<TokenList>('GET', '/v1/tokens');
    expect(JSON.stringify(list.body)).not.toContain(token);
    expect(list.body.tokens.find((t) => t.id === info.id)?.prefix).toBe(token.slice(0, 13));
    expect((await h.api('GET', '/v1/agents', undefined, token)).status).toBe(200);
    expect(JSON.parse((await lastEvent('token.created'))!.details)).toMatchObject({
      id: info.id,
      role: 'member',
    });
  });

  it('defaults to viewer and never goes above its creator', async () => {
    const member = await tokenFor('bob@example.org', 'viewer');
    const made = await h.api<CreatedTokenAnswer>('POST', '/v1/tokens', { name: 'mine' }, member);
    expect(made.status).toBe(201);
    expect(made.body.info.role).toBe('viewer');
    const above = await h.api<{ required_role?: string }>(
      'POST',
      '/v1/tokens',
      { name: 'up', role: 'admin' },
      member,
    );
    expect(above.status).toBe(403);
    // A token made by a token: bounded by the maker's effective role too.
    const admin = await h.tokenWithRole('admin');
    expect((await h.api('POST', '/v1/tokens', { name: 'o', role: 'owner' }, admin)).status).toBe(403);
    expect((await h.api('POST', '/v1/tokens', { name: 'a', role: 'admin' }, admin)).status).toBe(201);
  });

  it('refuses expired and revoked tokens', async () => {
    const { token: expired } = await createApiToken(
      h.db.db,
      { name: 'old', role: 'owner', userId: null, expiresAt: new Date(Date.now() - 1000).toISOString() },
      { actor: 'test' },
    );
    expect((await h.api('GET', '/v1/agents', undefined, expired)).status).toBe(401);
    const made = await h.api<CreatedTokenAnswer>('POST', '/v1/tokens', { name: 'short' });
    expect((await h.api('DELETE', `/v1/tokens/${made.body.info.id}`)).status).toBe(200);
    expect((await h.api('GET', '/v1/agents', undefined, made.body.token)).status).toBe(401);
    expect((await h.api('DELETE', `/v1/tokens/${made.body.info.id}`)).status).toBe(409);
    const listed = (await h.api<TokenList>('GET', '/v1/tokens')).body.tokens.find(
      (t) => t.id === made.body.info.id,
    );
    expect(listed?.status).toBe('revoked');
    expect(
      (await h.api('POST', '/v1/tokens', { name: 'past', expires_at: '2001-01-01T00:00:00Z' })).status,
    ).toBe(400);
    expect(JSON.parse((await lastEvent('token.revoked'))!.details)).toMatchObject({ id: made.body.info.id });
  });

  it('shows a viewer only its own tokens; admins see all but revoke only up to admin', async () => {
    const viewer = await tokenFor('bob@example.org', 'viewer');
    const mine = (await h.api<TokenList>('GET', '/v1/tokens', undefined, viewer)).body.tokens;
    expect(mine.length).toBeGreaterThan(0);
    expect(mine.every((t) => t.user === 'bob@example.org')).toBe(true);
    const ownerToken = (
      await h.api<CreatedTokenAnswer>('POST', '/v1/tokens', { name: 'owner-only', role: 'owner' })
    ).body;
    expect((await h.api('DELETE', `/v1/tokens/${ownerToken.info.id}`, undefined, viewer)).status).toBe(404);
    const admin = await tokenFor('ann@example.org', 'admin');
    await h.api('PUT', '/v1/users/ann%40example.org/role', { role: 'admin' });
    const all = (await h.api<TokenList>('GET', '/v1/tokens', undefined, admin)).body.tokens;
    expect(all.some((t) => t.id === ownerToken.info.id)).toBe(true);
    expect((await h.api('DELETE', `/v1/tokens/${ownerToken.info.id}`, undefined, admin)).status).toBe(403);
    const memberToken = (await h.api<CreatedTokenAnswer>('POST', '/v1/tokens', { name: 'm', role: 'member' }))
      .body;
    expect((await h.api('DELETE', `/v1/tokens/${memberToken.info.id}`, undefined, admin)).status).toBe(200);
  });
});
