// `tameflare approvals watch`: reads the control plane's live approvals stream and prints one line per
// event, pending approvals first. The stream is re-opened after a break (an event seen before is not
// printed twice); Ctrl-C ends it with exit 0.

import { readEvents } from '../../sync/gateway-sync-client.js';
import type { ApprovalStreamEvent, ApprovalWire } from '../../wire/approvals.js';
import { causeOf, resolveApiTarget } from '../api-client.js';
import type { ApiOptions } from '../api-options.js';
import type { CliContext } from '../cli-context.js';
import { CliError } from '../cli-error.js';
import { escapeControl } from '../format-table.js';

export async function watchApprovals(ctx: CliContext, opts: ApiOptions): Promise<void> {
  const target = resolveApiTarget(ctx, opts);
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
  let failures = 0;
  try {
    while (!stop.signal.aborted) {
      let res: Response;
      try {
        res = await fetch(`${target.url}/v1/approvals/stream`, {
          headers: {
            accept: 'text/event-stream',
            ...(target.token ? { authorization: `Bearer ${target.token}` } : {}),
          },
          signal: stop.signal,
        });
      } catch (err) {
        if (stop.signal.aborted) break;
        if (failures++ === 0 && seen.size === 0) {
          throw new CliError(
            `cannot reach the TameFlare control plane at ${target.url} (${causeOf(err)}); is \`tameflare serve\` running?`,
          );
        }
        await pause(Math.min(10_000, 500 * 2 ** failures), stop.signal);
        continue;
      }
      if (!res.ok || !res.body) {
        const text = await res.text().catch(() => '');
        let message = `HTTP ${res.status}`;
        try {
          message = (JSON.parse(text) as { error?: { message?: string } }).error?.message ?? message;
        } catch {
          // keep the status
        }
        throw new CliError(message);
      }
      failures = 0;
      try {
        await readEvents(res.body, async (event, data) => {
          if (event === 'ready') {
            for (const a of (JSON.parse(data) as { pending: ApprovalWire[] }).pending)
              show('approval.pending', a);
          } else if (event.startsWith('approval.')) {
            show(event, (JSON.parse(data) as ApprovalStreamEvent).approval);
          }
        });
      } catch {
        // the stream broke: open it again
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
  const time = (type === 'approval.decided' ? a.decided_at : a.created_at) ?? '';
  switch (type) {
    case 'approval.decided': {
      const by = a.decided_by ? ` by ${a.decided_by}` : '';
      const note = a.note ? ` (${a.note})` : '';
      return escapeControl(`${time}  ${a.status.toUpperCase()}${by}  ${what}${note}`);
    }
    case 'approval.updated':
      return escapeControl(`${time}  JOINED (${a.requests} requests)  ${what}`);
    default:
      return escapeControl(`${time}  PENDING  ${what}  needs ${a.required_role}; expires ${a.expires_at}`);
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
