import type { Migration } from '../types.js';

// PostgreSQL twin of migrations/local/0004-approvals.ts (same name, same tables; identity for AUTOINCREMENT).

// local.db: approvals (SPEC 7). A held request's approval, the grants an approver widened one into,
// the webhook receivers told about them with every delivery attempt, and the kill switch entries a
// gateway activated on its own while the control plane was away (reported back when it returns).
export const postgres0004Approvals: Migration = {
  name: '0004_approvals',
  async up(db) {
    await db.schema
      .createTable('approvals')
      .addColumn('id', 'text', (c) => c.primaryKey()) // apv_…
      .addColumn('source', 'text', (c) => c.notNull()) // proxy | sdk
      .addColumn('gateway_id', 'text') // NULL for SDK mode
      .addColumn('agent', 'text', (c) => c.notNull())
      .addColumn('action', 'text', (c) => c.notNull())
      .addColumn('connector', 'text')
      .addColumn('connector_type', 'text')
      .addColumn('method', 'text')
      .addColumn('host', 'text')
      .addColumn('path', 'text') // query parameter names only
      .addColumn('params', 'text', (c) => c.notNull().defaultTo('{}')) // JSON, summarised and redacted
      .addColumn('reasons', 'text', (c) => c.notNull().defaultTo('[]')) // JSON array of strings
      .addColumn('approver_roles', 'text', (c) => c.notNull().defaultTo('[]')) // JSON array
      .addColumn('digest', 'text', (c) => c.notNull())
      .addColumn('requests', 'integer', (c) => c.notNull().defaultTo(1))
      .addColumn('status', 'text', (c) => c.notNull()) // pending approved denied expired cancelled
      .addColumn('decided_by', 'text')
      .addColumn('note', 'text')
      .addColumn('decided_at', 'text')
      .addColumn('used_at', 'text') // the approved request passed (held one released, or one retry)
      .addColumn('grant_id', 'text')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('expires_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('approvals_status_created')
      .on('approvals')
      .columns(['status', 'created_at'])
      .execute();
    await db.schema.createIndex('approvals_digest').on('approvals').columns(['digest', 'status']).execute();
    await db.schema.createIndex('approvals_created').on('approvals').column('created_at').execute();

    await db.schema
      .createTable('approval_grants')
      .addColumn('id', 'text', (c) => c.primaryKey()) // grt_…
      .addColumn('gateway_id', 'text')
      .addColumn('agent', 'text', (c) => c.notNull())
      .addColumn('action', 'text', (c) => c.notNull())
      .addColumn('approval_id', 'text', (c) => c.notNull())
      .addColumn('created_by', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('expires_at', 'text', (c) => c.notNull())
      .addColumn('revoked_at', 'text')
      .addColumn('revoked_by', 'text')
      .execute();
    await db.schema
      .createIndex('approval_grants_agent_action')
      .on('approval_grants')
      .columns(['agent', 'action', 'expires_at'])
      .execute();

    await db.schema
      .createTable('approval_webhooks')
      .addColumn('id', 'text', (c) => c.primaryKey()) // whk_…
      .addColumn('url', 'text', (c) => c.notNull())
      .addColumn('format', 'text', (c) => c.notNull()) // json | slack
      .addColumn('secret', 'text', (c) => c.notNull()) // HMAC key: needed in the clear to sign
      .addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(1))
      .addColumn('created_by', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('approval_webhook_deliveries')
      .addColumn('id', 'integer', (c) => c.primaryKey().generatedByDefaultAsIdentity())
      .addColumn('webhook_id', 'text', (c) =>
        c.notNull().references('approval_webhooks.id').onDelete('cascade'),
      )
      .addColumn('event', 'text', (c) => c.notNull())
      .addColumn('approval_id', 'text', (c) => c.notNull())
      .addColumn('body', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull()) // pending delivered failed
      .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('last_status', 'integer')
      .addColumn('last_error', 'text')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('next_attempt_at', 'text')
      .addColumn('delivered_at', 'text')
      .execute();
    await db.schema
      .createIndex('approval_webhook_deliveries_due')
      .on('approval_webhook_deliveries')
      .columns(['status', 'next_attempt_at'])
      .execute();

    await db.schema
      .createTable('gateway_kill_switch')
      .addColumn('gateway_id', 'text', (c) => c.notNull())
      .addColumn('scope', 'text', (c) => c.notNull())
      .addColumn('reason', 'text')
      .addColumn('activated_at', 'text', (c) => c.notNull())
      .addColumn('reported_at', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('gateway_kill_switch_pk', ['gateway_id', 'scope'])
      .execute();
  },
};
