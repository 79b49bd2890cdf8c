// Settings: the receivers that get a signed webhook per new approval and per decision (admins only:
// the API answers 403 to anyone else, so the panel is not shown to them). The signing secret is shown
// once, when a receiver is added; URLs come back shortened, because a Slack webhook URL is a credential.
import { type FormEvent, useState } from 'react';
import { api, seg } from '../api/client';
import type { Webhook, WebhookCreated, WebhookDelivery } from '../api/types';
import { ConfirmButton } from '../components/confirm-button';
import { CopyField } from '../components/copy-field';
import { ModalDialog } from '../components/modal-dialog';
import { ErrorNote, FormError } from '../components/notices';
import { TimeText } from '../components/time-text';
import { useAction } from '../use-action';
import { useApi } from '../use-api';

export function WebhooksPanel() {
  const hooks = useApi<{ webhooks: Webhook[] }>('/approvals/webhooks');
  const deliveries = useApi<{ deliveries: WebhookDelivery[] }>('/approvals/webhooks/deliveries?limit=20', {
    pollMs: 10_000,
  });
  const [created, setCreated] = useState<WebhookCreated | undefined>(undefined);
  const list = hooks.data?.webhooks ?? [];
  const sent = deliveries.data?.deliveries ?? [];

  return (
    <section className="panel" aria-labelledby="webhooks-title">
      <h2 id="webhooks-title">Approval webhooks</h2>
      <p className="muted">
        Each receiver gets a POST per new approval and per decision, signed with HMAC-SHA256 in{' '}
        <code>X-TameFlare-Signature</code> and retried with backoff. A slow receiver never delays a decision.
      </p>
      {hooks.error && <ErrorNote error={hooks.error} />}
      {list.length === 0 ? (
        <p className="muted">No receiver yet.</p>
      ) : (
        <table className="table">
          <thead>
            <tr>
              <th scope="col">URL</th>
              <th scope="col">Format</th>
              <th scope="col">Secret</th>
              <th scope="col">Added</th>
              <th scope="col">Remove</th>
            </tr>
          </thead>
          <tbody>
            {list.map((w) => (
              <tr key={w.id}>
                <td>
                  <code>{w.url}</code>
                </td>
                <td>{w.format}</td>
                <td className="nowrap">ends in {w.secret_last4}</td>
                <td>
                  <TimeText iso={w.created_at} short />
                </td>
                <td>
                  <ConfirmButton
                    label="Remove"
                    title="Remove this webhook receiver?"
                    confirmLabel="Remove"
                    danger
                    onConfirm={async () => {
                      await api('DELETE', `/approvals/webhooks/${seg(w.id)}`);
                      hooks.reload();
                    }}
                  >
                    <p>
                      <code>{w.url}</code> gets nothing more, and its delivery records are removed.
                    </p>
                  </ConfirmButton>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <AddWebhookForm
        onAdded={(w) => {
          setCreated(w);
          hooks.reload();
        }}
      />
      <ModalDialog
        title="Webhook receiver added"
        open={created !== undefined}
        onClose={() => setCreated(undefined)}
      >
        {created && (
          <div className="stack">
            <p>
              Verify each delivery with this secret: <code>v1</code> is the hex HMAC-SHA256 of{' '}
              <code>&lt;t&gt;.&lt;body&gt;</code>. It is shown only now.
            </p>
            <CopyField label="Signing secret" value={created.secret} secret />
            <div className="button-row">
              <button type="button" className="btn btn-primary" onClick={() => setCreated(undefined)}>
                I have stored it
              </button>
            </div>
          </div>
        )}
      </ModalDialog>
      <h3>Recent deliveries</h3>
      {deliveries.error && <ErrorNote error={deliveries.error} />}
      {sent.length === 0 ? (
        <p className="muted">Nothing sent yet.</p>
      ) : (
        <table className="table">
          <thead>
            <tr>
              <th scope="col">Event</th>
              <th scope="col">Approval</th>
              <th scope="col">Status</th>
              <th scope="col" className="num">
                Attempts
              </th>
              <th scope="col">Last answer</th>
              <th scope="col">Created</th>
            </tr>
          </thead>
          <tbody>
            {sent.map((d) => (
              <tr key={d.id}>
                <td>{d.event}</td>
                <td>
                  <code>{d.approval_id}</code>
                </td>
                <td>{d.status}</td>
                <td className="num">{d.attempts}</td>
                <td>{d.last_error ?? d.last_status ?? '—'}</td>
                <td>
                  <TimeText iso={d.created_at} short />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function AddWebhookForm({ onAdded }: { onAdded: (w: WebhookCreated) => void }) {
  const [url, setUrl] = useState('');
  const [format, setFormat] = useState<'json' | 'slack'>('json');
  const { busy, error, run } = useAction();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void run(async () => {
      onAdded(await api<WebhookCreated>('POST', '/approvals/webhooks', { url: url.trim(), format }));
      setUrl('');
    });
  };
  return (
    <form className="inline-form webhook-add" onSubmit={submit} aria-label="Add a webhook receiver">
      <label className="field field-inline grow">
        <span>Receiver URL</span>
        <input
          type="url"
          required
          value={url}
          maxLength={2000}
          placeholder="https://hooks.example.com/tameflare"
          onChange={(e) => setUrl(e.target.value)}
        />
      </label>
      <label className="field field-inline">
        <span>Format</span>
        <select value={format} onChange={(e) => setFormat(e.target.value as 'json' | 'slack')}>
          <option value="json">JSON event</option>
          <option value="slack">Slack incoming webhook</option>
        </select>
      </label>
      <button type="submit" className="btn" disabled={busy}>
        {busy ? 'Adding…' : 'Add receiver'}
      </button>
      <FormError message={error} />
    </form>
  );
}
