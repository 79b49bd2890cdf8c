// What an approval webhook receiver gets, pure: the JSON event (or a Slack incoming-webhook message)
// and the headers that sign it. The signature is HMAC-SHA256 over "<unix seconds>.<body>", in the
// layout the webhook connector already uses (`t=<unix>,v1=<hex>`), so one verifier serves both; the
// timestamp is inside the signed text, so a receiver can refuse replays.
import { signWebhookBody } from '../connectors/webhook.js';
import type { ApprovalWire } from '../wire/approvals.js';

export type WebhookFormat = 'json' | 'slack';
export type ApprovalEventType = 'approval.requested' | 'approval.decided';

export const SIGNATURE_HEADER = 'x-tameflare-signature';

export function webhookBody(
  format: WebhookFormat,
  event: ApprovalEventType,
  approval: ApprovalWire,
  at: string,
): string {
  if (format === 'slack') return JSON.stringify({ text: slackText(event, approval) });
  return JSON.stringify({ type: event, created_at: at, approval });
}

export function webhookHeaders(
  secret: string,
  body: string,
  meta: { event: string; deliveryId: number; nowSeconds: number; version: string },
): Record<string, string> {
  return {
    'content-type': 'application/json',
    'user-agent': `tameflare/${meta.version}`,
    'x-tameflare-event': meta.event,
    'x-tameflare-delivery': String(meta.deliveryId),
    [SIGNATURE_HEADER]: signWebhookBody(secret, Buffer.from(body), meta.nowSeconds),
  };
}

function slackText(event: ApprovalEventType, a: ApprovalWire): string {
  const target = a.method && a.host ? ` (${a.method} ${a.host}${a.path ?? ''})` : '';
  if (event === 'approval.requested') {
    const why = a.reasons[0] ? `\n> ${escapeSlack(a.reasons[0])}` : '';
    return (
      `:hourglass: Approval needed: *${escapeSlack(a.agent)}* wants \`${escapeSlack(a.action)}\`${escapeSlack(target)}` +
      `${why}\nid \`${a.id}\`, expires ${a.expires_at}. ` +
      `\`tameflare approvals approve ${a.id}\` or \`tameflare approvals deny ${a.id}\``
    );
  }
  const icon =
    a.status === 'approved' ? ':white_check_mark:' : a.status === 'denied' ? ':no_entry:' : ':grey_question:';
  const by = a.decided_by ? ` by ${escapeSlack(a.decided_by)}` : '';
  const note = a.note ? `: ${escapeSlack(a.note)}` : '';
  const grant = a.grant ? ` (granted until ${a.grant.expires_at})` : '';
  return `${icon} \`${escapeSlack(a.action)}\` for *${escapeSlack(a.agent)}* ${a.status}${by}${grant}${note} (id \`${a.id}\`)`;
}

/** Slack's control characters in message text (&, <, >) must be escaped. */
function escapeSlack(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
