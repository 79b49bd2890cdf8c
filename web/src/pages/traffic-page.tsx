// The live tail: the newest requests, then everything after the last id seen, polled every two
// seconds (GET /v1/traffic?after_id=). Agent and decision filter on the server; connector, action and
// time filter what is loaded. Filters live in the address so a view can be shared.
import { useEffect, useRef, useState } from 'react';
import { api } from '../api/client';
import type { Connector, TrafficPage as Page, TrafficEntry } from '../api/types';
import { type Column, DataTable } from '../components/data-table';
import { DecisionBadge } from '../components/decision-badge';
import { AgentFilter, FilterBar, SearchFilter, SelectFilter } from '../components/filter-bar';
import { PageHeader } from '../components/page-header';
import { TimeText } from '../components/time-text';
import { useLocation } from '../router';
import { useApi } from '../use-api';
import { TrafficDetail } from './traffic-detail';

const POLL_MS = 2000;
const KEEP = 1000;
const SINCE: Record<string, number> = { '15m': 15, '1h': 60, '24h': 1440 };
const SINCE_CHOICES = [
  { value: '15m', label: 'Last 15 minutes' },
  { value: '1h', label: 'Last hour' },
  { value: '24h', label: 'Last 24 hours' },
];
const DECISIONS = [
  { value: 'allow', label: 'Allowed' },
  { value: 'deny', label: 'Denied' },
  { value: 'require_approval', label: 'Needs approval' },
];

/** The table's columns; the request cell's button opens the detail from the keyboard. */
function trafficColumns(open: (id: number) => void): Column<TrafficEntry>[] {
  return [
    { header: 'Time', className: 'nowrap', cell: (e) => <TimeText iso={e.created_at} short /> },
    { header: 'Agent', className: 'nowrap', cell: (e) => e.agent ?? <span className="muted">unknown</span> },
    {
      header: 'Request',
      className: 'request-cell',
      cell: (e) => (
        <button
          type="button"
          className="link-button"
          aria-label={
            e.details === 'unavailable'
              ? `Details of request ${e.id} (request details unavailable)`
              : `Details of ${e.method ?? ''} ${e.host ?? ''}${e.path ?? ''}`
          }
          onClick={(ev) => {
            ev.stopPropagation();
            open(e.id);
          }}
        >
          {e.details === 'unavailable' ? (
            <span className="muted">request details unavailable</span>
          ) : (
            <>
              <span className="nowrap">
                <span className="method">{e.method}</span> {e.host}
              </span>
              <span className="request-path">{e.path}</span>
            </>
          )}
        </button>
      ),
    },
    {
      header: 'Action',
      cell: (e) => (e.action ? <code>{e.action}</code> : <span className="muted">—</span>),
    },
    {
      header: 'Decision',
      cell: (e) => (
        <>
          <DecisionBadge decision={e.decision} />
          {e.mode === 'monitor' && <span className="muted small"> (monitor)</span>}
          {e.reason && (
            <span className="reason-line" title={e.reason}>
              {e.reason}
            </span>
          )}
        </>
      ),
    },
    { header: 'Status', className: 'num', cell: (e) => e.status ?? '—' },
  ];
}

export function TrafficPage() {
  const { query } = useLocation();
  const agent = query.get('agent') ?? '';
  const decision = query.get('decision') ?? '';
  const connector = query.get('connector') ?? '';
  const action = query.get('action') ?? '';
  const since = query.get('since') ?? '';
  const [entries, setEntries] = useState<TrafficEntry[]>([]);
  const [error, setError] = useState<Error | undefined>(undefined);
  const [loaded, setLoaded] = useState(false);
  const [live, setLive] = useState(true);
  const [selected, setSelected] = useState<number | undefined>(undefined);
  const lastId = useRef<number | undefined>(undefined);
  const connectors = useApi<{ connectors: Connector[] }>('/connectors');

  useEffect(() => {
    let stop = false;
    lastId.current = undefined;
    setEntries([]);
    setLoaded(false);
    const params = new URLSearchParams({ last: '200' });
    if (agent) params.set('agent', agent);
    if (decision) params.set('decision', decision);
    const tick = async () => {
      if (stop) return;
      const q = new URLSearchParams(params);
      if (lastId.current !== undefined) q.set('after_id', String(lastId.current));
      try {
        const page = await api<Page>('GET', `/traffic?${q}`);
        if (stop) return;
        lastId.current = page.last_id;
        if (page.entries.length) setEntries((old) => [...old, ...page.entries].slice(-KEEP));
        setError(undefined);
        setLoaded(true);
      } catch (err) {
        if (!stop) setError(err as Error);
      }
    };
    void tick();
    if (!live)
      return () => {
        stop = true;
      };
    const timer = window.setInterval(() => {
      if (document.visibilityState === 'visible') void tick();
    }, POLL_MS);
    return () => {
      stop = true;
      window.clearInterval(timer);
    };
  }, [agent, decision, live]);

  const cutoff = SINCE[since] ? Date.now() - SINCE[since]! * 60_000 : 0;
  const shown = entries
    .filter(
      (e) =>
        (!connector || e.connector === connector) &&
        (!action || (e.action ?? '').includes(action)) &&
        (!cutoff || Date.parse(e.created_at) >= cutoff),
    )
    .reverse();
  const current = entries.find((e) => e.id === selected);
  const filtered = Boolean(agent || decision || connector || action || since);

  return (
    <>
      <PageHeader
        title="Traffic"
        actions={
          <button type="button" className="btn" aria-pressed={!live} onClick={() => setLive((l) => !l)}>
            {live ? 'Pause live updates' : 'Resume live updates'}
          </button>
        }
      >
        Every request your agents send through the gateway, newest first.{' '}
        <span className={live ? 'live-dot on' : 'live-dot'} aria-live="polite">
          {live ? 'Live' : 'Paused'}
        </span>
      </PageHeader>
      <FilterBar label="Filter traffic" params={['agent', 'decision', 'connector', 'action', 'since']}>
        <AgentFilter />
        <SelectFilter
          label="Connector"
          param="connector"
          anyLabel="All connectors"
          choices={connectors.data?.connectors.map((c) => c.name) ?? []}
        />
        <SearchFilter label="Action contains" placeholder="e.g. github.pr" param="action" live />
        <SelectFilter label="Decision" param="decision" anyLabel="Any decision" choices={DECISIONS} />
        <SelectFilter label="Time" param="since" anyLabel="Everything loaded" choices={SINCE_CHOICES} />
      </FilterBar>
      <div className={current ? 'split split-detail-first' : ''}>
        <DataTable<TrafficEntry>
          label="Requests"
          what="traffic"
          rows={loaded ? shown : undefined}
          rowKey={(e) => e.id}
          error={error}
          filtered={filtered}
          empty={{
            title: 'No traffic yet.',
            body: (
              <p>
                Requests appear here a second or two after an agent sends them. Start one with{' '}
                <code>tameflare run --agent NAME -- COMMAND</code>.
              </p>
            ),
          }}
          emptyFiltered={{
            title: 'No request matches these filters.',
            body: 'Try a wider time range or clear the filters.',
          }}
          selected={selected}
          onSelect={(id) => setSelected(Number(id))}
          columns={trafficColumns((id) => setSelected(id))}
        />
        {current && <TrafficDetail entry={current} onClose={() => setSelected(undefined)} />}
      </div>
    </>
  );
}
