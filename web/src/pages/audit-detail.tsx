// One audit event: who did what to what, its details as recorded, and its place in the hash chain.
import { useEffect, useRef } from 'react';
import type { AuditEvent } from '../api/types';
import { TimeText } from '../components/time-text';

export function AuditDetail({ event: e, onClose }: { event: AuditEvent; onClose: () => void }) {
  const head = useRef<HTMLHeadingElement>(null);
  // biome-ignore lint/correctness/useExhaustiveDependencies: focus follows each newly opened event, so keyboard and screen-reader users land on it
  useEffect(() => head.current?.focus(), [e.id]);
  return (
    <aside className="detail" aria-labelledby="audit-detail-title">
      <header className="detail-head">
        <h2 id="audit-detail-title" ref={head} tabIndex={-1}>
          Event #{e.id}
        </h2>
        <button type="button" className="btn btn-ghost" onClick={onClose} aria-label="Close details">
          ×
        </button>
      </header>
      <dl className="facts">
        <dt>Type</dt>
        <dd>
          <code>{e.event_type}</code>
        </dd>
        <dt>Time</dt>
        <dd>
          <TimeText iso={e.created_at} />
        </dd>
        <dt>Actor</dt>
        <dd className="break">{e.actor}</dd>
        <dt>Subject</dt>
        <dd className="break">{e.subject ?? <span className="muted">none</span>}</dd>
        <dt>Details</dt>
        <dd>
          {Object.keys(e.details).length ? (
            <pre className="code-block">{JSON.stringify(e.details, null, 2)}</pre>
          ) : (
            <span className="muted">none recorded</span>
          )}
        </dd>
        <dt>Hash</dt>
        <dd className="break">
          <code>{e.hash ?? '—'}</code>
        </dd>
        <dt>Previous hash</dt>
        <dd className="break">
          {e.prev_hash ? <code>{e.prev_hash}</code> : <span className="muted">none (first event)</span>}
        </dd>
      </dl>
    </aside>
  );
}
