// Approve or deny one pending approval. Approving may widen into a grant ("approve for N minutes":
// the same agent may run the same action without a hold until it runs out); denying takes a note,
// which the agent receives in its 403. Offered only to a caller whose role may decide this approval.
import { type FormEvent, useState } from 'react';
import { api, seg } from '../api/client';
import type { Approval, DecideApprovalAnswer } from '../api/types';
import { ModalDialog } from '../components/modal-dialog';
import { FormError } from '../components/notices';
import { useAction } from '../use-action';
import { requestText } from './approval-request';

/** The API's bound (MAX_GRANT_MINUTES in src/wire/approvals.ts): longer belongs in a permission. */
const MAX_GRANT_MINUTES = 24 * 60;

export function DecideButtons({
  approval,
  onDecided,
}: {
  approval: Approval;
  onDecided: (answer: DecideApprovalAnswer) => void;
}) {
  const [open, setOpen] = useState<'approve' | 'deny' | undefined>(undefined);
  const what = requestText(approval);
  return (
    <div className="button-row">
      <button
        type="button"
        className="btn btn-small btn-primary"
        aria-label={`Approve ${what}`}
        onClick={() => setOpen('approve')}
      >
        Approve
      </button>
      <button
        type="button"
        className="btn btn-small btn-danger-outline"
        aria-label={`Deny ${what}`}
        onClick={() => setOpen('deny')}
      >
        Deny
      </button>
      <ModalDialog
        title={open === 'deny' ? `Deny ${what}?` : `Approve ${what}?`}
        open={open !== undefined}
        onClose={() => setOpen(undefined)}
      >
        {open && (
          <DecideForm
            approval={approval}
            verdict={open}
            onCancel={() => setOpen(undefined)}
            onDone={(answer) => {
              setOpen(undefined);
              onDecided(answer);
            }}
          />
        )}
      </ModalDialog>
    </div>
  );
}

function DecideForm({
  approval,
  verdict,
  onCancel,
  onDone,
}: {
  approval: Approval;
  verdict: 'approve' | 'deny';
  onCancel: () => void;
  onDone: (answer: DecideApprovalAnswer) => void;
}) {
  const [note, setNote] = useState('');
  const [widen, setWiden] = useState(false);
  const [minutes, setMinutes] = useState('30');
  const { busy, error, run } = useAction();
  const grantMinutes = Number(minutes);
  const minutesOk = Number.isInteger(grantMinutes) && grantMinutes >= 1 && grantMinutes <= MAX_GRANT_MINUTES;

  const submit = (e: FormEvent) => {
    e.preventDefault();
    void run(async () => {
      const body: { note?: string; grant_minutes?: number } = {};
      if (note.trim()) body.note = note.trim();
      if (verdict === 'approve' && widen) body.grant_minutes = grantMinutes;
      onDone(await api<DecideApprovalAnswer>('POST', `/approvals/${seg(approval.id)}/${verdict}`, body));
    });
  };

  return (
    <form className="stack" onSubmit={submit}>
      {verdict === 'approve' ? (
        <p>
          The held request is forwarded with its credential, and <strong>{approval.agent}</strong> receives
          the upstream's answer. If the agent already gave up, one identical retry passes.
        </p>
      ) : (
        <p>
          <strong>{approval.agent}</strong> receives 403 <code>approval_denied</code>, with your note.
        </p>
      )}
      {verdict === 'approve' && (
        <fieldset className="field">
          <legend>Approve</legend>
          <label className="radio">
            <input type="radio" name="widen" checked={!widen} onChange={() => setWiden(false)} />{' '}
            <span>Only this request</span>
          </label>
          <label className="radio">
            <input type="radio" name="widen" checked={widen} onChange={() => setWiden(true)} />{' '}
            <span>
              This request, and <code>{approval.action}</code> by {approval.agent} without asking, for a while
            </span>
          </label>
          {widen && (
            <label className="field field-inline">
              <span>Minutes</span>
              <input
                type="number"
                min={1}
                max={MAX_GRANT_MINUTES}
                value={minutes}
                onChange={(e) => setMinutes(e.target.value)}
                aria-invalid={!minutesOk}
              />
              <span className="hint">1 to {MAX_GRANT_MINUTES} (a day)</span>
            </label>
          )}
        </fieldset>
      )}
      <label className="field">
        <span>
          {verdict === 'deny' ? 'Note (the agent sees it)' : 'Note (optional, kept in the audit log)'}
        </span>
        <textarea value={note} maxLength={1000} rows={2} onChange={(e) => setNote(e.target.value)} />
      </label>
      <FormError message={error} />
      <div className="button-row">
        <button type="button" className="btn" onClick={onCancel}>
          Cancel
        </button>
        <button
          type="submit"
          className={verdict === 'deny' ? 'btn btn-danger' : 'btn btn-primary'}
          disabled={busy || (verdict === 'approve' && widen && !minutesOk)}
        >
          {busy
            ? 'Working…'
            : verdict === 'deny'
              ? 'Deny'
              : widen
                ? `Approve for ${minutes} minutes`
                : 'Approve'}
        </button>
      </div>
    </form>
  );
}
