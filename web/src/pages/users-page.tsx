// People who can sign in. Admins see the list; owners add people, change roles, set passwords and
// remove people (the server keeps the last owner). A generated password is shown once.
import { useState } from 'react';
import { api, seg } from '../api/client';
import type { CreatedUserAnswer, PasswordSetAnswer, Role, User, UserList } from '../api/types';
import { ActionForm } from '../components/action-form';
import { ConfirmButton } from '../components/confirm-button';
import { DataTable } from '../components/data-table';
import { FilterBar, matchesText, SearchFilter, SelectFilter } from '../components/filter-bar';
import { ModalDialog } from '../components/modal-dialog';
import { FormError } from '../components/notices';
import { PageHeader } from '../components/page-header';
import { SecretOnce } from '../components/secret-once';
import { TimeText } from '../components/time-text';
import { useLocation } from '../router';
import { useCan, useMe } from '../session';
import { useAction } from '../use-action';
import { useApi } from '../use-api';

export const ROLE_CHOICES: { role: Role; what: string }[] = [
  { role: 'viewer', what: 'reads everything' },
  { role: 'member', what: 'also decides approvals' },
  { role: 'admin', what: 'also manages agents, connectors, permissions, policies' },
  { role: 'owner', what: 'also manages people and the kill switch' },
];

export function UsersPage() {
  const canSee = useCan('admin');
  const list = useApi<UserList>(canSee ? '/users' : null);
  const canManage = useCan('owner');
  const me = useMe();
  const { query } = useLocation();
  const q = query.get('q') ?? '';
  const role = query.get('role') ?? '';
  const [adding, setAdding] = useState(false);
  const [secret, setSecret] = useState<{ title: string; password: string } | undefined>(undefined);
  const roleAction = useAction();
  const filtered = Boolean(q || role);
  const rows = list.data?.users.filter((u) => matchesText(q, u.email) && (!role || u.role === role));
  if (!canSee)
    return (
      <>
        <PageHeader title="Users">People who can sign in to this dashboard.</PageHeader>
        <p className="note note-warn" role="alert">
          Only admins and owners can see who can sign in; you are signed in as a {me.role}. Ask an owner if
          you need access.
        </p>
      </>
    );

  return (
    <>
      <PageHeader
        title="Users"
        actions={
          canManage && (
            <button type="button" className="btn btn-primary" onClick={() => setAdding(true)}>
              Add user
            </button>
          )
        }
      >
        People who can sign in to this dashboard, and what their role lets them do.
      </PageHeader>
      <FilterBar label="Filter users" params={['q', 'role']}>
        <SearchFilter label="Search" placeholder="email" param="q" live />
        <SelectFilter
          label="Role"
          param="role"
          anyLabel="Any role"
          choices={ROLE_CHOICES.map((r) => r.role)}
        />
      </FilterBar>
      <FormError message={roleAction.error} />
      <DataTable<User>
        label="Users"
        what="users"
        rows={rows}
        rowKey={(u) => u.id}
        error={list.error}
        filtered={filtered}
        empty={{ title: 'No user yet.', body: 'An owner can add people.' }}
        emptyFiltered={{
          title: 'No user matches these filters.',
          body: 'Clear the filters to see everyone.',
        }}
        columns={[
          {
            header: 'Email',
            rowHeader: true,
            cell: (u) => (
              <>
                {u.email}
                {u.id === me.user_id && <span className="muted small"> (you)</span>}
              </>
            ),
          },
          {
            header: 'Role',
            cell: (u) =>
              canManage ? (
                <select
                  aria-label={`Role of ${u.email}`}
                  value={u.role}
                  disabled={roleAction.busy}
                  onChange={(e) =>
                    void roleAction
                      .run(() => api('PUT', `/users/${seg(u.email)}/role`, { role: e.target.value }))
                      .then(list.reload)
                  }
                >
                  {ROLE_CHOICES.map((r) => (
                    <option key={r.role} value={r.role}>
                      {r.role}
                    </option>
                  ))}
                </select>
              ) : (
                <span className="badge badge-role">{u.role}</span>
              ),
          },
          { header: 'Added', cell: (u) => <TimeText iso={u.created_at} /> },
          canManage && {
            header: 'Manage',
            hiddenHeader: true,
            cell: (u) => (
              <div className="button-row">
                <ConfirmButton
                  label="Reset password"
                  title={`Set a new password for ${u.email}?`}
                  confirmLabel="Generate a new password"
                  onConfirm={async () => {
                    const r = await api<PasswordSetAnswer>('PUT', `/users/${seg(u.email)}/password`, {});
                    if (r.password) setSecret({ title: `New password for ${u.email}`, password: r.password });
                  }}
                >
                  <p>A new password is generated and shown once. Their open sessions end.</p>
                </ConfirmButton>
                {u.id !== me.user_id && (
                  <ConfirmButton
                    label="Remove"
                    title={`Remove ${u.email}?`}
                    confirmLabel="Remove user"
                    danger
                    onConfirm={async () => {
                      await api('DELETE', `/users/${seg(u.email)}`);
                      list.reload();
                    }}
                  >
                    <p>Their sessions end and their API tokens are deleted.</p>
                  </ConfirmButton>
                )}
              </div>
            ),
          },
        ]}
      />
      {canManage && (
        <ModalDialog title="Add a user" open={adding} onClose={() => setAdding(false)}>
          <AddUserForm
            onAdded={(r) => {
              setAdding(false);
              list.reload();
              if (r.password) setSecret({ title: `Password for ${r.user.email}`, password: r.password });
            }}
          />
        </ModalDialog>
      )}
      <ModalDialog
        title={secret?.title ?? ''}
        open={secret !== undefined}
        onClose={() => setSecret(undefined)}
      >
        {secret && (
          <SecretOnce
            label="Password"
            value={secret.password}
            warning="This password is shown only now. Give it to its owner over a safe channel."
          />
        )}
      </ModalDialog>
    </>
  );
}

function AddUserForm({ onAdded }: { onAdded: (r: CreatedUserAnswer) => void }) {
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<Role>('viewer');
  const [password, setPassword] = useState('');
  const submit = async () => {
    const body: Record<string, string> = { email: email.trim(), role };
    if (password) body.password = password;
    onAdded(await api<CreatedUserAnswer>('POST', '/users', body));
  };
  return (
    <ActionForm onSubmit={submit} submitLabel="Add user" busyLabel="Adding…">
      <label className="field">
        <span>Email</span>
        <input
          type="email"
          required
          autoComplete="off"
          value={email}
          onChange={(e) => setEmail(e.target.value)}
        />
      </label>
      <fieldset className="field">
        <legend>Role</legend>
        {ROLE_CHOICES.map((r) => (
          <label key={r.role} className="radio">
            <input type="radio" name="user-role" checked={role === r.role} onChange={() => setRole(r.role)} />{' '}
            <strong>{r.role}</strong> <span className="muted">{r.what}</span>
          </label>
        ))}
      </fieldset>
      <label className="field">
        <span>Password (optional)</span>
        <input
          type="password"
          autoComplete="new-password"
          minLength={12}
          value={password}
          onChange={(e) => setPassword(e.target.value)}
        />
        <span className="hint">At least 12 characters. Leave empty to generate one, shown once.</span>
      </label>
    </ActionForm>
  );
}
