// What the gateway keeps of its configuration in gateway.db, so it starts and runs while the control
// plane is down (SPEC 8): the last snapshot applied (config_cache) and kill switch entries activated
// on the gateway directly (local_kill_switch).
import type Database from 'better-sqlite3';
import type { KillSwitchEntry, KillSwitchScope } from '../../decide/types.js';
import type { GatewayConfigSnapshot } from '../../sync/snapshot.js';
import { parseSnapshot } from './snapshot-schema.js';

export type CachedSnapshot =
  | { ok: true; snapshot: GatewayConfigSnapshot }
  | { ok: false; error: string; version: number }
  | undefined;

export class ConfigStore {
  readonly #raw: Database.Database;

  constructor(raw: Database.Database) {
    this.#raw = raw;
  }

  /** The cached snapshot, validated; undefined when none was ever stored. */
  loadSnapshot(): CachedSnapshot {
    const row = this.#raw.prepare('SELECT version, snapshot FROM config_cache WHERE id = 1').get() as
      | { version: number; snapshot: string }
      | undefined;
    if (!row) return undefined;
    let value: unknown;
    try {
      value = JSON.parse(row.snapshot);
    } catch {
      return { ok: false, error: 'the cached snapshot is not valid JSON', version: row.version };
    }
    const parsed = parseSnapshot(value);
    return parsed.ok ? parsed : { ok: false, error: parsed.error, version: row.version };
  }

  cachedVersion(): number | undefined {
    const row = this.#raw.prepare('SELECT version FROM config_cache WHERE id = 1').get() as
      | { version: number }
      | undefined;
    return row?.version;
  }

  saveSnapshot(snapshot: GatewayConfigSnapshot, now: Date): void {
    this.#raw
      .prepare(
        `INSERT INTO config_cache (id, version, snapshot, updated_at) VALUES (1, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET version = excluded.version, snapshot = excluded.snapshot,
           updated_at = excluded.updated_at`,
      )
      .run(snapshot.version, JSON.stringify(snapshot), now.toISOString());
  }

  localKillSwitch(): KillSwitchEntry[] {
    const rows = this.#raw
      .prepare('SELECT scope, reason, activated_at FROM local_kill_switch ORDER BY activated_at, scope')
      .all() as { scope: string; reason: string | null; activated_at: string }[];
    return rows.map((r) => ({
      scope: r.scope as KillSwitchScope,
      ...(r.reason === null ? {} : { reason: r.reason }),
      activatedAt: r.activated_at,
    }));
  }

  activateKillSwitch(scope: KillSwitchScope, reason: string | undefined, now: Date): void {
    this.#raw
      .prepare(
        `INSERT INTO local_kill_switch (scope, reason, activated_at) VALUES (?, ?, ?)
         ON CONFLICT (scope) DO UPDATE SET reason = excluded.reason`,
      )
      .run(scope, reason ?? null, now.toISOString());
  }

  deactivateKillSwitch(scope: KillSwitchScope): boolean {
    return this.#raw.prepare('DELETE FROM local_kill_switch WHERE scope = ?').run(scope).changes > 0;
  }
}
