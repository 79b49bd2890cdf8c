import type { Migration } from '../types.js';

// State several control-plane processes on one database must share: the gateway streams open on
// each (with an expiry renewed by a heartbeat, so a dead process's streams stop counting), and failed
// sign-ins, so the login throttle counts attempts whichever process they reach.
export const local0007ClusterState: Migration = {
  name: '0007_cluster_state',
  async up(db) {
    await db.schema
      .createTable('gateway_streams')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('gateway_id', 'text', (c) => c.notNull())
      .addColumn('ca_fingerprint', 'text')
      .addColumn('opened_at', 'text', (c) => c.notNull())
      .addColumn('expires_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('gateway_streams_gateway')
      .on('gateway_streams')
      .columns(['gateway_id', 'expires_at'])
      .execute();

    await db.schema
      .createTable('login_failures')
      .addColumn('key', 'text', (c) => c.notNull()) // ip:ADDRESS or account:EMAIL
      .addColumn('failed_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('login_failures_key')
      .on('login_failures')
      .columns(['key', 'failed_at'])
      .execute();
    await db.schema.createIndex('login_failures_time').on('login_failures').column('failed_at').execute();
  },
};
