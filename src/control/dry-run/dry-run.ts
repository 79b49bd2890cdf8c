// Dry run (SPEC 6): decides a request or an action for an agent exactly as its gateway would, from
// the same snapshot the gateway is sent (buildSnapshot) and the same `decide` function, without
// sending anything or taking a rate-limit token. The answer shows every matched permission and rule.

import { ConnectorIndex } from '../../connectors/connector-index.js';
import { getConnectorType } from '../../connectors/registry.js';
import type { Risk } from '../../connectors/types.js';
import { decide } from '../../decide/decide.js';
import { compilePolicies } from '../../decide/evaluate.js';
import { outcome, outcomeVerdict } from '../../decide/outcome.js';
import { matchesActionPattern } from '../../decide/patterns.js';
import type { Decision } from '../../decide/types.js';
import { AppError } from '../../errors/codes.js';
import type { DryRunAnswer } from '../../wire/dry-run.js';
import type { Db } from '../db.js';
import { buildSnapshot } from '../gateways/build-snapshot.js';
import { actionTarget, type DryRunTarget, requestTarget } from './dry-run-target.js';

export interface DryRunInput {
  agent: string;
  method?: string | undefined;
  url?: string | undefined;
  headers?: Record<string, string | string[]> | undefined;
  body?: string | undefined;
  action?: string | undefined;
  params?: Record<string, unknown> | undefined;
  connector?: string | undefined;
  risk?: Risk | undefined;
  /** Decide as of this time (ISO-8601), for policies with time windows; default now. */
  at?: string | undefined;
}

export async function dryRun(db: Db, input: DryRunInput, now: Date): Promise<DryRunAnswer> {
  if ((input.url === undefined) === (input.action === undefined))
    throw new AppError(
      'validation_failed',
      'send either a request (url, method, headers, body) or an action',
    );
  const requestOnly = ['method', 'headers', 'body'] as const;
  const actionOnly = ['params', 'connector', 'risk'] as const;
  const stray = (input.url !== undefined ? actionOnly : requestOnly).filter((k) => input[k] !== undefined);
  if (stray.length > 0)
    throw new AppError(
      'validation_failed',
      `${stray.join(', ')} cannot be combined with ${input.url ? 'url' : 'action'}`,
    );
  const at = input.at === undefined ? now : new Date(input.at);
  if (Number.isNaN(at.getTime())) throw new AppError('validation_failed', `at is not a time: ${input.at}`);

  const agentRow = await db
    .selectFrom('agents')
    .select(['gateway_id'])
    .where('name', '=', input.agent)
    .executeTakeFirst();
  if (!agentRow) throw new AppError('not_found', `no agent named ${input.agent}`);
  const snapshot = await buildSnapshot(db, agentRow.gateway_id, now);
  const agent = snapshot.agents.find((a) => a.name === input.agent)!;

  let target: DryRunTarget;
  if (input.url !== undefined) {
    // The same index and default domains as the gateway's runtime configuration.
    const index = new ConnectorIndex(snapshot.connectors, (c) =>
      c.domains.length > 0 ? c.domains : (getConnectorType(c.type)?.defaultDomains(c.options) ?? []),
    );
    target = requestTarget(index, {
      method: input.method,
      url: input.url,
      headers: input.headers,
      body: input.body,
    });
  } else {
    target = actionTarget(snapshot.connectors, {
      action: input.action!,
      params: input.params,
      connector: input.connector,
      risk: input.risk,
    });
  }
  const base = {
    request: target.request,
    decided_at: at.toISOString(),
    connector: target.connector ? { name: target.connector.name, type: target.connector.type } : null,
  };
  if (!target.ok) {
    return {
      ...base,
      verdict: 'deny',
      code: target.code,
      reasons: [target.reason],
      permission: null,
      matched_rules: [],
      action: null,
      params: null,
      risk: null,
      rate_limits: [],
    };
  }

  const { connector, match } = target;
  let decision: Decision = decide(
    {
      permissions: snapshot.permissions,
      policies: compilePolicies(snapshot.policies),
      killSwitch: snapshot.killSwitch,
    },
    {
      agent: { name: agent.name, mode: agent.mode, labels: agent.labels },
      connector: { name: connector.name, type: connector.type },
      action: match.action,
      params: match.params,
      risk: match.risk,
      method: target.request.method,
      host: target.request.host,
      path: target.request.path,
      now: at,
    },
  );
  // What the gateway would do with it (no rate-limit token is taken here).
  const next = agent.status === 'suspended' ? undefined : outcome({ decision, mode: agent.mode });
  // The gateway refuses a suspended agent before deciding; the decision is still shown for context.
  if (agent.status === 'suspended') {
    decision = {
      ...decision,
      verdict: 'deny',
      code: 'agent_suspended' as Decision['code'],
      reasons: [`agent ${agent.name} is suspended`, ...decision.reasons],
      wouldHave: undefined,
    };
  }
  const answer: DryRunAnswer = {
    ...base,
    verdict: next ? outcomeVerdict(next) : decision.verdict,
    code: next?.code ?? decision.code,
    reasons: decision.reasons,
    permission: decision.permission ? { ...decision.permission, id: String(decision.permission.id) } : null,
    matched_rules: decision.matchedRules.map((m) => ({
      policy: m.policy,
      rule: m.rule,
      decision: m.decision,
      reason: m.reason,
      risk_score: m.riskScore ?? null,
      monitor: m.monitor,
    })),
    action: match.action,
    params: match.params,
    risk: match.risk,
    rate_limits: snapshot.rateLimits
      .filter(
        (r) =>
          (r.agent === '*' || r.agent === agent.name) &&
          (r.connector === undefined || r.connector === connector.name) &&
          (r.action === undefined || matchesActionPattern(r.action, match.action)),
      )
      .map((r) => ({
        id: r.id,
        connector: r.connector ?? null,
        action: r.action ?? null,
        rate: r.rate,
        burst: r.burst,
      })),
  };
  if (decision.wouldHave !== undefined) answer.would_have = decision.wouldHave;
  if (decision.riskScore !== undefined) answer.risk_score = decision.riskScore;
  if (decision.approval !== undefined) {
    answer.approval = {
      timeout_seconds: decision.approval.timeoutSeconds ?? null,
      approver_roles: decision.approval.approverRoles ?? [],
    };
  }
  return answer;
}
