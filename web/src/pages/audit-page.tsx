// The audit log: every change and decision the control plane recorded, newest first, filtered on the
// server (GET /v1/audit) and paged back in time with its cursor; the chain's verification status, and
// the same selection exported as JSONL or CSV through the API. Filters live in the address.
import { useEffect, useState } from 'react';
import { api } from '../api/client';
import type { AuditEvent, AuditPage as Page } from '../api/types';
import { type Column, DataTable } from '../components/data-table';
import { AgentFilter, FilterBar, SearchFilter, SelectFilter } from '../components/filter-bar';
import { PageHeader } from '../components/page-header';
import { TimeText } from '../components/time-text';
import { setQuery, useLocation } from '../router';
import { AuditChainStatus } from './audit-chain';
import { AuditDetail } from './audit-detail';

const PAGE_SIZE = 50;
const FAMILIES = [
  'action',
  'agent',
  'approval',
  'connector',
  'gateway',
  'kill_switch',
  'maintenance',
  'permission',
  'policy',
  'rate_limit',
  'settings',
  'token',
  'user',
];
const RANGES: Record<string, { label: string; minutes: number }> = {
  '1h': { label: 'Last hour', minutes: 60 },
  '24h': { label: 'Last 24 hours', minutes: 1440 },
  '7d': { label: 'Last 7 days', minutes: 7 * 1440 },
  '30d': { label: 'Last 30 days', minutes: 30 * 1440 },
};

/** The server-side filter of the current address (relative ranges are resolved now). */
function filterOf(q: URLSearchParams): URLSearchParams {
  const f = new URLSearchParams();
  for (const k of ['type', 'actor', 'agent']) {
    const v = q.get(k);
    if (v) f.set(k, v);
  }
  const range = q.get('range') ?? '';
  if (RANGES[range]) f.set('since', new Date(Date.now() - RANGES[range].minutes * 60_000).toISOString());
  if (range === 'custom') {
    // datetime-local values are local times; the API takes ISO-8601 (sent in UTC).
    for (const [k, name] of [
      ['from', 'since'],
      ['until', 'until'],
    ] as const) {
      const t = Date.parse(q.get(k) ?? '');
      if (Number.isFinite(t)) f.set(name, new Date(t).toISOString());
    }
  }
  return f;
}

export function AuditPage() {
  const { query } = useLocation();
  const type = query.get('type') ?? '';
  const actor = query.get('actor') ?? '';
  const agent = query.get('agent') ?? '';
  const range = query.get('range') ?? '';
  const from = query.get('from') ?? '';
  const until = query.get('until') ?? '';
  const key = `${type}|${actor}|${agent}|${range}|${from}|${until}`;
  const [events, setEvents] = useState<AuditEvent[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<Error | undefined>(undefined);
  const [selected, setSelected] = useState<number | undefined>(undefined);
  const [refresh, setRefresh] = useState(0);

  // biome-ignore lint/correctness/useExhaustiveDependencies: `key` stands for the filters read from the address; `refresh` reloads
  useEffect(() => {
    let stop = false;
    setLoading(true);
    setError(undefined);
    const q = filterOf(new URLSearchParams(window.location.search));
    q.set('limit', String(PAGE_SIZE));
    api<Page>('GET', `/audit?${q}`)
      .then((page) => {
        if (stop) return;
        setEvents(page.events);
        setCursor(page.next_cursor);
      })
      .catch((err: Error) => {
        if (stop) return;
        setEvents([]);
        setCursor(null);
        setError(err);
      })
      .finally(() => {
        if (!stop) setLoading(false);
      });
    return () => {
      stop = true;
    };
  }, [key, refresh]);

  const loadOlder = async () => {
    if (!cursor) return;
    setLoading(true);
    const q = filterOf(query);
    q.set('limit', String(PAGE_SIZE));
    q.set('cursor', cursor);
    try {
      const page = await api<Page>('GET', `/audit?${q}`);
      setEvents((old) => [...old, ...page.events]);
      setCursor(page.next_cursor);
      setError(undefined);
    } catch (err) {
      setError(err as Error);
    } finally {
      setLoading(false);
    }
  };

  const filtered = Boolean(type || actor || agent || range);
  const current = events.find((e) => e.id === selected);
  const exportQuery = filterOf(query);

  return (
    <>
      <PageHeader
        title="Audit log"
        actions={
          <>
            <a className="btn" href={`/v1/audit/export?${withFormat(exportQuery, 'jsonl')}`} download>
              Export JSONL
            </a>
            <a className="btn" href={`/v1/audit/export?${withFormat(exportQuery, 'csv')}`} download>
              Export CSV
            </a>
          </>
        }
      >
        Every change made through the control plane and every governed action, newest first. Each event is
        chained to the one before it by its hash, so an edit or a deletion shows up in the verification.
        Exports hold the events that match the filters, oldest first.
      </PageHeader>
      <AuditChainStatus />
      <FilterBar
        label="Filter audit events"
        params={['type', 'actor', 'agent', 'range', 'from', 'until']}
        actions={
          <button type="button" className="btn btn-ghost" onClick={() => setRefresh((n) => n + 1)}>
            Refresh
          </button>
        }
      >
        <SelectFilter
          label="Event type"
          param="type"
          anyLabel="All events"
          choices={FAMILIES.map((f) => `${f}.*`)}
        />
        <SearchFilter label="Actor" placeholder="e.g. user:ann@example.org" param="actor" />
        <AgentFilter />
        <SelectFilter
          label="Time"
          param="range"
          anyLabel="Any time"
          choices={[
            ...Object.entries(RANGES).map(([k, r]) => ({ value: k, label: r.label })),
            { value: 'custom', label: 'Between…' },
          ]}
        />
        {range === 'custom' && (
          <>
            <label className="field field-inline">
              <span>From (local time)</span>
              <input
                type="datetime-local"
                value={from}
                onChange={(e) => setQuery({ from: e.target.value })}
              />
            </label>
            <label className="field field-inline">
              <span>Until (local time)</span>
              <input
                type="datetime-local"
                value={until}
                onChange={(e) => setQuery({ until: e.target.value })}
              />
            </label>
          </>
        )}
      </FilterBar>
      <div className={current ? 'split split-detail-first' : ''}>
        <DataTable<AuditEvent>
          label="Audit events"
          what="audit events"
          rows={events}
          loading={loading}
          rowKey={(e) => e.id}
          error={error}
          filtered={filtered}
          empty={{
            title: 'The audit log is empty.',
            body: 'Events appear here as soon as someone signs in, changes a setting or an agent acts.',
          }}
          emptyFiltered={{
            title: 'No event matches these filters.',
            body: 'Try a wider time range, another actor, or clear the filters.',
          }}
          selected={selected}
          onSelect={(id) => setSelected(Number(id))}
          columns={auditColumns((id) => setSelected(id))}
          foot={
            <p className="table-foot">
              <span className="muted">
                {events.length} {events.length === 1 ? 'event' : 'events'} shown
                {cursor ? '' : ', no older ones'}.
              </span>
              {cursor && (
                <button type="button" className="btn" onClick={() => void loadOlder()} disabled={loading}>
                  {loading ? 'Loading…' : 'Load older events'}
                </button>
              )}
            </p>
          }
        />
        {current && <AuditDetail event={current} onClose={() => setSelected(undefined)} />}
      </div>
    </>
  );
}

function withFormat(filter: URLSearchParams, format: 'jsonl' | 'csv'): string {
  const q = new URLSearchParams(filter);
  q.set('format', format);
  return q.toString();
}

function auditColumns(open: (id: number) => void): Column<AuditEvent>[] {
  return [
    { header: '#', className: 'num', cell: (e) => e.id },
    { header: 'Time', className: 'nowrap', cell: (e) => <TimeText iso={e.created_at} short /> },
    {
      header: 'Event',
      cell: (e) => (
        <button
          type="button"
          className="link-button"
          aria-label={`Details of event ${e.id}, ${e.event_type}`}
          onClick={(ev) => {
            ev.stopPropagation();
            open(e.id);
          }}
        >
          <code>{e.event_type}</code>
        </button>
      ),
    },
    { header: 'Actor', className: 'break', cell: (e) => e.actor },
    { header: 'Subject', className: 'break', cell: (e) => e.subject ?? <span className="muted">—</span> },
  ];
}
