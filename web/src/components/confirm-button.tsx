// A button for a consequential action: asks once in a dialog, runs, and reports the server's answer.
import { type ReactNode, useState } from 'react';
import { ModalDialog } from './modal-dialog';
import { describeError } from './notices';

export function ConfirmButton({
  label,
  title,
  children,
  confirmLabel,
  danger = false,
  onConfirm,
  className,
}: {
  label: string;
  title: string;
  children: ReactNode;
  confirmLabel: string;
  danger?: boolean;
  onConfirm: () => Promise<void>;
  className?: string;
}) {
  const [open, setOpen] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>(undefined);
  const run = async () => {
    setBusy(true);
    setError(undefined);
    try {
      await onConfirm();
      setOpen(false);
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <button
        type="button"
        className={className ?? (danger ? 'btn btn-small btn-danger-outline' : 'btn btn-small')}
        onClick={() => setOpen(true)}
      >
        {label}
      </button>
      <ModalDialog title={title} open={open} onClose={() => setOpen(false)}>
        <div className="stack">
          {children}
          {error && (
            <p className="note note-error" role="alert">
              {error}
            </p>
          )}
          <div className="button-row">
            <button type="button" className="btn" onClick={() => setOpen(false)}>
              Cancel
            </button>
            <button
              type="button"
              className={danger ? 'btn btn-danger' : 'btn btn-primary'}
              disabled={busy}
              onClick={() => void run()}
            >
              {busy ? 'Working…' : confirmLabel}
            </button>
          </div>
        </div>
      </ModalDialog>
    </>
  );
}
