// Approval history (every approval, newest first, filtered by status and agent on the server, older
// pages on request) and the grants that "approve for N minutes" created, with revoke for members.
// Both reload whenever the live feed reports a change.
import { useEffect, useState } from 'react';
import { api, seg } from '../api/client';
import type { Agent, Approval, Grant } from '../api/types';
import { ConfirmButton } from '../components/confirm-button';
import { Empty, ErrorNote, Loading } from '../components/notices';
import { TimeText } from '../components/time-text';
import { setQuery, useLocation } from '../router';
import { useCan } from '../session';
import { useApi } from '../use-api';
import { actorText, RequestCell } from './approval-request';

const PAGE = 50;
const STATUS_BADGE: Record<string, string> = {
  pending: 'badge badge-approval',
  approved: 'badge badge-allow',
  denied: 'badge badge-deny',
  expired: 'badge badge-other',
  cancelled: 'badge badge-other',
};

export function ApprovalHistory({ changes }: { changes: number }) {
  const { query } = useLocation();
  const status = query.get('status') ?? '';
  const agent = query.get('agent') ?? '';
  const [older, setOlder] = useState<Approval[]>([]);
  const [more, setMore] = useState<Error | undefined>(undefined);
  const params = new URLSearchParams({ limit: String(PAGE) });
  if (status) params.set('status', status);
  if (agent) params.set('agent', agent);
  const path = `/approvals?${params}`;
  const list = useApi<{ approvals: Approval[] }>(path);
  const agents = useApi<{ agents: Agent[] }>('/agents');
  const { reload } = list;

  // biome-ignore lint/correctness/useExhaustiveDependencies: reload on each change of the live feed
  useEffect(() => {
    if (changes > 0) reload();
  }, [changes]);
  // biome-ignore lint/correctness/useExhaustiveDependencies: older pages belong to the previous filters
  useEffect(() => setOlder([]), [path]);

  const rows = [...(list.data?.approvals ?? []), ...older];
  const loadOlder = async () => {
    const last = rows[rows.length - 1];
    if (!last) return;
    try {
      const page = await api<{ approvals: Approval[] }>('GET', `${path}&before=${seg(last.id)}`);
      setOlder((o) => [...o, ...page.approvals]);
      setMore(page.approvals.length < PAGE ? new Error('No older approvals.') : undefined);
    } catch (err) {
      setMore(err as Error);
    }
  };

  return (
    <section aria-label="Approval history">
      <form className="filters" aria-label="Filter approvals" onSubmit={(e) => e.preventDefault()}>
        <label className="field field-inline">
          <span>Status</span>
          <select value={status} onChange={(e) => setQuery({ status: e.target.value })}>
            <option value="">Any status</option>
            {Object.keys(STATUS_BADGE).map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <label className="field field-inline">
          <span>Agent</span>
          <select value={agent} onChange={(e) => setQuery({ agent: e.target.value })}>
            <option value="">All agents</option>
            {agents.data?.agents.map((a) => (
              <option key={a.name} value={a.name}>
                {a.name}
              </option>
            ))}
          </select>
        </label>
      </form>
      {list.error && <ErrorNote error={list.error} />}
      {!list.data && !list.error ? (
        <Loading what="approvals" />
      ) : rows.length === 0 ? (
        <Empty
          title={
            status || agent ? 'No approval matches these filters.' : 'No approval has been asked for yet.'
          }
        />
      ) : (
        <div className="table-wrap">
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Asked</th>
                <th scope="col">Agent</th>
                <th scope="col">Request</th>
                <th scope="col">Outcome</th>
                <th scope="col">By</th>
                <th scope="col">Note</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((a) => (
                <tr key={a.id}>
                  <td className="nowrap">
                    <TimeText iso={a.created_at} short />
                  </td>
                  <td className="nowrap">{a.agent}</td>
                  <td className="request-cell">
                    <RequestCell approval={a} />
                  </td>
                  <td className="nowrap">
                    <span className={STATUS_BADGE[a.status] ?? 'badge badge-other'}>{a.status}</span>
                    {a.decided_at && (
                      <span className="hint">
                        {' '}
                        <TimeText iso={a.decided_at} short />
                      </span>
                    )}
                    {a.grant && (
                      <span className="hint">
                        {' '}
                        · grant until <TimeText iso={a.grant.expires_at} short />
                      </span>
                    )}
                    {a.used_at && <span className="hint"> · request let through</span>}
                  </td>
                  <td>{a.decided_by ? actorText(a.decided_by) : <span className="muted">—</span>}</td>
                  <td>{a.note ?? <span className="muted">—</span>}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {rows.length >= PAGE && !more && (
        <p>
          <button type="button" className="btn" onClick={() => void loadOlder()}>
            Show older approvals
          </button>
        </p>
      )}
      {more && <p className="muted small">{more.message}</p>}
    </section>
  );
}

export function GrantsPanel({ changes }: { changes: number }) {
  const grants = useApi<{ grants: Grant[] }>('/approvals/grants', { pollMs: 30_000 });
  const canRevoke = useCan('member');
  const { reload } = grants;
  // biome-ignore lint/correctness/useExhaustiveDependencies: reload on each change of the live feed
  useEffect(() => {
    if (changes > 0) reload();
  }, [changes]);
  const active = grants.data?.grants ?? [];
  return (
    <section className="panel approvals-grants" aria-labelledby="grants-title">
      <h2 id="grants-title">Active grants</h2>
      <p className="muted small">
        “Approve for N minutes” lets the same agent run the same action without asking until the grant runs
        out.
      </p>
      {grants.error && <ErrorNote error={grants.error} />}
      {active.length === 0 ? (
        <p className="muted">No grant is active.</p>
      ) : (
        <table className="table">
          <thead>
            <tr>
              <th scope="col">Agent</th>
              <th scope="col">Action</th>
              <th scope="col">By</th>
              <th scope="col">Until</th>
              {canRevoke && <th scope="col">End it</th>}
            </tr>
          </thead>
          <tbody>
            {active.map((g) => (
              <tr key={g.id}>
                <td>{g.agent}</td>
                <td>
                  <code>{g.action}</code>
                </td>
                <td>{actorText(g.created_by)}</td>
                <td>
                  <TimeText iso={g.expires_at} short />
                </td>
                {canRevoke && (
                  <td>
                    <ConfirmButton
                      label="Revoke"
                      title={`Revoke the grant for ${g.agent}?`}
                      confirmLabel="Revoke"
                      danger
                      onConfirm={async () => {
                        await api('DELETE', `/approvals/grants/${seg(g.id)}`);
                        reload();
                      }}
                    >
                      <p>
                        Requests of {g.agent} for <code>{g.action}</code> are held for approval again.
                      </p>
                    </ConfirmButton>
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
