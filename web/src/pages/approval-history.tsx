// Approval history (every approval, newest first, filtered by status and agent on the server, older
// pages on request) and the grants that "approve for N minutes" created, with revoke for members.
// Both reload whenever the live feed reports a change.
import { useEffect, useState } from 'react';
import { api, seg } from '../api/client';
import type { Approval, Grant } from '../api/types';
import { ConfirmButton } from '../components/confirm-button';
import { type Column, DataTable } from '../components/data-table';
import { AgentFilter, FilterBar, SelectFilter } from '../components/filter-bar';
import { ErrorNote } from '../components/notices';
import { TimeText } from '../components/time-text';
import { useLocation } from '../router';
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

const HISTORY_COLUMNS: Column<Approval>[] = [
  { header: 'Asked', className: 'nowrap', cell: (a) => <TimeText iso={a.created_at} short /> },
  { header: 'Agent', className: 'nowrap', cell: (a) => a.agent },
  { header: 'Request', className: 'request-cell', cell: (a) => <RequestCell approval={a} /> },
  {
    header: 'Outcome',
    className: 'nowrap',
    cell: (a) => (
      <>
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
      </>
    ),
  },
  { header: 'By', cell: (a) => (a.decided_by ? actorText(a.decided_by) : <span className="muted">—</span>) },
  { header: 'Note', cell: (a) => a.note ?? <span className="muted">—</span> },
];

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
      <FilterBar label="Filter approvals" params={['status', 'agent']}>
        <SelectFilter
          label="Status"
          param="status"
          anyLabel="Any status"
          choices={Object.keys(STATUS_BADGE)}
        />
        <AgentFilter />
      </FilterBar>
      <DataTable<Approval>
        label="Past approvals"
        what="approvals"
        rows={list.data ? rows : undefined}
        rowKey={(a) => a.id}
        error={list.error}
        filtered={Boolean(status || agent)}
        empty={{
          title: 'No approval has been asked for yet.',
          body: 'Requests held for a decision are listed here once they are decided, expire or are cancelled.',
        }}
        emptyFiltered={{
          title: 'No approval matches these filters.',
          body: 'Clear the filters to see them all.',
        }}
        columns={HISTORY_COLUMNS}
      />
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
        <DataTable<Grant>
          label="Grants"
          what="grants"
          rows={active}
          rowKey={(g) => g.id}
          empty={{ title: 'No grant is active.' }}
          columns={[
            { header: 'Agent', cell: (g) => g.agent },
            { header: 'Action', cell: (g) => <code>{g.action}</code> },
            { header: 'By', cell: (g) => actorText(g.created_by) },
            { header: 'Until', cell: (g) => <TimeText iso={g.expires_at} short /> },
            canRevoke && {
              header: 'End it',
              hiddenHeader: true,
              cell: (g) => (
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
              ),
            },
          ]}
        />
      )}
    </section>
  );
}
