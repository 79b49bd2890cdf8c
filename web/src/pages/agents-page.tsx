// Agents: who may send traffic. Adding one (or rotating its key) shows the key once, with the lines
// to copy. Admins manage; everyone else reads.
import { type FormEvent, useState } from 'react';
import { api, seg } from '../api/client';
import type { Agent, GatewayInfo } from '../api/types';
import { ConfirmButton } from '../components/confirm-button';
import { ModalDialog } from '../components/modal-dialog';
import { Empty, ErrorNote, FormError, Loading } from '../components/notices';
import { PageHeader } from '../components/page-header';
import { TimeText } from '../components/time-text';
import { Link } from '../router';
import { useCan } from '../session';
import { useAction } from '../use-action';
import { useApi } from '../use-api';
import { AgentSettings } from './agent-settings';

export function AgentsPage() {
  const list = useApi<{ agents: Agent[] }>('/agents', { pollMs: 15_000 });
  const info = useApi<GatewayInfo>('/gateway-info');
  const canManage = useCan('admin');
  const [adding, setAdding] = useState(false);
  const [shown, setShown] = useState<{ agent: Agent; key: string; title: string } | undefined>(undefined);

  const act = async (path: string) => {
    await api('POST', path);
    list.reload();
  };

  return (
    <>
      <PageHeader
        title="Agents"
        actions={
          canManage && (
            <button type="button" className="btn btn-primary" onClick={() => setAdding(true)}>
              Add agent
            </button>
          )
        }
      >
        Each program that sends traffic through TameFlare runs as an agent with its own key.
      </PageHeader>
      {list.error && <ErrorNote error={list.error} />}
      {!list.data && !list.error ? (
        <Loading what="agents" />
      ) : list.data && list.data.agents.length === 0 ? (
        <Empty title="No agents yet.">
          {canManage ? (
            <p>Add one to get a key and the settings to point a program at the gateway.</p>
          ) : (
            <p>An admin can add agents.</p>
          )}
        </Empty>
      ) : (
        list.data && (
          <div className="table-wrap">
            <table className="table">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Status</th>
                  <th scope="col">Mode</th>
                  <th scope="col" className="num">
                    Port
                  </th>
                  <th scope="col">Gateway</th>
                  <th scope="col">Added</th>
                  {canManage && <th scope="col">Manage</th>}
                </tr>
              </thead>
              <tbody>
                {list.data.agents.map((a) => (
                  <tr key={a.name}>
                    <th scope="row">
                      <Link
                        to={`/traffic?agent=${encodeURIComponent(a.name)}`}
                        title="Show this agent's traffic"
                      >
                        {a.name}
                      </Link>
                      {Object.entries(a.labels).map(([k, v]) => (
                        <span key={k} className="label-chip">
                          {k}={v}
                        </span>
                      ))}
                    </th>
                    <td>
                      <span className={a.status === 'active' ? 'badge badge-allow' : 'badge badge-deny'}>
                        {a.status}
                      </span>
                    </td>
                    <td>
                      {a.mode === 'monitor' ? (
                        <span title="Requests are allowed and what would have been refused is recorded">
                          monitor
                        </span>
                      ) : (
                        'enforce'
                      )}
                    </td>
                    <td className="num">{a.port ?? '—'}</td>
                    <td>{a.gateway}</td>
                    <td>
                      <TimeText iso={a.created_at} />
                    </td>
                    {canManage && (
                      <td>
                        <div className="button-row">
                          {a.status === 'active' ? (
                            <ConfirmButton
                              label="Suspend"
                              title={`Suspend ${a.name}?`}
                              confirmLabel="Suspend"
                              danger
                              onConfirm={() => act(`/agents/${seg(a.name)}/suspend`)}
                            >
                              <p>
                                Its requests are refused, and open connections are cut, until you resume it.
                              </p>
                            </ConfirmButton>
                          ) : (
                            <button
                              type="button"
                              className="btn btn-small"
                              onClick={() =>
                                void act(`/agents/${seg(a.name)}/resume`).catch(() => list.reload())
                              }
                            >
                              Resume
                            </button>
                          )}
                          <ConfirmButton
                            label="Rotate key"
                            title={`Rotate the key of ${a.name}?`}
                            confirmLabel="Rotate key"
                            onConfirm={async () => {
                              const r = await api<{ agent: Agent; key: string }>(
                                'POST',
                                `/agents/${seg(a.name)}/rotate-key`,
                              );
                              setShown({ ...r, title: `New key for ${a.name}` });
                              list.reload();
                            }}
                          >
                            <p>The current key stops working at once. Programs using it need the new one.</p>
                          </ConfirmButton>
                          <ConfirmButton
                            label="Remove"
                            title={`Remove ${a.name}?`}
                            confirmLabel="Remove agent"
                            danger
                            onConfirm={async () => {
                              await api('DELETE', `/agents/${seg(a.name)}`);
                              list.reload();
                            }}
                          >
                            <p>
                              The agent, its key and its permissions are deleted. Its traffic history stays.
                            </p>
                          </ConfirmButton>
                        </div>
                      </td>
                    )}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )
      )}
      {canManage && (
        <ModalDialog title="Add an agent" open={adding} onClose={() => setAdding(false)}>
          <AddAgentForm
            onAdded={(r) => {
              setAdding(false);
              setShown({ ...r, title: `Agent ${r.agent.name} added` });
              list.reload();
            }}
          />
        </ModalDialog>
      )}
      <ModalDialog
        title={shown?.title ?? ''}
        open={shown !== undefined}
        onClose={() => setShown(undefined)}
        wide
      >
        {shown && <AgentSettings agent={shown.agent} keyValue={shown.key} info={info.data} />}
      </ModalDialog>
    </>
  );
}

function AddAgentForm({ onAdded }: { onAdded: (r: { agent: Agent; key: string }) => void }) {
  const [name, setName] = useState('');
  const [mode, setMode] = useState<'enforce' | 'monitor'>('enforce');
  const [port, setPort] = useState('');
  const [proxyAuth, setProxyAuth] = useState(true);
  const { busy, error, run } = useAction();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const body: Record<string, unknown> = { name: name.trim(), mode, proxy_auth: proxyAuth };
    if (port.trim()) body.port = Number(port);
    void run(async () => onAdded(await api<{ agent: Agent; key: string }>('POST', '/agents', body)));
  };
  return (
    <form className="stack" onSubmit={submit}>
      <FormError message={error} />
      <label className="field">
        <span>Name</span>
        <input
          required
          pattern="[a-z0-9][a-z0-9_\-]{0,62}"
          title="Lower-case letters, digits, - and _, starting with a letter or digit"
          value={name}
          onChange={(e) => setName(e.target.value)}
          placeholder="e.g. release-bot"
        />
        <span className="hint">Lower-case letters, digits, - and _.</span>
      </label>
      <fieldset className="field">
        <legend>Mode</legend>
        <label className="radio">
          <input type="radio" name="mode" checked={mode === 'enforce'} onChange={() => setMode('enforce')} />{' '}
          Enforce: refuse what is not allowed
        </label>
        <label className="radio">
          <input type="radio" name="mode" checked={mode === 'monitor'} onChange={() => setMode('monitor')} />{' '}
          Monitor: allow everything, record what would have been refused
        </label>
      </fieldset>
      <label className="field">
        <span>Dedicated port (optional)</span>
        <input
          inputMode="numeric"
          pattern="[0-9]{1,5}"
          value={port}
          onChange={(e) => setPort(e.target.value)}
          placeholder="the next free port"
        />
      </label>
      <label className="checkbox">
        <input type="checkbox" checked={proxyAuth} onChange={(e) => setProxyAuth(e.target.checked)} /> Require
        the key on the dedicated port too
      </label>
      <div className="button-row">
        <button type="submit" className="btn btn-primary" disabled={busy}>
          {busy ? 'Adding…' : 'Add agent'}
        </button>
      </div>
    </form>
  );
}
