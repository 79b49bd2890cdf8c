// A secret the server returns once (an agent key, an API token, a password, a signing secret): the
// warning that it will not be shown again, the secret to copy, and whatever lines go with it.
import type { ReactNode } from 'react';
import { CopyField } from './copy-field';

export function SecretOnce({
  label,
  value,
  warning,
  children,
}: {
  label: string;
  value: string;
  /** Why it is shown only now, and what to do with it. */
  warning: ReactNode;
  children?: ReactNode;
}) {
  return (
    <div className="stack">
      <p className="note note-warn" role="status">
        {warning}
      </p>
      <CopyField label={label} value={value} secret />
      {children}
    </div>
  );
}
