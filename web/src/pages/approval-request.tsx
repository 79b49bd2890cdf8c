// How an approval's request reads in a table and a sentence: method, host and path (query names
// only), the action, and its parameters as the control plane summarised them (secrets redacted).
import type { Approval } from '../api/types';

export function requestText(a: Approval): string {
  if (a.method && a.host) return `${a.method} ${a.host}${a.path ?? ''}`;
  return a.action;
}

/** Who decided or granted: a person by their email (the audit log's `user:` prefix dropped), else as recorded. */
export function actorText(actor: string): string {
  return actor.replace(/^user:/, '');
}

export function RequestCell({ approval: a }: { approval: Approval }) {
  const params = Object.entries(a.params);
  return (
    <>
      {a.method && a.host ? (
        <span className="nowrap">
          <span className="method">{a.method}</span> {a.host}
          <span className="request-path">{a.path}</span>
        </span>
      ) : (
        <span className="muted small">asked in SDK mode</span>
      )}
      <code>{a.action}</code>
      {params.length > 0 && (
        <span className="request-path">
          {params.map(([k, v]) => (
            <span key={k} className="chip">
              {k}={typeof v === 'string' ? v : JSON.stringify(v)}
            </span>
          ))}
        </span>
      )}
    </>
  );
}
