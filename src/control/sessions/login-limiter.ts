// Login throttling: failed sign-ins are counted per client address and per account (the email as
// typed, known or not, so the limiter says nothing about which accounts exist). Past the limit every
// attempt, right password included, is refused with the wait until the oldest failure ages out.
//
// Threat model: online password guessing against one account (per-account limit) and spraying one
// password over many accounts from one place (per-address limit). Failures are kept in the database
// (`login_failures`), so a restart does not forgive them and several control-plane processes on one
// database count together: the lock trips after the same number of attempts whichever process they
// reach. Attempts that run at the same moment may each pass the check before any is counted (the
// bcrypt compare sits between), which lets a burst exceed the limit by its width, never a sequence.
import type { Db } from '../db.js';

export interface LoginLimits {
  windowMs: number;
  perAccount: number;
  perAddress: number;
}

export const DEFAULT_LOGIN_LIMITS: LoginLimits = { windowMs: 15 * 60 * 1000, perAccount: 5, perAddress: 20 };

export class LoginLimiter {
  readonly #db: Db;
  readonly #limits: LoginLimits;
  readonly #now: () => Date;

  constructor(db: Db, now: () => Date, limits: LoginLimits = DEFAULT_LOGIN_LIMITS) {
    this.#db = db;
    this.#now = now;
    this.#limits = limits;
  }

  /** Seconds to wait before trying again, or 0 when an attempt may be made. */
  async retryAfterSeconds(address: string, account: string): Promise<number> {
    const t = this.#now().getTime();
    const ip = `ip:${address}`;
    const acct = `account:${account}`;
    const rows = await this.#db
      .selectFrom('login_failures')
      .select(['key', 'failed_at'])
      .where('key', 'in', [ip, acct])
      .where('failed_at', '>', new Date(t - this.#limits.windowMs).toISOString())
      .orderBy('failed_at')
      .execute();
    const times = (key: string) => rows.filter((r) => r.key === key).map((r) => Date.parse(r.failed_at));
    const wait = Math.max(
      this.#wait(times(ip), this.#limits.perAddress, t),
      this.#wait(times(acct), this.#limits.perAccount, t),
    );
    return wait > 0 ? Math.max(1, Math.ceil(wait / 1000)) : 0;
  }

  async failed(address: string, account: string): Promise<void> {
    const now = this.#now();
    const at = now.toISOString();
    await this.#db
      .insertInto('login_failures')
      .values([
        { key: `ip:${address}`, failed_at: at },
        { key: `account:${account}`, failed_at: at },
      ])
      .execute();
    // What left the window counts for nothing: the table holds at most a window's failures, and the
    // per-address limit bounds how many one client can add in a window.
    await this.#db
      .deleteFrom('login_failures')
      .where('failed_at', '<=', new Date(now.getTime() - this.#limits.windowMs).toISOString())
      .execute();
  }

  /** A successful sign-in clears the account's failures (not the address's: spraying goes on). */
  async succeeded(account: string): Promise<void> {
    await this.#db.deleteFrom('login_failures').where('key', '=', `account:${account}`).execute();
  }

  #wait(list: number[], limit: number, t: number): number {
    if (list.length < limit) return 0;
    // The attempt becomes possible when enough failures have left the window.
    const oldestThatMustExpire = list[list.length - limit]!;
    return oldestThatMustExpire + this.#limits.windowMs - t;
  }
}
