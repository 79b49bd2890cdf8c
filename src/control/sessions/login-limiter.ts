// Login throttling: failed sign-ins are counted per client address and per account (the email as
// typed, known or not, so the limiter says nothing about which accounts exist). Past the limit every
// attempt, right password included, is refused with the wait until the oldest failure ages out.
//
// Threat model: online password guessing against one account (per-account limit) and spraying one
// password over many accounts from one place (per-address limit). In memory: a restart forgives, and
// several control planes each count their own; both only weaken the limit by a small factor.
import { LRUCache } from 'lru-cache';

export interface LoginLimits {
  windowMs: number;
  perAccount: number;
  perAddress: number;
}

export const DEFAULT_LOGIN_LIMITS: LoginLimits = { windowMs: 15 * 60 * 1000, perAccount: 5, perAddress: 20 };

export class LoginLimiter {
  readonly #limits: LoginLimits;
  readonly #now: () => Date;
  // Bounded so a flood of made-up emails cannot grow memory without end.
  readonly #failures = new LRUCache<string, number[]>({ max: 50_000 });

  constructor(now: () => Date, limits: LoginLimits = DEFAULT_LOGIN_LIMITS) {
    this.#now = now;
    this.#limits = limits;
  }

  /** Seconds to wait before trying again, or 0 when an attempt may be made. */
  retryAfterSeconds(address: string, account: string): number {
    const t = this.#now().getTime();
    const wait = Math.max(
      this.#wait(`ip:${address}`, this.#limits.perAddress, t),
      this.#wait(`account:${account}`, this.#limits.perAccount, t),
    );
    return wait > 0 ? Math.max(1, Math.ceil(wait / 1000)) : 0;
  }

  failed(address: string, account: string): void {
    const t = this.#now().getTime();
    for (const key of [`ip:${address}`, `account:${account}`]) {
      const list = this.#recent(key, t);
      list.push(t);
      this.#failures.set(key, list);
    }
  }

  /** A successful sign-in clears the account's failures (not the address's: spraying goes on). */
  succeeded(account: string): void {
    this.#failures.delete(`account:${account}`);
  }

  #recent(key: string, t: number): number[] {
    return (this.#failures.get(key) ?? []).filter((x) => x > t - this.#limits.windowMs);
  }

  #wait(key: string, limit: number, t: number): number {
    const list = this.#recent(key, t);
    if (list.length < limit) return 0;
    // The attempt becomes possible when enough failures have left the window.
    const oldestThatMustExpire = list[list.length - limit]!;
    return oldestThatMustExpire + this.#limits.windowMs - t;
  }
}
