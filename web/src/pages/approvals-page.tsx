// Approvals: requests held by a gateway (or asked for in SDK mode) until a person decides. The
// pending list is live (the approvals event stream); history and grants come from /v1/approvals.
// Members and above decide, unless the rule named a higher approver role; anyone else sees the list
// without controls.
import { type ReactNode, useState } from 'react';
import type { Approval, DecideApprovalAnswer, Role } from '../api/types';
import { DataTable } from '../components/data-table';
import { Success } from '../components/notices';
import { PageHeader } from '../components/page-header';
import { TimeText } from '../components/time-text';
import { setQuery, useLocation } from '../router';
import { roleAtLeast, useMe } from '../session';
import { DecideButtons } from './approval-decide';
import { ApprovalHistory, GrantsPanel } from './approval-history';
import { RequestCell, requestText } from './approval-request';
import { type LiveState, useApprovalStream } from './approval-stream';

const LIVE_TEXT: Record<LiveState, string> = {
  connecting: 'Connecting…',
  live: 'Live',
  reconnecting: 'Reconnecting…',
};

export function ApprovalsPage() {
  const { query } = useLocation();
  const tab = query.get('tab') === 'history' ? 'history' : 'pending';
  const feed = useApprovalStream();
  const [done, setDone] = useState<ReactNode>(undefined);

  return (
    <>
      <PageHeader title="Approvals">
        Requests that a permission or policy holds until a person approves or denies them. The agent waits (up
        to its hold timeout) and then gets the upstream's answer or a refusal.{' '}
        <span className={feed.state === 'live' ? 'live-dot on' : 'live-dot'} aria-live="polite">
          {LIVE_TEXT[feed.state]}
        </span>
      </PageHeader>
      <div className="tabs" role="tablist" aria-label="Approval views">
        <button
          type="button"
          role="tab"
          aria-selected={tab === 'pending'}
          className="tab"
          onClick={() => setQuery({ tab: undefined })}
        >
          {feed.loaded ? `Pending (${feed.pending.length})` : 'Pending'}
        </button>
        <button
          type="button"
          role="tab"
          aria-selected={tab === 'history'}
          className="tab"
          onClick={() => setQuery({ tab: 'history' })}
        >
          History
        </button>
      </div>
      {done && <Success>{done}</Success>}
      {tab === 'pending' ? (
        <>
          {feed.state === 'reconnecting' && (
            <p className="note note-warn" role="status">
              {feed.loaded
                ? 'Live updates are interrupted; reconnecting. The list below may be out of date.'
                : 'The live list of approvals cannot be reached right now; trying again every few seconds.'}
            </p>
          )}
          <PendingList
            pending={feed.pending}
            loaded={feed.loaded}
            onDecided={(a) => setDone(decidedText(a))}
          />
          <GrantsPanel changes={feed.changes} />
        </>
      ) : (
        <ApprovalHistory changes={feed.changes} />
      )}
    </>
  );
}

/** What was decided, in a sentence; a grant's end in local time with UTC on hover. */
function decidedText(a: DecideApprovalAnswer): ReactNode {
  const what = requestText(a.approval);
  if (a.approval.status === 'denied') return `Denied ${what}.`;
  const more = a.also_approved.length
    ? ` ${a.also_approved.length} more waiting request${a.also_approved.length === 1 ? '' : 's'} approved with it.`
    : '';
  return (
    <span>
      Approved {what}.
      {a.grant && (
        <>
          {' '}
          {a.grant.agent} may run {a.grant.action} without asking until{' '}
          <TimeText iso={a.grant.expires_at} short />.
        </>
      )}
      {more}
    </span>
  );
}

function PendingList({
  pending,
  loaded,
  onDecided,
}: {
  pending: Approval[];
  loaded: boolean;
  onDecided: (a: DecideApprovalAnswer) => void;
}) {
  const me = useMe();
  const member = roleAtLeast(me.role, 'member');
  return (
    <>
      {loaded && pending.length > 0 && !member && (
        <p className="note note-warn">Your role ({me.role}) can watch approvals but not decide them.</p>
      )}
      <DataTable<Approval>
        label="Pending approvals"
        what="pending approvals"
        rows={loaded ? pending : undefined}
        rowKey={(a) => a.id}
        empty={{
          title: 'Nothing is waiting for a decision.',
          body: (
            <p>
              A request appears here the moment a gateway holds it, with no need to reload. Ask for approval
              with a permission set to “Ask first” or a policy rule with{' '}
              <code>decision: require_approval</code>.
            </p>
          ),
        }}
        columns={[
          {
            header: 'Asked',
            className: 'nowrap',
            cell: (a) => (
              <>
                <TimeText iso={a.created_at} short />
                <span className="hint">
                  {' '}
                  open until <TimeText iso={a.expires_at} short />
                </span>
              </>
            ),
          },
          { header: 'Agent', className: 'nowrap', cell: (a) => a.agent },
          { header: 'Request', className: 'request-cell', cell: (a) => <RequestCell approval={a} /> },
          {
            header: 'Why',
            cell: (a) => (
              <>
                <ul className="reasons">
                  {a.reasons.map((r) => (
                    <li key={r}>{r}</li>
                  ))}
                </ul>
                {a.required_role !== 'member' && (
                  <span className="hint">decided by {a.required_role} or above</span>
                )}
              </>
            ),
          },
          { header: 'Waiting', className: 'num', cell: (a) => a.requests },
          member && {
            header: 'Decide',
            hiddenHeader: true,
            cell: (a) =>
              roleAtLeast(me.role, a.required_role as Role) ? (
                <DecideButtons approval={a} onDecided={onDecided} />
              ) : (
                <span className="muted small">needs {a.required_role}</span>
              ),
          },
        ]}
      />
    </>
  );
}
