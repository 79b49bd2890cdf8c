// Settings: the kill switch (owners pull and release it; everyone sees it; it reaches every gateway
// through its configuration stream at once and cuts open connections in scope), retention (admins
// set the traffic log's) and approval webhooks (admins).
import { type FormEvent, useState } from 'react';
import { api } from '../api/client';
import type { Agent, Connector, KillSwitchScope } from '../api/types';
import { ConfirmButton } from '../components/confirm-button';
import { DataTable } from '../components/data-table';
import { ModalDialog } from '../components/modal-dialog';
import { ErrorNote, FormError, Loading } from '../components/notices';
import { PageHeader } from '../components/page-header';
import { TimeText } from '../components/time-text';
import { useCan } from '../session';
import { useAction } from '../use-action';
import { useApi } from '../use-api';
import { RetentionPanel } from './retention-panel';
import { WebhooksPanel } from './webhooks-panel';

export function SettingsPage() {
  const kill = useApi<{ active: KillSwitchScope[] }>('/kill-switch', { pollMs: 10_000 });
  const canKill = useCan('owner');
  const canWebhooks = useCan('admin');
  const active = kill.data?.active ?? [];

  const release = async (scope?: string) => {
    await api('DELETE', scope ? `/kill-switch?scope=${encodeURIComponent(scope)}` : '/kill-switch');
    kill.reload();
  };

  return (
    <>
      <PageHeader title="Settings">Deployment-wide controls.</PageHeader>
      <section className="panel" aria-labelledby="kill-title">
        <h2 id="kill-title">Kill switch</h2>
        <p className="muted">
          Stops matching requests at every gateway immediately, monitor-mode agents included, and cuts their
          open connections. Nothing else is consulted while it is on.
        </p>
        {kill.error && <ErrorNote error={kill.error} />}
        {!kill.data && !kill.error ? (
          <Loading what="the kill switch" />
        ) : active.length === 0 ? (
          <p className="ks-state ks-off">The kill switch is off.</p>
        ) : (
          <>
            <p className="ks-state ks-on" role="status">
              The kill switch is on for {active.length === 1 ? 'one scope' : `${active.length} scopes`}.
            </p>
            <DataTable<KillSwitchScope>
              label="Active kill switch scopes"
              what="the kill switch"
              rows={active}
              rowKey={(k) => k.scope}
              empty={{ title: 'The kill switch is off.' }}
              columns={[
                { header: 'Scope', rowHeader: true, cell: (k) => <code>{k.scope}</code> },
                { header: 'Reason', cell: (k) => k.reason ?? <span className="muted">none given</span> },
                { header: 'By', cell: (k) => k.activated_by },
                { header: 'Since', cell: (k) => <TimeText iso={k.activated_at} /> },
                canKill && {
                  header: 'Release',
                  hiddenHeader: true,
                  cell: (k) => (
                    <ConfirmButton
                      label="Deactivate"
                      title={`Deactivate the kill switch for ${k.scope}?`}
                      confirmLabel="Deactivate"
                      onConfirm={() => release(k.scope)}
                    >
                      <p>Requests in this scope are decided normally again.</p>
                    </ConfirmButton>
                  ),
                },
              ]}
            />
          </>
        )}
        {canKill ? (
          <ActivateForm onActivated={kill.reload} />
        ) : (
          <p className="muted small">Only an owner can turn the kill switch on or off.</p>
        )}
      </section>
      <RetentionPanel />
      {canWebhooks && <WebhooksPanel />}
    </>
  );
}

function ActivateForm({ onActivated }: { onActivated: () => void }) {
  const agents = useApi<{ agents: Agent[] }>('/agents');
  const connectors = useApi<{ connectors: Connector[] }>('/connectors');
  const [kind, setKind] = useState<'all' | 'agent' | 'connector'>('all');
  const [target, setTarget] = useState('');
  const [reason, setReason] = useState('');
  const [confirming, setConfirming] = useState(false);
  const { busy, error, run } = useAction();
  const options =
    kind === 'agent'
      ? (agents.data?.agents.map((a) => a.name) ?? [])
      : [...new Set(connectors.data?.connectors.flatMap((c) => [c.name, c.type]) ?? [])];
  const chosen = target || options[0] || '';
  const scope = kind === 'all' ? 'all' : `${kind}:${chosen}`;

  const submit = (e: FormEvent) => {
    e.preventDefault();
    setConfirming(true);
  };
  const activate = () =>
    run(async () => {
      const body: Record<string, string> = { scope };
      if (reason.trim()) body.reason = reason.trim();
      await api('POST', '/kill-switch', body);
      setConfirming(false);
      setReason('');
      onActivated();
    });
  return (
    <form className="stack ks-form" onSubmit={submit} aria-labelledby="ks-activate-title">
      <h3 id="ks-activate-title">Activate</h3>
      <fieldset className="field">
        <legend>Scope</legend>
        <label className="radio">
          <input type="radio" name="ks-kind" checked={kind === 'all'} onChange={() => setKind('all')} />{' '}
          Everything
        </label>
        <label className="radio">
          <input
            type="radio"
            name="ks-kind"
            checked={kind === 'agent'}
            onChange={() => {
              setKind('agent');
              setTarget('');
            }}
          />{' '}
          One agent
        </label>
        <label className="radio">
          <input
            type="radio"
            name="ks-kind"
            checked={kind === 'connector'}
            onChange={() => {
              setKind('connector');
              setTarget('');
            }}
          />{' '}
          One connector (name or type)
        </label>
      </fieldset>
      {kind !== 'all' &&
        (options.length === 0 ? (
          <p className="muted">There is no {kind} to choose.</p>
        ) : (
          <label className="field">
            <span>{kind === 'agent' ? 'Agent' : 'Connector'}</span>
            <select value={chosen} onChange={(e) => setTarget(e.target.value)}>
              {options.map((o) => (
                <option key={o}>{o}</option>
              ))}
            </select>
          </label>
        ))}
      <label className="field">
        <span>Reason (shown in every refusal and the audit log)</span>
        <input
          value={reason}
          maxLength={500}
          onChange={(e) => setReason(e.target.value)}
          placeholder="e.g. unexpected refunds"
        />
      </label>
      <div className="button-row">
        <button type="submit" className="btn btn-danger" disabled={kind !== 'all' && !chosen}>
          Activate kill switch
        </button>
      </div>
      <ModalDialog title="Activate the kill switch?" open={confirming} onClose={() => setConfirming(false)}>
        <div className="stack">
          <p>
            Every request in scope <code>{scope}</code> will be refused at once, and open connections in scope
            are cut.
          </p>
          <FormError message={error} />
          <div className="button-row">
            <button type="button" className="btn" onClick={() => setConfirming(false)}>
              Cancel
            </button>
            <button type="button" className="btn btn-danger" disabled={busy} onClick={() => void activate()}>
              {busy ? 'Activating…' : 'Activate'}
            </button>
          </div>
        </div>
      </ModalDialog>
    </form>
  );
}
