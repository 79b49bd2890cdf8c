// Empty, loading and error states, written for the person reading them.
import type { ReactNode } from 'react';
import { ApiError } from '../api/client';

export function describeError(err: unknown): string {
  if (err instanceof ApiError) {
    if (err.code === 'insufficient_role') return `Your role cannot do this: ${err.message}.`;
    if (err.code === 'rate_limited' && err.retryAfterSeconds)
      return `${err.message} Try again in ${err.retryAfterSeconds} s.`;
    return err.message;
  }
  return err instanceof Error ? err.message : String(err);
}

export function ErrorNote({ error, action }: { error: unknown; action?: ReactNode }) {
  return (
    <div className="note note-error" role="alert">
      <span>{describeError(error)}</span>
      {action}
    </div>
  );
}

/** The error of a form or dialog, announced when it appears. */
export function FormError({ message }: { message: string | undefined }) {
  if (!message) return null;
  return (
    <p className="note note-error" role="alert">
      {message}
    </p>
  );
}

export function Empty({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="empty">
      <p className="empty-title">{title}</p>
      {children && <div className="empty-body">{children}</div>}
    </div>
  );
}

export function Loading({ what }: { what: string }) {
  return (
    <p className="muted" aria-busy="true">
      Loading {what}…
    </p>
  );
}

export function Success({ children }: { children: ReactNode }) {
  return (
    <div className="note note-ok" role="status">
      {children}
    </div>
  );
}
