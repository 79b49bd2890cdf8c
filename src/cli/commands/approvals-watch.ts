// `tameflare approvals watch`: reads the control plane's live approvals stream and prints one line per
// event, pending approvals first. The stream is opened again after a break (an event seen before is
// not printed twice); Ctrl-C ends it with exit 0.
import type { ApprovalStreamEvent, ApprovalWire } from '../../wire/approvals.js';
import { type ApiOptions, apiClientFor } from '../api-options.js';
import type { CliContext } from '../cli-context.js';
import { escapeControl } from '../format-table.js';

export async function watchApprovals(ctx: CliContext, opts: ApiOptions): Promise<void> {
  const api = apiClientFor(ctx, opts);
  const stop = new AbortController();
  const onSigint = () => stop.abort();
  process.once('SIGINT', onSigint);
  const seen = new Set<string>();
  const show = (type: string, a: ApprovalWire) => {
    const key = `${a.id}:${a.status}:${a.requests}`;
    if (seen.has(key)) return;
    seen.add(key);
    ctx.stdout.write(opts.json ? `${JSON.stringify({ type, approval: a })}\n` : `${watchLine(type, a)}\n`);
  };
  let connected = false;
  let failures = 0;
  try {
    while (!stop.signal.aborted) {
      const events = api.events('/v1/approvals/stream', stop.signal);
      try {
        for await (const { event, data } of events) {
          connected = true;
          failures = 0;
          if (event === 'ready') {
            for (const a of (JSON.parse(data) as { pending: ApprovalWire[] }).pending)
              show('approval.pending', a);
          } else if (event.startsWith('approval.')) {
            show(event, (JSON.parse(data) as ApprovalStreamEvent).approval);
          }
        }
      } catch (err) {
        if (stop.signal.aborted) break;
        // The first attempt says why plainly; a stream that worked before is waited for.
        if (!connected) throw err;
        await pause(Math.min(10_000, 500 * 2 ** failures++), stop.signal);
        continue;
      }
      if (!stop.signal.aborted) await pause(500, stop.signal);
    }
  } finally {
    process.removeListener('SIGINT', onSigint);
  }
}

export function watchLine(type: string, a: ApprovalWire): string {
  const request = a.method ? ` ${a.method} ${a.host ?? ''}${a.path ?? ''}` : '';
  const what = `${a.id}  ${a.agent}  ${a.action}${request}`;
  switch (type) {
    case 'approval.decided': {
      const by = a.decided_by ? ` by ${a.decided_by}` : '';
      const note = a.note ? ` (${a.note})` : '';
      return escapeControl(`${a.decided_at ?? ''}  ${a.status.toUpperCase()}${by}  ${what}${note}`);
    }
    case 'approval.updated':
      return escapeControl(`${a.created_at}  JOINED (${a.requests} requests)  ${what}`);
    default:
      return escapeControl(
        `${a.created_at}  PENDING  ${what}  needs ${a.required_role}; expires ${a.expires_at}`,
      );
  }
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(t);
      resolve();
    });
  });
}
