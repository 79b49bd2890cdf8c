import type { Migration } from '../types.js';

// PostgreSQL twin of migrations/local/0003-connector-allow-cleartext.ts (same name, same change).

// A connector may allow its stored credential to be injected into plain-HTTP requests (an internal
// host without TLS). Off for every existing connector: the gateway then refuses cleartext injection
// with 403 insecure_transport, which is the point (issue 9).
export const postgres0003ConnectorAllowCleartext: Migration = {
  name: '0003_connector_allow_cleartext',
  async up(db) {
    await db.schema
      .alterTable('connectors')
      .addColumn('allow_cleartext', 'integer', (c) => c.notNull().defaultTo(0))
      .execute();
  },
};
