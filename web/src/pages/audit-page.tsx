// The audit log: every change and decision the control plane recorded, newest first, filtered on the
// server (GET /v1/audit) and paged back in time with its cursor; the chain's verification status, and
// the same selection exported as JSONL or CSV through the API. Filters live in the address.
import { useEffect, useState } from 'react';
import { api } from '../api/client';
import type { Agent, AuditEvent, AuditPage as Page } from '../api/types';
import { Empty, ErrorNote } from '../components/notices';
import { PageHeader } from '../components/page-header';
import { TimeText } from '../components/time-text';
import { setQuery, useLocation } from '../router';
import { useApi } from '../use-api';
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
  const [actorDraft, setActorDraft] = useState(actor);
  const [events, setEvents] = useState<AuditEvent[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<Error | undefined>(undefined);
  const [selected, setSelected] = useState<number | undefined>(undefined);
  const [refresh, setRefresh] = useState(0);
  const agents = useApi<{ agents: Agent[] }>('/agents');

  useEffect(() => setActorDraft(actor), [actor]);

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

  const applyActor = (e?: { preventDefault(): void }) => {
    e?.preventDefault();
    if (actorDraft.trim() !== actor) setQuery({ actor: actorDraft.trim() });
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
      <form className="filters" aria-label="Filter audit events" onSubmit={(e) => e.preventDefault()}>
        <label className="field field-inline">
          <span>Event type</span>
          <select value={type} onChange={(e) => setQuery({ type: e.target.value })}>
            <option value="">All events</option>
            {type && !FAMILIES.some((f) => `${f}.*` === type) && <option value={type}>{type}</option>}
            {FAMILIES.map((f) => (
              <option key={f} value={`${f}.*`}>
                {f}.*
              </option>
            ))}
          </select>
        </label>
        <label className="field field-inline">
          <span>Actor</span>
          <input
            type="search"
            value={actorDraft}
            placeholder="e.g. user:ann@example.org"
            onChange={(e) => setActorDraft(e.target.value)}
            onBlur={() => applyActor()}
            onKeyDown={(e) => {
              if (e.key === 'Enter') applyActor(e);
            }}
          />
        </label>
        <label className="field field-inline">
          <span>Agent</span>
          <select value={agent} onChange={(e) => setQuery({ agent: e.target.value })}>
            <option value="">All agents</option>
            {agent && !agents.data?.agents.some((a) => a.name === agent) && (
              <option value={agent}>{agent}</option>
            )}
            {agents.data?.agents.map((a) => (
              <option key={a.name} value={a.name}>
                {a.name}
              </option>
            ))}
          </select>
        </label>
        <label className="field field-inline">
          <span>Time</span>
          <select value={range} onChange={(e) => setQuery({ range: e.target.value })}>
            <option value="">Any time</option>
            {Object.entries(RANGES).map(([k, r]) => (
              <option key={k} value={k}>
                {r.label}
              </option>
            ))}
            <option value="custom">Between…</option>
          </select>
        </label>
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
        {filtered && (
          <button
            type="button"
            className="btn btn-ghost"
            onClick={() => setQuery({ type: '', actor: '', agent: '', range: '', from: '', until: '' })}
          >
            Clear filters
          </button>
        )}
        <button type="button" className="btn btn-ghost" onClick={() => setRefresh((n) => n + 1)}>
          Refresh
        </button>
      </form>
      {error && <ErrorNote error={error} />}
      <div className={current ? 'split split-detail-first' : ''}>
        <section aria-label="Audit events" className="table-wrap">
          {loading && events.length === 0 && !error ? (
            <p className="muted pad">Loading audit events…</p>
          ) : events.length === 0 ? (
            error ? null : (
              <Empty title={filtered ? 'No event matches these filters.' : 'The audit log is empty.'}>
                {filtered ? (
                  <p>Try a wider time range, another actor, or clear the filters.</p>
                ) : (
                  <p>Events appear here as soon as someone signs in, changes a setting or an agent acts.</p>
                )}
              </Empty>
            )
          ) : (
            <AuditTable events={events} selected={selected} onSelect={setSelected} />
          )}
          {events.length > 0 && (
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
          )}
        </section>
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

function AuditTable({
  events,
  selected,
  onSelect,
}: {
  events: AuditEvent[];
  selected: number | undefined;
  onSelect: (id: number) => void;
}) {
  return (
    <table className="table table-hover">
      <thead>
        <tr>
          <th scope="col" className="num">
            #
          </th>
          <th scope="col">Time</th>
          <th scope="col">Event</th>
          <th scope="col">Actor</th>
          <th scope="col">Subject</th>
        </tr>
      </thead>
      <tbody>
        {events.map((e) => (
          <tr
            key={e.id}
            className={e.id === selected ? 'selected' : undefined}
            onClick={() => onSelect(e.id)}
          >
            <td className="num">{e.id}</td>
            <td className="nowrap">
              <TimeText iso={e.created_at} short />
            </td>
            <td>
              <button
                type="button"
                className="link-button"
                aria-label={`Details of event ${e.id}, ${e.event_type}`}
                onClick={() => onSelect(e.id)}
              >
                <code>{e.event_type}</code>
              </button>
            </td>
            <td className="break">{e.actor}</td>
            <td className="break">{e.subject ?? <span className="muted">—</span>}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
