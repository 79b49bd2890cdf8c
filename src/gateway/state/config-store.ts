// What the gateway keeps of its configuration in gateway.db, so it starts and runs while the control
// plane is down (SPEC 8): the last snapshot applied (config_cache) and kill switch entries activated
// on the gateway directly (local_kill_switch). Read once at start; afterwards the in-memory copy is
// the truth and every change is persisted through the writer thread (`persist`), so a lock on
// gateway.db held by another process never delays a change taking effect.
import type Database from 'better-sqlite3';
import type { KillSwitchEntry, KillSwitchScope } from '../../decide/types.js';
import type { GatewayConfigSnapshot } from '../../sync/snapshot.js';
import { parseSnapshot } from './snapshot-schema.js';

export type CachedSnapshot =
  | { ok: true; snapshot: GatewayConfigSnapshot }
  | { ok: false; error: string; version: number }
  | undefined;

/** Runs a write in order with the gateway's other writes, retried until it commits. */
export type Persist = (sql: string, params: unknown[], jsonParams?: number[]) => void;

export class ConfigStore {
  readonly #raw: Database.Database;
  readonly #persist: Persist;
  #version: number | undefined;
  #killSwitch: KillSwitchEntry[] | undefined;

  constructor(raw: Database.Database, persist: Persist) {
    this.#raw = raw;
    this.#persist = persist;
  }

  /** The cached snapshot, validated; undefined when none was ever stored. Start-up only. */
  loadSnapshot(): CachedSnapshot {
    const row = this.#raw.prepare('SELECT version, snapshot FROM config_cache WHERE id = 1').get() as
      | { version: number; snapshot: string }
      | undefined;
    if (!row) return undefined;
    this.#version = row.version;
    let value: unknown;
    try {
      value = JSON.parse(row.snapshot);
    } catch {
      return { ok: false, error: 'the cached snapshot is not valid JSON', version: row.version };
    }
    const parsed = parseSnapshot(value);
    return parsed.ok ? parsed : { ok: false, error: parsed.error, version: row.version };
  }

  /** The version of the snapshot last stored (or being stored). */
  cachedVersion(): number | undefined {
    return this.#version;
  }

  saveSnapshot(snapshot: GatewayConfigSnapshot, now: Date): void {
    this.#version = snapshot.version;
    this.#persist(
      `INSERT INTO config_cache (id, version, snapshot, updated_at) VALUES (1, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET version = excluded.version, snapshot = excluded.snapshot,
           updated_at = excluded.updated_at`,
      [snapshot.version, snapshot, now.toISOString()],
      [1],
    );
  }

  localKillSwitch(): KillSwitchEntry[] {
    this.#killSwitch ??= this.#loadKillSwitch();
    return [...this.#killSwitch];
  }

  activateKillSwitch(scope: KillSwitchScope, reason: string | undefined, now: Date): void {
    const entries = this.localKillSwitch();
    const existing = entries.find((e) => e.scope === scope);
    const entry: KillSwitchEntry = {
      scope,
      ...(reason === undefined ? {} : { reason }),
      activatedAt: existing?.activatedAt ?? now.toISOString(),
    };
    this.#killSwitch = existing ? entries.map((e) => (e === existing ? entry : e)) : [...entries, entry];
    this.#persist(
      `INSERT INTO local_kill_switch (scope, reason, activated_at) VALUES (?, ?, ?)
         ON CONFLICT (scope) DO UPDATE SET reason = excluded.reason`,
      [scope, reason ?? null, now.toISOString()],
    );
  }

  deactivateKillSwitch(scope: KillSwitchScope): boolean {
    const entries = this.localKillSwitch();
    const kept = entries.filter((e) => e.scope !== scope);
    if (kept.length === entries.length) return false;
    this.#killSwitch = kept;
    this.#persist('DELETE FROM local_kill_switch WHERE scope = ?', [scope]);
    return true;
  }

  #loadKillSwitch(): KillSwitchEntry[] {
    const rows = this.#raw
      .prepare('SELECT scope, reason, activated_at FROM local_kill_switch ORDER BY activated_at, scope')
      .all() as { scope: string; reason: string | null; activated_at: string }[];
    return rows.map((r) => ({
      scope: r.scope as KillSwitchScope,
      ...(r.reason === null ? {} : { reason: r.reason }),
      activatedAt: r.activated_at,
    }));
  }
}
