// The live list of pending approvals, read from GET /v1/approvals/stream (server-sent events): the
// stream opens with `ready` (everything pending now), then one event per change. The browser's
// EventSource reconnects by itself after a network error, and every reconnection starts with a fresh
// `ready`, so nothing decided meanwhile is shown as pending. A refused stream (the session ended, the
// server is gone) is retried after a pause, and one plain API call tells the app when the session is gone.
import { useEffect, useRef, useState } from 'react';
import { api } from '../api/client';
import type { Approval, ApprovalStreamEvent } from '../api/types';

export type LiveState = 'connecting' | 'live' | 'reconnecting';

const RETRY_MS = 5000;
const EVENTS = ['approval.requested', 'approval.updated', 'approval.decided'] as const;

export interface ApprovalFeed {
  /** Pending approvals, newest first. */
  pending: Approval[];
  state: LiveState;
  /** Whether the stream has answered at least once (before that, `pending` means nothing yet). */
  loaded: boolean;
  /** Counts every change seen, so views derived from the API (history) know when to reload. */
  changes: number;
}

export function useApprovalStream(): ApprovalFeed {
  const [pending, setPending] = useState<Approval[]>([]);
  const [state, setState] = useState<LiveState>('connecting');
  const [changes, setChanges] = useState(0);
  const [loaded, setLoaded] = useState(false);
  const stopped = useRef(false);

  useEffect(() => {
    stopped.current = false;
    let source: EventSource | undefined;
    let timer: number | undefined;

    const connect = () => {
      source = new EventSource('/v1/approvals/stream');
      source.addEventListener('ready', (e) => {
        const { pending: now } = JSON.parse((e as MessageEvent<string>).data) as { pending: Approval[] };
        setPending(sortNewestFirst(now));
        setState('live');
        setLoaded(true);
        setChanges((n) => n + 1);
      });
      for (const type of EVENTS) {
        source.addEventListener(type, (e) => {
          const { approval } = JSON.parse((e as MessageEvent<string>).data) as ApprovalStreamEvent;
          setPending((list) => apply(list, approval));
          setChanges((n) => n + 1);
        });
      }
      source.onerror = () => {
        if (stopped.current || !source) return;
        setState('reconnecting');
        if (source.readyState !== EventSource.CLOSED) return; // the browser retries by itself
        source.close();
        // The stream was refused: a 401 here sends the app back to the sign-in page.
        api('GET', '/approvals?status=pending&limit=1').catch(() => undefined);
        timer = window.setTimeout(connect, RETRY_MS);
      };
    };
    connect();
    return () => {
      stopped.current = true;
      source?.close();
      window.clearTimeout(timer);
    };
  }, []);

  return { pending, state, loaded, changes };
}

function apply(list: Approval[], approval: Approval): Approval[] {
  const others = list.filter((a) => a.id !== approval.id);
  return approval.status === 'pending' ? sortNewestFirst([...others, approval]) : others;
}

function sortNewestFirst(list: Approval[]): Approval[] {
  return [...list].sort((a, b) => b.created_at.localeCompare(a.created_at) || b.id.localeCompare(a.id));
}
