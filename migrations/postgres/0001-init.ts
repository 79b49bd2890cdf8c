import type { Migration } from '../types.js';

// The control plane's state on PostgreSQL: the same tables, columns and indexes as local.db's
// migrations/local/0001-init.ts (test/postgres/schema-parity.test.ts compares them). Differences of
// spelling only: identity columns for SQLite's AUTOINCREMENT. Timestamps stay ISO-8601 text and
// flags stay integers, so every store's SQL reads the same on both.
export const postgres0001Init: Migration = {
  name: '0001_init',
  async up(db) {
    await db.schema
      .createTable('audit_events')
      .addColumn('id', 'integer', (c) => c.primaryKey().generatedByDefaultAsIdentity())
      .addColumn('event_type', 'text', (c) => c.notNull())
      .addColumn('actor', 'text', (c) => c.notNull())
      .addColumn('subject', 'text')
      .addColumn('details', 'text', (c) => c.notNull().defaultTo('{}')) // JSON
      .addColumn('created_at', 'text', (c) => c.notNull()) // ISO-8601 UTC
      .addColumn('prev_hash', 'text')
      .addColumn('hash', 'text')
      .execute();
    await db.schema.createIndex('audit_events_created_at').on('audit_events').column('created_at').execute();
    await db.schema.createIndex('audit_events_event_type').on('audit_events').column('event_type').execute();

    await db.schema
      .createTable('users')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('email', 'text', (c) => c.notNull().unique())
      .addColumn('password_hash', 'text', (c) => c.notNull())
      .addColumn('role', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('sessions')
      .addColumn('id', 'text', (c) => c.primaryKey()) // SHA-256 of the cookie value
      .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addColumn('csrf_token', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('expires_at', 'text', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('api_tokens')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('token_hash', 'text', (c) => c.notNull().unique())
      .addColumn('role', 'text', (c) => c.notNull())
      .addColumn('user_id', 'text', (c) => c.references('users.id').onDelete('cascade'))
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('expires_at', 'text')
      .addColumn('revoked_at', 'text')
      .addColumn('last_used_at', 'text')
      .execute();

    await db.schema
      .createTable('gateways')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull().unique())
      .addColumn('url', 'text')
      .addColumn('config_version', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('last_event_id', 'integer', (c) => c.notNull().defaultTo(0)) // outbox id acknowledged
      .addColumn('version', 'text')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('last_seen_at', 'text')
      .execute();

    await db.schema
      .createTable('agents')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('gateway_id', 'text', (c) => c.notNull().references('gateways.id'))
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('port', 'integer')
      .addColumn('mode', 'text', (c) => c.notNull().defaultTo('enforce'))
      .addColumn('labels', 'text', (c) => c.notNull().defaultTo('{}'))
      .addColumn('proxy_auth', 'integer', (c) => c.notNull().defaultTo(1))
      .addColumn('status', 'text', (c) => c.notNull().defaultTo('active'))
      .addColumn('key_hash', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .addUniqueConstraint('agents_gateway_name', ['gateway_id', 'name'])
      .addUniqueConstraint('agents_gateway_port', ['gateway_id', 'port'])
      .execute();

    await db.schema
      .createTable('agent_session_keys')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('agent_id', 'text', (c) => c.notNull().references('agents.id').onDelete('cascade'))
      .addColumn('key_hash', 'text', (c) => c.notNull().unique())
      .addColumn('created_by', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('expires_at', 'text', (c) => c.notNull())
      .addColumn('revoked_at', 'text')
      .execute();

    await db.schema
      .createTable('connectors')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('gateway_id', 'text', (c) => c.notNull().references('gateways.id'))
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('type', 'text', (c) => c.notNull())
      .addColumn('domains', 'text', (c) => c.notNull()) // JSON array
      .addColumn('auth', 'text', (c) => c.notNull())
      .addColumn('base_url', 'text')
      .addColumn('intercept', 'integer', (c) => c.notNull().defaultTo(1))
      .addColumn('options', 'text', (c) => c.notNull().defaultTo('{}'))
      .addColumn('credential_set', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('credential_last4', 'text')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .addUniqueConstraint('connectors_gateway_name', ['gateway_id', 'name'])
      .execute();

    await db.schema
      .createTable('permissions')
      .addColumn('id', 'integer', (c) => c.primaryKey().generatedByDefaultAsIdentity())
      .addColumn('gateway_id', 'text', (c) => c.notNull().references('gateways.id'))
      .addColumn('agent', 'text', (c) => c.notNull())
      .addColumn('connector', 'text', (c) => c.notNull())
      .addColumn('action_pattern', 'text', (c) => c.notNull())
      .addColumn('decision', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addUniqueConstraint('permissions_unique', ['gateway_id', 'agent', 'connector', 'action_pattern'])
      .execute();

    await db.schema
      .createTable('policies')
      .addColumn('name', 'text', (c) => c.primaryKey())
      .addColumn('version', 'integer', (c) => c.notNull())
      .addColumn('enabled', 'integer', (c) => c.notNull())
      .addColumn('document', 'text', (c) => c.notNull()) // JSON PolicyDocument, current version
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('policy_versions')
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('version', 'integer', (c) => c.notNull())
      .addColumn('document', 'text', (c) => c.notNull())
      .addColumn('change', 'text', (c) => c.notNull()) // created | updated | enabled | disabled | rollback | deleted
      .addColumn('actor', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('policy_versions_pk', ['name', 'version'])
      .execute();

    await db.schema
      .createTable('rate_limits')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('agent', 'text', (c) => c.notNull())
      .addColumn('connector', 'text')
      .addColumn('action', 'text')
      .addColumn('rate', 'real', (c) => c.notNull())
      .addColumn('burst', 'integer', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('kill_switch')
      .addColumn('scope', 'text', (c) => c.primaryKey())
      .addColumn('reason', 'text')
      .addColumn('activated_by', 'text', (c) => c.notNull())
      .addColumn('activated_at', 'text', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('used_nonces')
      .addColumn('nonce', 'text', (c) => c.primaryKey())
      .addColumn('used_at', 'text', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('settings')
      .addColumn('key', 'text', (c) => c.primaryKey())
      .addColumn('value', 'text', (c) => c.notNull())
      .execute();
  },
};
