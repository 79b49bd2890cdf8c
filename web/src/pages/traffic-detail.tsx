// One request: the decision with each of its reasons, the action and its parameters, and what came
// back from upstream.
import { useEffect, useRef } from 'react';
import type { TrafficEntry } from '../api/types';
import { DecisionBadge } from '../components/decision-badge';
import { TimeText } from '../components/time-text';

export function TrafficDetail({ entry: e, onClose }: { entry: TrafficEntry; onClose: () => void }) {
  const head = useRef<HTMLHeadingElement>(null);
  useEffect(() => head.current?.focus(), []);
  const reasons = e.reasons?.length ? e.reasons : (e.reason ?? '').split('; ').filter(Boolean);
  const params = e.params && Object.keys(e.params).length ? e.params : undefined;
  // An event whose traffic row the gateway no longer holds: only what the ledger keeps is known, and
  // blanks would read as "nothing happened" (0 bytes, no connector).
  const available = e.details !== 'unavailable';
  return (
    <aside className="detail" aria-labelledby="detail-title">
      <header className="detail-head">
        <h2 id="detail-title" ref={head} tabIndex={-1}>
          Request details
        </h2>
        <button type="button" className="btn btn-ghost" onClick={onClose} aria-label="Close details">
          ×
        </button>
      </header>
      {e.details === 'unavailable' && (
        <p className="note-block" role="note">
          Only what the audit log keeps is shown (agent, action, decision). The request itself lives in the
          traffic log of gateway <strong>{e.gateway ?? 'unknown'}</strong>, which no longer holds it (its
          traffic retention is shorter than the audit log's) or could not be reached just now.
        </p>
      )}
      <dl className="facts">
        <dt>Decision</dt>
        <dd>
          <DecisionBadge decision={e.decision} />{' '}
          {e.mode === 'monitor' && <span className="muted">monitor mode</span>}
        </dd>
        {available && (
          <>
            <dt>Why</dt>
            <dd>
              {reasons.length ? (
                <ul className="reasons">
                  {reasons.map((r) => (
                    <li key={r}>{r}</li>
                  ))}
                </ul>
              ) : (
                <span className="muted">no reason recorded</span>
              )}
            </dd>
          </>
        )}
        <dt>Action</dt>
        <dd>{e.action ? <code>{e.action}</code> : <span className="muted">not mapped to an action</span>}</dd>
        {available && (
          <>
            <dt>Parameters</dt>
            <dd>
              {params ? (
                <pre className="code-block">{JSON.stringify(params, null, 2)}</pre>
              ) : (
                <span className="muted">none recorded</span>
              )}
            </dd>
            <dt>Request</dt>
            <dd className="break">
              <code>
                {e.method} {e.host}
                {e.path}
              </code>
            </dd>
          </>
        )}
        <dt>Agent</dt>
        <dd>{e.agent ?? <span className="muted">unknown</span>}</dd>
        {available && (
          <>
            <dt>Connector</dt>
            <dd>{e.connector ?? <span className="muted">none</span>}</dd>
            <dt>Status</dt>
            <dd>
              {e.status ?? '—'}
              {e.error && <span className="text-danger"> · {e.error}</span>}
            </dd>
            <dt>Latency</dt>
            <dd>{e.latency_ms === null ? '—' : `${e.latency_ms} ms`}</dd>
            <dt>Bytes</dt>
            <dd>
              {e.bytes_in ?? 0} in · {e.bytes_out ?? 0} out
            </dd>
          </>
        )}
        <dt>Time</dt>
        <dd>
          <TimeText iso={e.created_at} />
        </dd>
        <dt>Gateway</dt>
        <dd>{e.gateway ?? '—'}</dd>
        {available && (
          <>
            <dt>Request id</dt>
            <dd className="break">
              <code>{e.request_id ?? '—'}</code>
            </dd>
          </>
        )}
      </dl>
    </aside>
  );
}
