// API tokens for scripts and the CLI. Anyone signed in may make one for themselves, never above
// their own role; admins see everyone's. The secret is shown once.
import { type FormEvent, useState } from 'react';
import { api, seg } from '../api/client';
import type { CreatedTokenAnswer, Role, TokenList } from '../api/types';
import { ConfirmButton } from '../components/confirm-button';
import { CopyField } from '../components/copy-field';
import { ModalDialog } from '../components/modal-dialog';
import { Empty, ErrorNote, FormError, Loading } from '../components/notices';
import { PageHeader } from '../components/page-header';
import { TimeText } from '../components/time-text';
import { roleAtLeast, useMe } from '../session';
import { useAction } from '../use-action';
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
  const [creating, setCreating] = useState(false);
  const [created, setCreated] = useState<CreatedTokenAnswer | undefined>(undefined);

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
      {list.error && <ErrorNote error={list.error} />}
      {!list.data && !list.error ? (
        <Loading what="tokens" />
      ) : list.data?.tokens.length === 0 ? (
        <Empty title="No API tokens yet." />
      ) : (
        list.data && (
          <div className="table-wrap">
            <table className="table">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Starts with</th>
                  <th scope="col">Role</th>
                  <th scope="col">For</th>
                  <th scope="col">Status</th>
                  <th scope="col">Expires</th>
                  <th scope="col">Last used</th>
                  <th scope="col">Revoke</th>
                </tr>
              </thead>
              <tbody>
                {list.data.tokens.map((t) => (
                  <tr key={t.id}>
                    <th scope="row">{t.name}</th>
                    <td>{t.prefix ? <code>{t.prefix}…</code> : <span className="muted">—</span>}</td>
                    <td>{t.role}</td>
                    <td>{t.user ?? <span className="muted">the system</span>}</td>
                    <td>
                      <span className={t.status === 'active' ? 'badge badge-allow' : 'badge badge-other'}>
                        {t.status}
                      </span>
                    </td>
                    <td>
                      {t.expires_at ? <TimeText iso={t.expires_at} /> : <span className="muted">never</span>}
                    </td>
                    <td>
                      {t.last_used_at ? (
                        <TimeText iso={t.last_used_at} />
                      ) : (
                        <span className="muted">never</span>
                      )}
                    </td>
                    <td>
                      {t.status === 'active' && (
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
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )
      )}
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
          <div className="stack">
            <p className="note note-warn" role="status">
              This token is shown only now. TameFlare keeps only its hash.
            </p>
            <CopyField label="Token" value={created.token} secret />
            <CopyField label="Use it from a script" value={`Authorization: Bearer ${created.token}`} />
          </div>
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
  const { busy, error, run } = useAction();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const body: Record<string, unknown> = { name: name.trim(), role };
    const seconds = LIFETIMES[lifetime]?.seconds;
    if (seconds !== undefined) body.expires_in_seconds = seconds;
    void run(async () => onCreated(await api<CreatedTokenAnswer>('POST', '/tokens', body)));
  };
  return (
    <form className="stack" onSubmit={submit}>
      <FormError message={error} />
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
      <div className="button-row">
        <button type="submit" className="btn btn-primary" disabled={busy}>
          {busy ? 'Creating…' : 'Create token'}
        </button>
      </div>
    </form>
  );
}
