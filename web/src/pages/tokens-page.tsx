// API tokens for scripts and the CLI. Anyone signed in may make one for themselves, never above
// their own role; admins see everyone's. The secret is shown once.
import { useState } from 'react';
import { api, seg } from '../api/client';
import type { ApiTokenInfo, CreatedTokenAnswer, Role, TokenList } from '../api/types';
import { ActionForm } from '../components/action-form';
import { ConfirmButton } from '../components/confirm-button';
import { CopyField } from '../components/copy-field';
import { DataTable } from '../components/data-table';
import { FilterBar, matchesText, SearchFilter, SelectFilter } from '../components/filter-bar';
import { ModalDialog } from '../components/modal-dialog';
import { PageHeader } from '../components/page-header';
import { SecretOnce } from '../components/secret-once';
import { TimeText } from '../components/time-text';
import { useLocation } from '../router';
import { roleAtLeast, useMe } from '../session';
import { useApi } from '../use-api';
import { ROLE_CHOICES } from './users-page';

const LIFETIMES: { label: string; seconds: number | undefined }[] = [
  { label: '30 days', seconds: 30 * 86_400 },
  { label: '90 days', seconds: 90 * 86_400 },
  { label: '1 year', seconds: 365 * 86_400 },
  { label: 'Never expires', seconds: undefined },
];

export function TokensPage() {
  const list = useApi<TokenList>('/tokens');
  const { query } = useLocation();
  const q = query.get('q') ?? '';
  const status = query.get('status') ?? '';
  const [creating, setCreating] = useState(false);
  const [created, setCreated] = useState<CreatedTokenAnswer | undefined>(undefined);
  const filtered = Boolean(q || status);
  const rows = list.data?.tokens.filter(
    (t) => matchesText(q, t.name, t.user, t.prefix) && (!status || t.status === status),
  );
  const statuses = [...new Set(list.data?.tokens.map((t) => t.status) ?? [])].sort();

  return (
    <>
      <PageHeader
        title="API tokens"
        actions={
          <button type="button" className="btn btn-primary" onClick={() => setCreating(true)}>
            Create token
          </button>
        }
      >
        Tokens let scripts and the CLI call the API as you, with a role no higher than yours.
      </PageHeader>
      <FilterBar label="Filter tokens" params={['q', 'status']}>
        <SearchFilter label="Search" placeholder="name or user" param="q" live />
        <SelectFilter label="Status" param="status" anyLabel="Any status" choices={statuses} />
      </FilterBar>
      <DataTable<ApiTokenInfo>
        label="API tokens"
        what="tokens"
        rows={rows}
        rowKey={(t) => t.id}
        error={list.error}
        filtered={filtered}
        empty={{
          title: 'No API tokens yet.',
          body: 'Create one for each script or machine, so each can be revoked on its own.',
        }}
        emptyFiltered={{
          title: 'No token matches these filters.',
          body: 'Clear the filters to see every token.',
        }}
        columns={[
          { header: 'Name', rowHeader: true, cell: (t) => t.name },
          {
            header: 'Starts with',
            cell: (t) => (t.prefix ? <code>{t.prefix}…</code> : <span className="muted">—</span>),
          },
          { header: 'Role', cell: (t) => t.role },
          { header: 'For', cell: (t) => t.user ?? <span className="muted">the system</span> },
          {
            header: 'Status',
            cell: (t) => (
              <span className={t.status === 'active' ? 'badge badge-allow' : 'badge badge-other'}>
                {t.status}
              </span>
            ),
          },
          {
            header: 'Expires',
            cell: (t) =>
              t.expires_at ? <TimeText iso={t.expires_at} /> : <span className="muted">never</span>,
          },
          {
            header: 'Last used',
            cell: (t) =>
              t.last_used_at ? <TimeText iso={t.last_used_at} /> : <span className="muted">never</span>,
          },
          {
            header: 'Revoke',
            hiddenHeader: true,
            cell: (t) =>
              t.status === 'active' && (
                <ConfirmButton
                  label="Revoke"
                  title={`Revoke ${t.name}?`}
                  confirmLabel="Revoke token"
                  danger
                  onConfirm={async () => {
                    await api('DELETE', `/tokens/${seg(t.id)}`);
                    list.reload();
                  }}
                >
                  <p>Scripts using it are refused from now on.</p>
                </ConfirmButton>
              ),
          },
        ]}
      />
      <ModalDialog title="Create an API token" open={creating} onClose={() => setCreating(false)}>
        <CreateTokenForm
          onCreated={(r) => {
            setCreating(false);
            setCreated(r);
            list.reload();
          }}
        />
      </ModalDialog>
      <ModalDialog
        title={created ? `Token ${created.info.name} created` : ''}
        open={created !== undefined}
        onClose={() => setCreated(undefined)}
        wide
      >
        {created && (
          <SecretOnce
            label="Token"
            value={created.token}
            warning="This token is shown only now. TameFlare keeps only its hash."
          >
            <CopyField label="Use it from a script" value={`Authorization: Bearer ${created.token}`} />
          </SecretOnce>
        )}
      </ModalDialog>
    </>
  );
}

function CreateTokenForm({ onCreated }: { onCreated: (r: CreatedTokenAnswer) => void }) {
  const me = useMe();
  const roles = ROLE_CHOICES.filter((r) => roleAtLeast(me.role, r.role));
  const [name, setName] = useState('');
  const [role, setRole] = useState<Role>('viewer');
  const [lifetime, setLifetime] = useState(0);
  const submit = async () => {
    const body: Record<string, unknown> = { name: name.trim(), role };
    const seconds = LIFETIMES[lifetime]?.seconds;
    if (seconds !== undefined) body.expires_in_seconds = seconds;
    onCreated(await api<CreatedTokenAnswer>('POST', '/tokens', body));
  };
  return (
    <ActionForm onSubmit={submit} submitLabel="Create token" busyLabel="Creating…">
      <label className="field">
        <span>Name</span>
        <input
          required
          maxLength={100}
          value={name}
          onChange={(e) => setName(e.target.value)}
          placeholder="e.g. deploy-script"
        />
      </label>
      <label className="field">
        <span>Role</span>
        <select value={role} onChange={(e) => setRole(e.target.value as Role)}>
          {roles.map((r) => (
            <option key={r.role} value={r.role}>
              {r.role}: {r.what}
            </option>
          ))}
        </select>
      </label>
      <label className="field">
        <span>Expires</span>
        <select value={lifetime} onChange={(e) => setLifetime(Number(e.target.value))}>
          {LIFETIMES.map((l, i) => (
            <option key={l.label} value={i}>
              {l.label}
            </option>
          ))}
        </select>
      </label>
    </ActionForm>
  );
}
