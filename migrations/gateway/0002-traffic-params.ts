import type { Migration } from '../types.js';

// The action's parameters on each traffic row (issue 15): JSON text, secrets redacted, bounded in
// size (src/gateway/traffic-log/loggable-params.ts); NULL when the action has none.
export const gateway0002TrafficParams: Migration = {
  name: '0002_traffic_params',
  async up(db) {
    await db.schema.alterTable('traffic_log').addColumn('params', 'text').execute();
  },
};
