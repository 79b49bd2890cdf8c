import type { Migration } from '../types.js';

// PostgreSQL twin of migrations/local/0002-token-prefix.ts (same name, same change).

// API tokens are listed by a short prefix of the secret and name who created them. Tokens made
// before this migration have neither (lists show "-").
export const postgres0002TokenPrefix: Migration = {
  name: '0002_token_prefix',
  async up(db) {
    await db.schema.alterTable('api_tokens').addColumn('prefix', 'text').execute();
    await db.schema.alterTable('api_tokens').addColumn('created_by', 'text').execute();
    await db.schema.createIndex('api_tokens_user_id').on('api_tokens').column('user_id').execute();
  },
};
