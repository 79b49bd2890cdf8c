import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LOCAL_MIGRATIONS } from '../../../migrations/index.js';
import type { LocalDatabase } from '../../storage/local-schema.js';
import { openDatabase } from '../../storage/open-database.js';
import { LoginLimiter } from './login-limiter.js';

const LIMITS = { windowMs: 15 * 60_000, perAccount: 5, perAddress: 20 };
const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

async function limiter() {
  const dir = mkdtempSync(join(tmpdir(), 'tf-limiter-'));
  const opened = await openDatabase<LocalDatabase>(join(dir, 'local.db'), LOCAL_MIGRATIONS);
  cleanups.push(async () => {
    await opened.close();
    rmSync(dir, { recursive: true, force: true });
  });
  let t = Date.parse('2026-01-01T00:00:00Z');
  const l = new LoginLimiter(opened.db, () => new Date(t), LIMITS);
  const rows = async () =>
    Number(
      (
        await opened.db
          .selectFrom('login_failures')
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );
  return { l, advance: (ms: number) => (t += ms), rows };
}

describe('LoginLimiter', () => {
  it('locks an account after 5 failures until the oldest leaves the window', async () => {
    const { l, advance } = await limiter();
    for (let i = 0; i < 5; i++) {
      expect(await l.retryAfterSeconds('1.1.1.1', 'a@x')).toBe(0);
      await l.failed('1.1.1.1', 'a@x');
      advance(60_000);
    }
    // First failure at 0, now 5 min: it leaves the window at 15 min.
    expect(await l.retryAfterSeconds('1.1.1.1', 'a@x')).toBe(10 * 60);
    expect(await l.retryAfterSeconds('2.2.2.2', 'a@x')).toBe(10 * 60);
    expect(await l.retryAfterSeconds('1.1.1.1', 'b@x')).toBe(0);
    advance(10 * 60_000);
    expect(await l.retryAfterSeconds('1.1.1.1', 'a@x')).toBe(0);
  });

  it('counts unknown accounts like known ones', async () => {
    const { l } = await limiter();
    for (let i = 0; i < 5; i++) await l.failed('1.1.1.1', 'nobody@x');
    expect(await l.retryAfterSeconds('3.3.3.3', 'nobody@x')).toBeGreaterThan(0);
  });

  it('throttles one address spraying many accounts', async () => {
    const { l } = await limiter();
    for (let i = 0; i < 20; i++) await l.failed('9.9.9.9', `spray${i}@x`);
    expect(await l.retryAfterSeconds('9.9.9.9', 'fresh@x')).toBe(15 * 60);
    expect(await l.retryAfterSeconds('8.8.8.8', 'fresh@x')).toBe(0);
  });

  it('forgets an account on success but not the address', async () => {
    const { l } = await limiter();
    for (let i = 0; i < 4; i++) await l.failed('1.1.1.1', 'a@x');
    await l.succeeded('a@x');
    for (let i = 0; i < 4; i++) await l.failed('1.1.1.1', 'a@x');
    expect(await l.retryAfterSeconds('1.1.1.1', 'a@x')).toBe(0);
    for (let i = 0; i < 12; i++) await l.failed('1.1.1.1', `other${i}@x`);
    expect(await l.retryAfterSeconds('1.1.1.1', 'a@x')).toBeGreaterThan(0);
  });

  it('keeps no failure past the window', async () => {
    const { l, advance, rows } = await limiter();
    for (let i = 0; i < 3; i++) await l.failed('1.1.1.1', `a${i}@x`);
    expect(await rows()).toBe(6);
    advance(15 * 60_000 + 1);
    await l.failed('2.2.2.2', 'b@x');
    expect(await rows()).toBe(2);
  });
});
