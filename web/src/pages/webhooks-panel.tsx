// Settings: the receivers that get a signed webhook per new approval and per decision (admins only:
// the API answers 403 to anyone else, so the panel is not shown to them). The signing secret is shown
// once, when a receiver is added; URLs come back shortened, because a Slack webhook URL is a credential.
import { useState } from 'react';
import { api, seg } from '../api/client';
import type { Webhook, WebhookCreated, WebhookDelivery } from '../api/types';
import { ActionForm } from '../components/action-form';
import { ConfirmButton } from '../components/confirm-button';
import { DataTable } from '../components/data-table';
import { ModalDialog } from '../components/modal-dialog';
import { ErrorNote } from '../components/notices';
import { SecretOnce } from '../components/secret-once';
import { TimeText } from '../components/time-text';
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
        <DataTable<Webhook>
          label="Receivers"
          what="receivers"
          rows={list}
          rowKey={(w) => w.id}
          empty={{ title: 'No receiver yet.' }}
          columns={[
            { header: 'URL', rowHeader: true, cell: (w) => <code className="break">{w.url}</code> },
            { header: 'Format', cell: (w) => w.format },
            { header: 'Secret', className: 'nowrap', cell: (w) => `ends in ${w.secret_last4}` },
            { header: 'Added', cell: (w) => <TimeText iso={w.created_at} short /> },
            {
              header: 'Remove',
              hiddenHeader: true,
              cell: (w) => (
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
              ),
            },
          ]}
        />
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
          <SecretOnce
            label="Signing secret"
            value={created.secret}
            warning={
              <>
                It is shown only now. Verify each delivery with it: <code>v1</code> is the hex HMAC-SHA256 of{' '}
                <code>&lt;t&gt;.&lt;body&gt;</code>.
              </>
            }
          >
            <div className="button-row">
              <button type="button" className="btn btn-primary" onClick={() => setCreated(undefined)}>
                I have stored it
              </button>
            </div>
          </SecretOnce>
        )}
      </ModalDialog>
      <h3>Recent deliveries</h3>
      {deliveries.error && <ErrorNote error={deliveries.error} />}
      {sent.length === 0 ? (
        <p className="muted">Nothing sent yet.</p>
      ) : (
        <DataTable<WebhookDelivery>
          label="Deliveries"
          what="deliveries"
          rows={sent}
          rowKey={(d) => d.id}
          empty={{ title: 'Nothing sent yet.' }}
          columns={[
            { header: 'Event', cell: (d) => d.event },
            { header: 'Approval', cell: (d) => <code>{d.approval_id}</code> },
            { header: 'Status', cell: (d) => d.status },
            { header: 'Attempts', className: 'num', cell: (d) => d.attempts },
            { header: 'Last answer', cell: (d) => d.last_error ?? d.last_status ?? '—' },
            { header: 'Created', cell: (d) => <TimeText iso={d.created_at} short /> },
          ]}
        />
      )}
    </section>
  );
}

function AddWebhookForm({ onAdded }: { onAdded: (w: WebhookCreated) => void }) {
  const [url, setUrl] = useState('');
  const [format, setFormat] = useState<'json' | 'slack'>('json');
  const submit = async () => {
    onAdded(await api<WebhookCreated>('POST', '/approvals/webhooks', { url: url.trim(), format }));
    setUrl('');
  };
  return (
    <ActionForm
      onSubmit={submit}
      submitLabel="Add receiver"
      busyLabel="Adding…"
      label="Add a webhook receiver"
      className="inline-form webhook-add"
      submitClassName="btn"
    >
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
    </ActionForm>
  );
}
