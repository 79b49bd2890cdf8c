import { sql } from 'kysely';
import type { Migration } from '../types.js';

// gateway.db: what the gateway needs to run on its own (SPEC 8): the traffic log (seed table), the
// last configuration it received, the credential vault, and the outbox of events for the control plane.
export const gateway0001Init: Migration = {
  name: '0001_init',
  async up(db) {
    await db.schema
      .createTable('traffic_log')
      .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
      .addColumn('request_id', 'text', (c) => c.notNull())
      .addColumn('agent', 'text')
      .addColumn('connector', 'text')
      .addColumn('action', 'text')
      .addColumn('method', 'text', (c) => c.notNull())
      .addColumn('host', 'text', (c) => c.notNull())
      .addColumn('path', 'text', (c) => c.notNull())
      .addColumn('decision', 'text') // NULL until decided: the seed's silent-drop query counts these
      .addColumn('reason', 'text')
      .addColumn('status', 'integer')
      .addColumn('latency_ms', 'real')
      .addColumn('bytes_in', 'integer')
      .addColumn('bytes_out', 'integer')
      .addColumn('error', 'text')
      .addColumn('mode', 'text') // enforce | monitor
      .addColumn('created_at', 'text', (c) => c.notNull()) // ISO-8601 UTC
      .addColumn('completed_at', 'text')
      .execute();
    await db.schema.createIndex('traffic_log_created_at').on('traffic_log').column('created_at').execute();
    await db.schema.createIndex('traffic_log_request_id').on('traffic_log').column('request_id').execute();
    await db.schema
      .createIndex('traffic_log_agent_created_at')
      .on('traffic_log')
      .columns(['agent', 'created_at'])
      .execute();

    await db.schema
      .createTable('config_cache')
      .addColumn('id', 'integer', (c) => c.primaryKey().check(sql`id = 1`))
      .addColumn('version', 'integer', (c) => c.notNull())
      .addColumn('snapshot', 'text', (c) => c.notNull()) // JSON GatewayConfigSnapshot
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('vault_credentials')
      .addColumn('connector', 'text', (c) => c.primaryKey()) // record id, also the AES-GCM associated data
      .addColumn('iv', 'blob', (c) => c.notNull())
      .addColumn('ciphertext', 'blob', (c) => c.notNull())
      .addColumn('tag', 'blob', (c) => c.notNull())
      .addColumn('last4', 'text')
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('outbox')
      .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
      .addColumn('event_type', 'text', (c) => c.notNull())
      .addColumn('payload', 'text', (c) => c.notNull()) // JSON
      .addColumn('created_at', 'text', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('gateway_meta')
      .addColumn('key', 'text', (c) => c.primaryKey())
      .addColumn('value', 'text', (c) => c.notNull())
      .execute();

    // Kill switch activated on the gateway directly (control plane down); merged with the snapshot's.
    await db.schema
      .createTable('local_kill_switch')
      .addColumn('scope', 'text', (c) => c.primaryKey())
      .addColumn('reason', 'text')
      .addColumn('activated_at', 'text', (c) => c.notNull())
      .execute();
  },
};
