// Who an agent key is, for SDK mode (the agent's Bearer token on /v1/actions). Either key works:
// the long-lived `tf_agent_…` or a live `tf_sess_…` session key (SPEC 4.1).
//
// Threat model: keys are looked up by SHA-256 only; a revoked or expired session key, or a removed
// agent's key, is nobody. A suspended agent is known but refused by the route guard.
import type { Kysely } from 'kysely';
import type { LocalDatabase } from '../../storage/local-schema.js';
import { hashToken } from '../auth/secret-tokens.js';

export interface AgentPrincipal {
  agentId: string;
  name: string;
  gatewayId: string;
  gatewayName: string;
  suspended: boolean;
  key: 'agent' | 'session';
}

export function isAgentKey(token: string): boolean {
  return token.startsWith('tf_agent_') || token.startsWith('tf_sess_');
}

export async function authenticateAgentKey(
  db: Kysely<LocalDatabase>,
  key: string,
  now: Date,
): Promise<AgentPrincipal | undefined> {
  const hash = hashToken(key);
  const base = db
    .selectFrom('agents')
    .innerJoin('gateways', 'gateways.id', 'agents.gateway_id')
    .select([
      'agents.id',
      'agents.name',
      'agents.gateway_id',
      'agents.status',
      'gateways.name as gateway_name',
    ]);
  let key_kind: AgentPrincipal['key'];
  let row: { id: string; name: string; gateway_id: string; status: string; gateway_name: string } | undefined;
  if (key.startsWith('tf_agent_')) {
    key_kind = 'agent';
    row = await base.where('agents.key_hash', '=', hash).executeTakeFirst();
  } else if (key.startsWith('tf_sess_')) {
    key_kind = 'session';
    row = await base
      .innerJoin('agent_session_keys', 'agent_session_keys.agent_id', 'agents.id')
      .where('agent_session_keys.key_hash', '=', hash)
      .where('agent_session_keys.revoked_at', 'is', null)
      .where('agent_session_keys.expires_at', '>', now.toISOString())
      .executeTakeFirst();
  } else {
    return undefined;
  }
  if (!row) return undefined;
  return {
    agentId: row.id,
    name: row.name,
    gatewayId: row.gateway_id,
    gatewayName: row.gateway_name,
    suspended: row.status === 'suspended',
    key: key_kind,
  };
}
