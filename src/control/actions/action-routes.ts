// SDK mode (SPEC 5.4): an agent, with its own key as Bearer, asks before acting. POST /v1/actions
// decides with the same code as the gateway (through dry-run's decide) and answers allowed with a
// decision token, denied with the reason, or pending_approval with the request to poll; GET
// /v1/actions/:id follows it to approved (with a token), rejected or expired; POST
// /v1/actions/:id/execute spends the token when the agent acts by itself rather than through the
// gateway (which spends it through /internal/decision-tokens/redeem).
//
// Threat model: agents are not trusted. One agent never sees another's requests (404); a token is
// minted only for a request that was allowed or approved, carries the request's single nonce (every
// token for one request burns together), and is spent once.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import type { Risk } from '../../connectors/types.js';
import { AppError } from '../../errors/codes.js';
import type { LocalDatabase } from '../../storage/local-schema.js';
import {
  claimsMismatch,
  DECISION_TOKEN_TTL_SECONDS,
  signDecisionToken,
  verifyDecisionToken,
} from '../../tokens/decision-token.js';
import { nonceUsed } from '../../tokens/nonce-store.js';
import { paramsDigest } from '../../tokens/params-digest.js';
import type { SigningKeyRing } from '../../tokens/signing-key-ring.js';
import type { ActionDecision, ActionRequestBody, ExecuteAnswer } from '../../wire/actions.js';
import { dryRun } from '../dry-run/dry-run.js';
import { NAME_PATTERN } from '../route-deps.js';
import type { ActionApprovals } from './action-approvals.js';
import {
  type ActionRequestRow,
  type ActionStatus,
  insertActionRequest,
  loadActionRequest,
  newActionRequestId,
  newNonce,
  redeemActionRequest,
  setActionStatus,
} from './action-store.js';
import type { AgentPrincipal } from './agent-key-store.js';

export interface ActionRouteDeps {
  db: Kysely<LocalDatabase>;
  keys: SigningKeyRing;
  approvals: ActionApprovals;
  now: () => Date;
}

/** How long an allowed or approved request can still hand out tokens (each lives two minutes). */
export const TOKEN_WINDOW_SECONDS = 15 * 60;
/** How long a pending request waits for its approval (SPEC 7: approvals expire after an hour). */
export const PENDING_SECONDS = 3600;

const idParams = {
  type: 'object',
  additionalProperties: false,
  required: ['id'],
  properties: { id: { type: 'string', pattern: '^act_[0-9a-f]{24}$' } },
} as const;

export function agentPrincipalOf(req: FastifyRequest): AgentPrincipal {
  if (!req.agentPrincipal) throw new AppError('unauthenticated', 'an agent key is required');
  return req.agentPrincipal;
}

export function registerActionRoutes(app: FastifyInstance, deps: ActionRouteDeps): void {
  const { db } = deps;
  const later = (now: Date, seconds: number) => new Date(now.getTime() + seconds * 1000).toISOString();

  async function answer(row: ActionRequestRow, now: Date): Promise<ActionDecision> {
    const decision = JSON.parse(row.decision) as { code: string; reasons: string[] };
    let token: string | null = null;
    let tokenExpires: string | null = null;
    const usable =
      (row.status === 'allowed' || row.status === 'approved') && !(await nonceUsed(db, row.nonce));
    if (usable) {
      const expiresAt = new Date(now.getTime() + DECISION_TOKEN_TTL_SECONDS * 1000);
      token = await signDecisionToken(
        await deps.keys.current(),
        {
          agent: row.agent,
          action: row.action,
          paramsDigest: row.params_digest,
          actionRequestId: row.id,
          nonce: row.nonce,
          expiresAt,
        },
        now,
      );
      tokenExpires = expiresAt.toISOString();
    }
    return {
      action_request_id: row.id,
      status: row.status as ActionStatus,
      agent: row.agent,
      action: row.action,
      connector: row.connector,
      code: decision.code,
      reason: decision.reasons.join('; '),
      reasons: decision.reasons,
      decision_token: token,
      token_expires_at: tokenExpires,
      approval_id: row.approval_id,
      created_at: row.created_at,
      updated_at: row.updated_at,
      expires_at: row.expires_at,
    };
  }

  /** Follows a request to where it stands now: its approval's fate, or the end of its window. */
  async function advance(row: ActionRequestRow, now: Date): Promise<ActionRequestRow> {
    const past = row.expires_at !== null && row.expires_at <= now.toISOString();
    if (row.status === 'pending_approval') {
      const state = row.approval_id ? await deps.approvals.state(row.approval_id) : 'pending';
      if (state === 'approved' && row.approval_id && (await deps.approvals.use(row.approval_id))) {
        return setActionStatus(db, row, 'approved', {
          now,
          reason: `approval ${row.approval_id} approved`,
          expiresAt: later(now, TOKEN_WINDOW_SECONDS),
        });
      }
      if (state === 'denied')
        return setActionStatus(db, row, 'rejected', { now, reason: `approval ${row.approval_id} denied` });
      if (state === 'expired' || past)
        return setActionStatus(db, row, 'expired', { now, reason: 'no approval in time' });
    } else if ((row.status === 'allowed' || row.status === 'approved') && past) {
      return setActionStatus(db, row, 'expired', {
        now,
        reason: 'the window to fetch a decision token ended',
      });
    }
    return row;
  }

  app.post(
    '/actions',
    {
      schema: {
        summary:
          'SDK mode: ask before acting (agent key); allowed with a decision token, denied, or pending_approval',
        tags: ['actions'],
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['type'],
          properties: {
            type: { type: 'string', minLength: 3, maxLength: 200, pattern: '^[a-z0-9_]+(\\.[a-z0-9_]+)+$' },
            resource: {
              type: 'object',
              maxProperties: 20,
              additionalProperties: {
                anyOf: [
                  { type: 'string', maxLength: 500 },
                  { type: 'number' },
                  { type: 'boolean' },
                  { type: 'null' },
                ],
              },
            },
            parameters: { type: 'object', maxProperties: 100 },
            risk_hints: { type: 'object', maxProperties: 20, additionalProperties: { type: 'boolean' } },
            connector: { type: 'string', pattern: NAME_PATTERN },
          },
        },
      },
    },
    async (req): Promise<ActionDecision> => {
      const agent = agentPrincipalOf(req);
      const body = req.body as ActionRequestBody;
      const now = deps.now();
      const params = body.parameters ?? {};
      // Hints can only raise the risk policies see: an agent cannot talk its way down.
      const risk: Risk | undefined = Object.values(body.risk_hints ?? {}).some(Boolean) ? 'high' : undefined;
      const decided = await dryRun(
        db,
        { agent: agent.name, action: body.type, params, connector: body.connector, risk },
        now,
      );
      const status: ActionStatus =
        decided.verdict === 'allow' ? 'allowed' : decided.verdict === 'deny' ? 'denied' : 'pending_approval';
      const digest = paramsDigest(params);
      let approvalId: string | null = null;
      let finalStatus: ActionStatus = status;
      if (status === 'pending_approval') {
        const opened = await deps.approvals.open({
          agent: agent.name,
          action: body.type,
          connector: decided.connector?.name ?? null,
          connectorType: decided.connector?.type ?? null,
          gatewayId: agent.gatewayId,
          gatewayName: agent.gatewayName,
          params,
          reasons: decided.reasons,
          approverRoles: decided.approval?.approver_roles ?? [],
          digest: `sdk:${agent.name}:${body.type}:${digest}`,
        });
        approvalId = opened.approvalId;
        // Already answered (a grant, an approved twin) and spent on this request by open().
        if (opened.state === 'approved') finalStatus = 'approved';
      }
      const row: ActionRequestRow = {
        id: newActionRequestId(),
        agent_id: agent.agentId,
        agent: agent.name,
        gateway_id: agent.gatewayId,
        action: body.type,
        connector: decided.connector?.name ?? null,
        resource: JSON.stringify(body.resource ?? {}),
        parameters: JSON.stringify(params),
        risk_hints: JSON.stringify(body.risk_hints ?? {}),
        params_digest: digest,
        nonce: newNonce(),
        status: finalStatus,
        decision: JSON.stringify({ verdict: decided.verdict, code: decided.code, reasons: decided.reasons }),
        approval_id: approvalId,
        created_at: now.toISOString(),
        updated_at: now.toISOString(),
        expires_at:
          finalStatus === 'denied'
            ? null
            : later(now, finalStatus === 'pending_approval' ? PENDING_SECONDS : TOKEN_WINDOW_SECONDS),
        executed_at: null,
      };
      await insertActionRequest(db, row);
      return answer(row, now);
    },
  );

  app.get(
    '/actions/:id',
    {
      schema: {
        summary: 'SDK mode: where an action request stands (a fresh decision token once allowed or approved)',
        tags: ['actions'],
        params: idParams,
      },
    },
    async (req): Promise<ActionDecision> => {
      const agent = agentPrincipalOf(req);
      const now = deps.now();
      const row = await advance(
        await loadActionRequest(db, (req.params as { id: string }).id, agent.agentId),
        now,
      );
      return answer(row, now);
    },
  );

  app.post(
    '/actions/:id/execute',
    {
      schema: {
        summary: 'SDK mode: spend the decision token before acting without the gateway (single use)',
        tags: ['actions'],
        params: idParams,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['decision_token'],
          properties: { decision_token: { type: 'string', minLength: 10, maxLength: 4096 } },
        },
      },
    },
    async (req): Promise<ExecuteAnswer> => {
      const agent = agentPrincipalOf(req);
      const id = (req.params as { id: string }).id;
      const now = deps.now();
      const row = await loadActionRequest(db, id, agent.agentId);
      const token = (req.body as { decision_token: string }).decision_token;
      const claims = await checkToken(deps.keys, token, now, {
        agent: agent.name,
        action: row.action,
        paramsDigest: row.params_digest,
      });
      if (claims.actionRequestId !== id)
        throw new AppError('decision_token_invalid', 'the token was issued for another action request');
      const redeemed = await redeemActionRequest(db, {
        id,
        nonce: claims.nonce,
        via: `agent:${agent.name}`,
        now,
      });
      if (!redeemed.ok)
        throw new AppError(redeemed.used ? 'decision_token_used' : 'decision_token_invalid', redeemed.detail);
      return { action_request_id: id, status: 'executed', executed_at: redeemed.row.executed_at! };
    },
  );
}

/** Verifies a token against the published keys and the request it must stand for; throws with a code. */
export async function checkToken(
  keys: SigningKeyRing,
  token: string,
  now: Date,
  expect: { agent: string; action: string; paramsDigest: string },
) {
  const verified = await verifyDecisionToken(token, (kid) => keys.publishedKey(kid, now), now);
  if (!verified.ok)
    throw new AppError('decision_token_invalid', `decision token refused: ${verified.detail}`);
  const mismatch = claimsMismatch(verified.claims, expect);
  if (mismatch) throw new AppError('decision_token_invalid', `decision token refused: ${mismatch}`);
  return verified.claims;
}
