// A form that runs one request: its error in words at the top, the fields, and a submit button that
// says what is happening while the request runs. `onSubmit` throwing shows the server's message.
import type { ReactNode } from 'react';
import { useAction } from '../use-action';
import { FormError } from './notices';

export function ActionForm({
  onSubmit,
  submitLabel,
  busyLabel,
  disabled = false,
  label,
  className = 'stack',
  submitClassName = 'btn btn-primary',
  more,
  children,
}: {
  onSubmit: () => Promise<unknown>;
  submitLabel: string;
  busyLabel: string;
  disabled?: boolean;
  /** The form's accessible name, when it is not inside a titled dialog. */
  label?: string;
  className?: string;
  submitClassName?: string;
  /** Other buttons, after the submit button. */
  more?: ReactNode;
  children: ReactNode;
}) {
  const { busy, error, run } = useAction();
  return (
    <form
      className={className}
      aria-label={label}
      onSubmit={(e) => {
        e.preventDefault();
        void run(onSubmit);
      }}
    >
      <FormError message={error} />
      {children}
      <div className="button-row">
        <button type="submit" className={submitClassName} disabled={busy || disabled}>
          {busy ? busyLabel : submitLabel}
        </button>
        {more}
      </div>
    </form>
  );
}
