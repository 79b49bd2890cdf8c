import type { Migration } from '../types.js';

// PostgreSQL twin of migrations/local/0005-gateway-registration.ts (same name, same columns).

// What a gateway registers over its link (issue 13): its CA certificate and fingerprint (for `run`
// and `env` on other machines), its agent port range (dedicated ports are assigned from it), and its
// last report (open ports and port errors, the configuration version it runs, its outbox backlog).
// `url` (from 0001) holds its public address.
export const postgres0005GatewayRegistration: Migration = {
  name: '0005_gateway_registration',
  async up(db) {
    for (const [column, type] of [
      ['ca_pem', 'text'],
      ['ca_fingerprint', 'text'],
      ['agent_port_start', 'integer'],
      ['agent_port_end', 'integer'],
      ['report', 'text'], // JSON, see src/control/gateways/gateway-registry-store.ts
      ['registered_at', 'text'],
    ] as const) {
      await db.schema.alterTable('gateways').addColumn(column, type).execute();
    }
  },
};
