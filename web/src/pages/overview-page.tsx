// The state of the deployment at a glance, all from /v1: the control plane answers (and its
// version), every registered gateway's health (link, versions, backlog, ports), when traffic was
// last reported, requests per minute by decision, the busiest agents and the kill switch.
import type { Agent, Approval, Connector, GatewayList, KillSwitchScope, TrafficPage } from '../api/types';
import { DataTable } from '../components/data-table';
import { DecisionBadge, StatusBadge } from '../components/decision-badge';
import { ErrorNote, Loading } from '../components/notices';
import { PageHeader } from '../components/page-header';
import { bucketByMinute, RateChart } from '../components/rate-chart';
import { TimeText } from '../components/time-text';
import { Link } from '../router';
import { useApi } from '../use-api';
import { GatewaysPanel, GatewaysSummary } from './gateways-panel';

const WINDOW_MINUTES = 30;
const SAMPLE = 1000;
/** Pending approvals counted; beyond it the card says "more than". */
const PENDING_SAMPLE = 500;

export function OverviewPage() {
  const traffic = useApi<TrafficPage>(`/traffic?last=${SAMPLE}`, { pollMs: 10_000 });
  const kill = useApi<{ active: KillSwitchScope[] }>('/kill-switch', { pollMs: 10_000 });
  const gateways = useApi<GatewayList>('/gateways', { pollMs: 10_000 });
  const agents = useApi<{ agents: Agent[] }>('/agents');
  const connectors = useApi<{ connectors: Connector[] }>('/connectors');
  const openapi = useApi<{ info?: { version?: string } }>('/openapi.json');
  const pending = useApi<{ approvals: Approval[] }>(`/approvals?status=pending&limit=${PENDING_SAMPLE}`, {
    pollMs: 10_000,
  });
  const pendingCount = pending.data?.approvals.length ?? 0;

  const entries = traffic.data?.entries ?? [];
  const now = new Date();
  const buckets = bucketByMinute(entries, now, WINDOW_MINUTES);
  const since = now.getTime() - WINDOW_MINUTES * 60_000;
  const recent = entries.filter((e) => Date.parse(e.created_at) >= since);
  const lastSeen = entries.length ? entries[entries.length - 1]!.created_at : null;

  const byAgent = new Map<string, { total: number; denied: number }>();
  for (const e of recent) {
    const k = e.agent ?? '(unknown agent)';
    const v = byAgent.get(k) ?? { total: 0, denied: 0 };
    v.total++;
    if (e.decision !== 'allow') v.denied++;
    byAgent.set(k, v);
  }
  const top = [...byAgent.entries()].sort((a, b) => b[1].total - a[1].total).slice(0, 5);
  const killActive = kill.data?.active ?? [];

  return (
    <>
      <PageHeader title="Overview">What your agents are doing, and whether TameFlare is healthy.</PageHeader>
      {killActive.length > 0 && (
        <div className="banner banner-danger" role="status">
          <strong>Kill switch active</strong> for {killActive.map((k) => k.scope).join(', ')}: matching
          requests are refused. <Link to="/settings">Manage the kill switch</Link>
        </div>
      )}
      <div className="cards">
        <section className="card" aria-labelledby="cp-title">
          <h2 id="cp-title">Control plane</h2>
          {openapi.error ? (
            <StatusBadge ok={false}>not answering</StatusBadge>
          ) : (
            <p>
              <StatusBadge ok>answering</StatusBadge>{' '}
              {openapi.data?.info?.version && (
                <span className="muted">version {openapi.data.info.version}</span>
              )}
            </p>
          )}
          <p className="muted small">
            {agents.data ? `${agents.data.agents.length} agents` : '…'} ·{' '}
            {connectors.data ? `${connectors.data.connectors.length} connectors` : '…'}
          </p>
        </section>
        <section className="card" aria-labelledby="gw-title">
          <h2 id="gw-title">Gateways</h2>
          <GatewaysSummary gateways={gateways} />
          <p className="muted small">
            Last traffic reported: <TimeText iso={lastSeen} />
          </p>
        </section>
        <section className="card" aria-labelledby="apv-title">
          <h2 id="apv-title">Pending approvals</h2>
          {pending.error ? (
            <ErrorNote error={pending.error} />
          ) : !pending.data ? (
            <Loading what="approvals" />
          ) : (
            <p>
              <strong className="figure">
                {pendingCount >= PENDING_SAMPLE ? `more than ${PENDING_SAMPLE - 1}` : pendingCount}
              </strong>{' '}
              <span className="muted">
                {pendingCount === 0
                  ? 'nothing is waiting'
                  : pendingCount === 1
                    ? 'request waiting'
                    : 'requests waiting'}
              </span>{' '}
              {pendingCount > 0 && <Link to="/approvals">Decide</Link>}
            </p>
          )}
        </section>
        <section className="card" aria-labelledby="ks-title">
          <h2 id="ks-title">Kill switch</h2>
          {kill.error ? (
            <ErrorNote error={kill.error} />
          ) : !kill.data ? (
            <Loading what="the kill switch" />
          ) : killActive.length === 0 ? (
            <p>
              <StatusBadge ok>off</StatusBadge> <span className="muted">traffic is decided normally</span>
            </p>
          ) : (
            <ul className="plain">
              {killActive.map((k) => (
                <li key={k.scope}>
                  <StatusBadge ok={false}>{`on: ${k.scope}`}</StatusBadge>{' '}
                  <span className="muted small">
                    since <TimeText iso={k.activated_at} short />
                  </span>
                </li>
              ))}
            </ul>
          )}
        </section>
      </div>

      <GatewaysPanel gateways={gateways} />

      <section className="panel" aria-labelledby="rate-title">
        <div className="panel-head">
          <h2 id="rate-title">Requests per minute, last {WINDOW_MINUTES} minutes</h2>
          <Link to="/traffic">Open traffic</Link>
        </div>
        {traffic.error ? (
          <ErrorNote error={traffic.error} />
        ) : !traffic.data ? (
          <Loading what="traffic" />
        ) : (
          <>
            <RateChart buckets={buckets} />
            {recent.length === 0 && (
              <p className="muted small">
                No requests in the last {WINDOW_MINUTES} minutes. Start an agent with{' '}
                <code>tameflare run --agent NAME -- COMMAND</code> to see traffic here.
              </p>
            )}
            {entries.length >= SAMPLE && (
              <p className="muted small">Counted from the latest {SAMPLE} requests.</p>
            )}
          </>
        )}
      </section>

      <section className="panel" aria-labelledby="top-title">
        <h2 id="top-title">Busiest agents, last {WINDOW_MINUTES} minutes</h2>
        <DataTable<[string, { total: number; denied: number }]>
          label="Busiest agents"
          what="traffic"
          rows={top}
          rowKey={([name]) => name}
          empty={{ title: 'No agent has sent a request in this window.' }}
          columns={[
            {
              header: 'Agent',
              rowHeader: true,
              cell: ([name]) => <Link to={`/traffic?agent=${encodeURIComponent(name)}`}>{name}</Link>,
            },
            { header: 'Requests', className: 'num', cell: ([, v]) => v.total },
            { header: 'Not allowed', className: 'num', cell: ([, v]) => v.denied },
            {
              header: 'Latest decision',
              cell: ([name]) => (
                <DecisionBadge
                  decision={
                    [...recent].reverse().find((e) => (e.agent ?? '(unknown agent)') === name)?.decision ??
                    null
                  }
                />
              ),
            },
          ]}
        />
      </section>
    </>
  );
}
