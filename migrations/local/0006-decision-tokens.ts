import type { Migration } from '../types.js';

// SDK mode: the public half of every key that ever signed (decision tokens, retention anchors), and
// the action requests agents make before acting.
export const local0006DecisionTokens: Migration = {
  name: '0006_decision_tokens',
  async up(db) {
    await db.schema
      .createTable('signing_keys')
      .addColumn('kid', 'text', (c) => c.primaryKey()) // RFC 7638 thumbprint
      .addColumn('public_jwk', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('retired_at', 'text')
      .addColumn('published_until', 'text') // a retired key is in the JWKS until then
      .execute();

    await db.schema
      .createTable('action_requests')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('agent_id', 'text', (c) => c.notNull().references('agents.id').onDelete('cascade'))
      .addColumn('agent', 'text', (c) => c.notNull())
      .addColumn('gateway_id', 'text', (c) => c.notNull())
      .addColumn('action', 'text', (c) => c.notNull())
      .addColumn('connector', 'text')
      .addColumn('resource', 'text', (c) => c.notNull()) // JSON
      .addColumn('parameters', 'text', (c) => c.notNull()) // JSON
      .addColumn('risk_hints', 'text', (c) => c.notNull()) // JSON
      .addColumn('params_digest', 'text', (c) => c.notNull())
      .addColumn('nonce', 'text', (c) => c.notNull().unique()) // the jti of every token issued for it
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('decision', 'text', (c) => c.notNull()) // JSON {verdict, code, reasons}
      .addColumn('approval_id', 'text')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .addColumn('expires_at', 'text')
      .addColumn('executed_at', 'text')
      .execute();
    await db.schema
      .createIndex('action_requests_agent')
      .on('action_requests')
      .columns(['agent_id', 'created_at'])
      .execute();
  },
};
