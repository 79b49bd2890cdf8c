// Agents: who may send traffic. Adding one (or rotating its key) shows the key once, with the lines
// to copy. Admins manage; everyone else reads.
import { useState } from 'react';
import { api, seg } from '../api/client';
import type { Agent, GatewayInfo } from '../api/types';
import { ActionForm } from '../components/action-form';
import { ConfirmButton } from '../components/confirm-button';
import { DataTable } from '../components/data-table';
import { FilterBar, matchesText, SearchFilter, SelectFilter } from '../components/filter-bar';
import { ModalDialog } from '../components/modal-dialog';
import { PageHeader } from '../components/page-header';
import { TimeText } from '../components/time-text';
import { Link, useLocation } from '../router';
import { useCan } from '../session';
import { useApi } from '../use-api';
import { AgentSettings } from './agent-settings';

type Shown = { agent: Agent; key: string; title: string };

export function AgentsPage() {
  const list = useApi<{ agents: Agent[] }>('/agents', { pollMs: 15_000 });
  const info = useApi<GatewayInfo>('/gateway-info');
  const canManage = useCan('admin');
  const { query } = useLocation();
  const q = query.get('q') ?? '';
  const status = query.get('status') ?? '';
  const mode = query.get('mode') ?? '';
  const [adding, setAdding] = useState(false);
  const [shown, setShown] = useState<Shown | undefined>(undefined);
  const filtered = Boolean(q || status || mode);
  const rows = list.data?.agents.filter(
    (a) =>
      matchesText(q, a.name, ...Object.entries(a.labels).map(([k, v]) => `${k}=${v}`)) &&
      (!status || a.status === status) &&
      (!mode || a.mode === mode),
  );

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
      <FilterBar label="Filter agents" params={['q', 'status', 'mode']}>
        <SearchFilter label="Search" placeholder="name or label" param="q" live />
        <SelectFilter label="Status" param="status" anyLabel="Any status" choices={['active', 'suspended']} />
        <SelectFilter label="Mode" param="mode" anyLabel="Any mode" choices={['enforce', 'monitor']} />
      </FilterBar>
      <DataTable
        label="Agents"
        what="agents"
        rows={rows}
        rowKey={(a) => a.name}
        error={list.error}
        filtered={filtered}
        empty={{
          title: 'No agents yet.',
          body: canManage
            ? 'Add one to get a key and the settings to point a program at the gateway.'
            : 'An admin can add agents.',
        }}
        emptyFiltered={{
          title: 'No agent matches these filters.',
          body: 'Clear the filters to see every agent.',
        }}
        columns={[
          {
            header: 'Name',
            rowHeader: true,
            cell: (a) => (
              <>
                <Link to={`/traffic?agent=${encodeURIComponent(a.name)}`} title="Show this agent's traffic">
                  {a.name}
                </Link>
                {Object.entries(a.labels).map(([k, v]) => (
                  <span key={k} className="label-chip">
                    {k}={v}
                  </span>
                ))}
              </>
            ),
          },
          {
            header: 'Status',
            cell: (a) => (
              <span className={a.status === 'active' ? 'badge badge-allow' : 'badge badge-deny'}>
                {a.status}
              </span>
            ),
          },
          {
            header: 'Mode',
            cell: (a) =>
              a.mode === 'monitor' ? (
                <span title="Requests are allowed and what would have been refused is recorded">monitor</span>
              ) : (
                'enforce'
              ),
          },
          { header: 'Port', className: 'num', cell: (a) => a.port ?? '—' },
          { header: 'Gateway', cell: (a) => a.gateway },
          { header: 'Added', cell: (a) => <TimeText iso={a.created_at} /> },
          canManage && {
            header: 'Manage',
            hiddenHeader: true,
            cell: (a) => <AgentButtons agent={a} reload={list.reload} onKey={setShown} />,
          },
        ]}
      />
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

function AgentButtons({
  agent: a,
  reload,
  onKey,
}: {
  agent: Agent;
  reload: () => void;
  onKey: (shown: Shown) => void;
}) {
  const act = async (path: string) => {
    await api('POST', path);
    reload();
  };
  return (
    <div className="button-row">
      {a.status === 'active' ? (
        <ConfirmButton
          label="Suspend"
          title={`Suspend ${a.name}?`}
          confirmLabel="Suspend"
          danger
          onConfirm={() => act(`/agents/${seg(a.name)}/suspend`)}
        >
          <p>Its requests are refused, and open connections are cut, until you resume it.</p>
        </ConfirmButton>
      ) : (
        <button
          type="button"
          className="btn btn-small"
          onClick={() => void act(`/agents/${seg(a.name)}/resume`).catch(() => reload())}
        >
          Resume
        </button>
      )}
      <ConfirmButton
        label="Rotate key"
        title={`Rotate the key of ${a.name}?`}
        confirmLabel="Rotate key"
        onConfirm={async () => {
          const r = await api<{ agent: Agent; key: string }>('POST', `/agents/${seg(a.name)}/rotate-key`);
          onKey({ ...r, title: `New key for ${a.name}` });
          reload();
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
          reload();
        }}
      >
        <p>The agent, its key and its permissions are deleted. Its traffic history stays.</p>
      </ConfirmButton>
    </div>
  );
}

function AddAgentForm({ onAdded }: { onAdded: (r: { agent: Agent; key: string }) => void }) {
  const [name, setName] = useState('');
  const [mode, setMode] = useState<'enforce' | 'monitor'>('enforce');
  const [port, setPort] = useState('');
  const [proxyAuth, setProxyAuth] = useState(true);
  const submit = async () => {
    const body: Record<string, unknown> = { name: name.trim(), mode, proxy_auth: proxyAuth };
    if (port.trim()) body.port = Number(port);
    onAdded(await api<{ agent: Agent; key: string }>('POST', '/agents', body));
  };
  return (
    <ActionForm onSubmit={submit} submitLabel="Add agent" busyLabel="Adding…">
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
    </ActionForm>
  );
}
