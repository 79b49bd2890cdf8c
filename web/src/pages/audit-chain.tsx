// The audit chain's verification status (GET /v1/audit/verify), in words: how far it verified, or the
// first event that breaks it and what happened to it. The check walks the whole chain on the server,
// so it runs once when the page opens and again only when asked.
import type { AuditVerification } from '../api/types';
import { ErrorNote, Loading } from '../components/notices';
import { TimeText } from '../components/time-text';
import { useApi } from '../use-api';

const PROBLEM: Record<string, string> = {
  altered: 'was altered after it was recorded',
  deleted: 'is missing (deleted)',
  inserted: 'was inserted into the chain',
  reordered: 'is out of order',
};

export function AuditChainStatus() {
  const v = useApi<AuditVerification>('/audit/verify');
  const again = (
    <button type="button" className="btn btn-small" onClick={v.reload} disabled={v.loading}>
      Verify again
    </button>
  );
  if (v.error) return <ErrorNote error={v.error} action={again} />;
  if (!v.data) return <Loading what="the chain verification" />;
  const d = v.data;
  const anchor = d.anchor && (
    <span>
      {' '}
      It starts from a signed retention anchor at event #{d.anchor.id} ({d.anchor.pruned_total} older events
      pruned <TimeText iso={d.anchor.pruned_at} />
      ).
    </span>
  );
  if (d.ok)
    return (
      <section className="note note-ok chain-status" aria-label="Chain verification" aria-live="polite">
        <span>
          <strong>Chain verified</strong>{' '}
          {d.head ? (
            <>
              up to event #{d.head.id}: {d.checked} {d.checked === 1 ? 'event' : 'events'} checked, none
              altered, removed or reordered.
            </>
          ) : (
            <>: the log has no events yet.</>
          )}
          {anchor}{' '}
          <span className="small">
            Checked <TimeText iso={d.verified_at} short />.
          </span>
        </span>
        {again}
      </section>
    );
  const bad = d.first_bad;
  return (
    <section className="note note-error chain-status" aria-label="Chain verification">
      <span role="alert">
        <strong>Chain broken</strong>
        {bad ? (
          <>
            {' '}
            at event #{bad.id}
            {bad.event_type && (
              <>
                {' '}
                (<code>{bad.event_type}</code>
                {bad.created_at && (
                  <>
                    , <TimeText iso={bad.created_at} />
                  </>
                )}
                )
              </>
            )}
            : it {PROBLEM[bad.problem] ?? bad.problem}. {sentence(bad.reason)}
          </>
        ) : (
          '.'
        )}{' '}
        {d.head
          ? `The ${d.checked} events before it, up to #${d.head.id}, verified.`
          : 'No event before it verified.'}
        {anchor} Events from this one on cannot be trusted; restore the database from a backup or keep an
        export as evidence.
      </span>
      {again}
    </section>
  );
}

/** The server's reason as a sentence (it may come without a capital or a full stop). */
function sentence(text: string): string {
  const t = text.trim();
  if (!t) return '';
  return `${t[0]!.toUpperCase()}${t.slice(1)}${/[.!?]$/.test(t) ? '' : '.'}`;
}
