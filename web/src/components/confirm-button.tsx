// A button for a consequential action: asks once in a dialog, runs, and reports the server's answer.
import { type ReactNode, useState } from 'react';
import { useAction } from '../use-action';
import { ModalDialog } from './modal-dialog';
import { FormError } from './notices';

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
  const { busy, error, run } = useAction();
  const confirm = async () => {
    if (await run(onConfirm)) setOpen(false);
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
          <FormError message={error} />
          <div className="button-row">
            <button type="button" className="btn" onClick={() => setOpen(false)}>
              Cancel
            </button>
            <button
              type="button"
              className={danger ? 'btn btn-danger' : 'btn btn-primary'}
              disabled={busy}
              onClick={() => void confirm()}
            >
              {busy ? 'Working…' : confirmLabel}
            </button>
          </div>
        </div>
      </ModalDialog>
    </>
  );
}
