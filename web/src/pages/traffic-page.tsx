// The live tail: the newest requests, then everything after the last id seen, polled every two
// seconds (GET /v1/traffic?after_id=). Agent and decision filter on the server; connector, action and
// time filter what is loaded. Filters live in the address so a view can be shared.
import { useEffect, useRef, useState } from 'react';
import { api } from '../api/client';
import type { Agent, Connector, TrafficPage as Page, TrafficEntry } from '../api/types';
import { DecisionBadge } from '../components/decision-badge';
import { Empty, ErrorNote } from '../components/notices';
import { PageHeader } from '../components/page-header';
import { TimeText } from '../components/time-text';
import { setQuery, useLocation } from '../router';
import { useApi } from '../use-api';
import { TrafficDetail } from './traffic-detail';

const POLL_MS = 2000;
const KEEP = 1000;
const SINCE: Record<string, number> = { '15m': 15, '1h': 60, '24h': 1440 };

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
  const agents = useApi<{ agents: Agent[] }>('/agents');
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
      <form className="filters" aria-label="Filter traffic" onSubmit={(e) => e.preventDefault()}>
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
        <label className="field field-inline">
          <span>Connector</span>
          <select value={connector} onChange={(e) => setQuery({ connector: e.target.value })}>
            <option value="">All connectors</option>
            {connectors.data?.connectors.map((c) => (
              <option key={c.name} value={c.name}>
                {c.name}
              </option>
            ))}
          </select>
        </label>
        <label className="field field-inline">
          <span>Action contains</span>
          <input
            type="search"
            value={action}
            placeholder="e.g. github.pr"
            onChange={(e) => setQuery({ action: e.target.value })}
          />
        </label>
        <label className="field field-inline">
          <span>Decision</span>
          <select value={decision} onChange={(e) => setQuery({ decision: e.target.value })}>
            <option value="">Any decision</option>
            <option value="allow">Allowed</option>
            <option value="deny">Denied</option>
            <option value="require_approval">Needs approval</option>
          </select>
        </label>
        <label className="field field-inline">
          <span>Time</span>
          <select value={since} onChange={(e) => setQuery({ since: e.target.value })}>
            <option value="">Everything loaded</option>
            <option value="15m">Last 15 minutes</option>
            <option value="1h">Last hour</option>
            <option value="24h">Last 24 hours</option>
          </select>
        </label>
        {filtered && (
          <button
            type="button"
            className="btn btn-ghost"
            onClick={() => setQuery({ agent: '', decision: '', connector: '', action: '', since: '' })}
          >
            Clear filters
          </button>
        )}
      </form>
      {error && <ErrorNote error={error} />}
      <div className={current ? 'split' : ''}>
        <section aria-label="Requests" className="table-wrap">
          {!loaded && !error ? (
            <p className="muted">Loading traffic…</p>
          ) : shown.length === 0 ? (
            <Empty title={filtered ? 'No request matches these filters.' : 'No traffic yet.'}>
              {filtered ? (
                <p>Try a wider time range or clear the filters.</p>
              ) : (
                <p>
                  Requests appear here a second or two after an agent sends them. Start one with{' '}
                  <code>tameflare run --agent NAME -- COMMAND</code>.
                </p>
              )}
            </Empty>
          ) : (
            <table className="table table-hover">
              <thead>
                <tr>
                  <th scope="col">Time</th>
                  <th scope="col">Agent</th>
                  <th scope="col">Request</th>
                  <th scope="col">Action</th>
                  <th scope="col">Decision</th>
                  <th scope="col" className="num">
                    Status
                  </th>
                </tr>
              </thead>
              <tbody>
                {shown.map((e) => (
                  <tr
                    key={e.id}
                    className={e.id === selected ? 'selected' : undefined}
                    onClick={() => setSelected(e.id)}
                  >
                    <td className="nowrap">
                      <TimeText iso={e.created_at} short />
                    </td>
                    <td className="nowrap">{e.agent ?? <span className="muted">unknown</span>}</td>
                    <td className="request-cell">
                      <button
                        type="button"
                        className="link-button"
                        aria-label={`Details of ${e.method ?? ''} ${e.host ?? ''}${e.path ?? ''}`}
                        onClick={() => setSelected(e.id)}
                      >
                        <span className="nowrap">
                          <span className="method">{e.method}</span> {e.host}
                        </span>
                        <span className="request-path">{e.path}</span>
                      </button>
                    </td>
                    <td>{e.action ? <code>{e.action}</code> : <span className="muted">—</span>}</td>
                    <td>
                      <DecisionBadge decision={e.decision} />
                      {e.mode === 'monitor' && <span className="muted small"> (monitor)</span>}
                      {e.reason && (
                        <span className="reason-line" title={e.reason}>
                          {e.reason}
                        </span>
                      )}
                    </td>
                    <td className="num">{e.status ?? '—'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>
        {current && <TrafficDetail entry={current} onClose={() => setSelected(undefined)} />}
      </div>
    </>
  );
}
