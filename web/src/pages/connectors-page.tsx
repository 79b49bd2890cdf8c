// Connectors: which services agents reach, on which domains, with which credential. The credential
// is write-only: it goes to the gateway's vault and only "set, ends in …" ever comes back.
import { type FormEvent, useState } from 'react';
import { api, seg } from '../api/client';
import type { Connector, ConnectorType } from '../api/types';
import { ConfirmButton } from '../components/confirm-button';
import { ModalDialog } from '../components/modal-dialog';
import { Empty, ErrorNote, FormError, Loading } from '../components/notices';
import { PageHeader } from '../components/page-header';
import { useCan } from '../session';
import { useAction } from '../use-action';
import { useApi } from '../use-api';
import { ActionCatalogue } from './action-catalogue';

export function ConnectorsPage() {
  const list = useApi<{ connectors: Connector[] }>('/connectors');
  const types = useApi<{ types: ConnectorType[] }>('/connector-types');
  const canManage = useCan('admin');
  const [adding, setAdding] = useState(false);
  const [credentialFor, setCredentialFor] = useState<Connector | undefined>(undefined);
  const [catalogue, setCatalogue] = useState<string | undefined>(undefined);

  return (
    <>
      <PageHeader
        title="Connectors"
        actions={
          canManage && (
            <button type="button" className="btn btn-primary" onClick={() => setAdding(true)}>
              Add connector
            </button>
          )
        }
      >
        A connector maps a service's requests to named actions and holds the credential the gateway injects.
      </PageHeader>
      {list.error && <ErrorNote error={list.error} />}
      {!list.data && !list.error ? (
        <Loading what="connectors" />
      ) : list.data?.connectors.length === 0 ? (
        <Empty title="No connectors yet.">
          <p>
            Without a connector the gateway refuses every host.{' '}
            {canManage ? 'Add one for each service your agents use.' : ''}
          </p>
        </Empty>
      ) : (
        list.data && (
          <div className="table-wrap">
            <table className="table">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Type</th>
                  <th scope="col">Domains</th>
                  <th scope="col">Auth</th>
                  <th scope="col">Credential</th>
                  <th scope="col">Actions</th>
                  {canManage && <th scope="col">Manage</th>}
                </tr>
              </thead>
              <tbody>
                {list.data.connectors.map((c) => (
                  <tr key={c.name}>
                    <th scope="row">{c.name}</th>
                    <td>{c.type}</td>
                    <td>
                      {c.domains.map((d) => (
                        <code key={d} className="chip">
                          {d}
                        </code>
                      ))}
                    </td>
                    <td>
                      <code>{c.auth}</code>
                    </td>
                    <td>
                      {c.credential_set ? (
                        <span className="badge badge-allow">
                          set{c.credential_last4 ? `, ends in ${c.credential_last4}` : ''}
                        </span>
                      ) : c.auth === 'none' ? (
                        <span className="muted">not needed</span>
                      ) : (
                        <span className="badge badge-approval">not set</span>
                      )}
                    </td>
                    <td>
                      <button type="button" className="link-button" onClick={() => setCatalogue(c.type)}>
                        View catalogue
                      </button>
                    </td>
                    {canManage && (
                      <td>
                        <div className="button-row">
                          <button type="button" className="btn btn-small" onClick={() => setCredentialFor(c)}>
                            {c.credential_set ? 'Replace credential' : 'Set credential'}
                          </button>
                          {c.credential_set && (
                            <ConfirmButton
                              label="Remove credential"
                              title={`Remove the credential of ${c.name}?`}
                              confirmLabel="Remove credential"
                              danger
                              onConfirm={async () => {
                                await api('DELETE', `/connectors/${seg(c.name)}/credential`);
                                list.reload();
                              }}
                            >
                              <p>
                                Requests through this connector go out without a credential until a new one is
                                set.
                              </p>
                            </ConfirmButton>
                          )}
                          <ConfirmButton
                            label="Remove"
                            title={`Remove ${c.name}?`}
                            confirmLabel="Remove connector"
                            danger
                            onConfirm={async () => {
                              await api('DELETE', `/connectors/${seg(c.name)}`);
                              list.reload();
                            }}
                          >
                            <p>
                              Its credential and every permission on it are deleted; its domains become
                              unreachable.
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
      {types.data && (
        <section className="panel" aria-labelledby="types-title">
          <h2 id="types-title">Built-in connector types</h2>
          <ul className="type-grid">
            {types.data.types.map((t) => (
              <li key={t.type}>
                <button type="button" className="type-card" onClick={() => setCatalogue(t.type)}>
                  <strong>{t.title}</strong>
                  <span className="muted small">
                    {t.type} · {t.actions} actions
                  </span>
                </button>
              </li>
            ))}
          </ul>
        </section>
      )}
      {canManage && (
        <ModalDialog title="Add a connector" open={adding} onClose={() => setAdding(false)}>
          <AddConnectorForm
            types={types.data?.types ?? []}
            onAdded={(c) => {
              setAdding(false);
              list.reload();
              if (c.auth !== 'none') setCredentialFor(c);
            }}
          />
        </ModalDialog>
      )}
      <ModalDialog
        title={credentialFor ? `Credential for ${credentialFor.name}` : ''}
        open={credentialFor !== undefined}
        onClose={() => setCredentialFor(undefined)}
      >
        {credentialFor && (
          <CredentialForm
            connector={credentialFor}
            onSaved={() => {
              setCredentialFor(undefined);
              list.reload();
            }}
          />
        )}
      </ModalDialog>
      <ModalDialog
        title={catalogue ? `Actions of ${catalogue}` : ''}
        open={catalogue !== undefined}
        onClose={() => setCatalogue(undefined)}
        wide
      >
        {catalogue && <ActionCatalogue type={catalogue} />}
      </ModalDialog>
    </>
  );
}

function AddConnectorForm({ types, onAdded }: { types: ConnectorType[]; onAdded: (c: Connector) => void }) {
  const [type, setType] = useState('');
  const [name, setName] = useState('');
  const [domains, setDomains] = useState('');
  const [auth, setAuth] = useState('');
  const [baseUrl, setBaseUrl] = useState('');
  const { busy, error, run } = useAction();
  const chosen = types.find((t) => t.type === type);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const body: Record<string, unknown> = { type };
    if (name.trim()) body.name = name.trim();
    const ds = domains.split(/[\s,]+/).filter(Boolean);
    if (ds.length) body.domains = ds;
    if (auth.trim()) body.auth = auth.trim();
    if (baseUrl.trim()) body.base_url = baseUrl.trim();
    void run(async () =>
      onAdded((await api<{ connector: Connector }>('POST', '/connectors', body)).connector),
    );
  };
  return (
    <form className="stack" onSubmit={submit}>
      <FormError message={error} />
      <label className="field">
        <span>Type</span>
        <select required value={type} onChange={(e) => setType(e.target.value)}>
          <option value="" disabled>
            Choose a service…
          </option>
          {types.map((t) => (
            <option key={t.type} value={t.type}>
              {t.title} ({t.type})
            </option>
          ))}
        </select>
      </label>
      <label className="field">
        <span>Name (optional)</span>
        <input value={name} onChange={(e) => setName(e.target.value)} placeholder={type || 'the type'} />
        <span className="hint">Needed only for a second connector of the same type.</span>
      </label>
      <label className="field">
        <span>Domains (optional)</span>
        <input
          value={domains}
          onChange={(e) => setDomains(e.target.value)}
          placeholder={chosen?.default_domains.join(', ') || 'api.example.com'}
        />
        <span className="hint">
          {chosen && chosen.default_domains.length > 0
            ? `Default: ${chosen.default_domains.join(', ')}`
            : 'Required for this type: the hosts its requests go to.'}
        </span>
      </label>
      <label className="field">
        <span>Auth scheme (optional)</span>
        <input
          value={auth}
          onChange={(e) => setAuth(e.target.value)}
          placeholder={chosen?.default_auth ?? 'bearer'}
        />
        <span className="hint">bearer, basic, none, header:NAME or query:NAME</span>
      </label>
      <label className="field">
        <span>Base URL (optional, for enterprise installs)</span>
        <input type="url" value={baseUrl} onChange={(e) => setBaseUrl(e.target.value)} />
      </label>
      <div className="button-row">
        <button type="submit" className="btn btn-primary" disabled={busy || !type}>
          {busy ? 'Adding…' : 'Add connector'}
        </button>
      </div>
    </form>
  );
}

function CredentialForm({ connector, onSaved }: { connector: Connector; onSaved: () => void }) {
  const [secret, setSecret] = useState('');
  const { busy, error, run } = useAction();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void run(async () => {
      await api('PUT', `/connectors/${seg(connector.name)}/credential`, { secret });
      setSecret('');
      onSaved();
    });
  };
  return (
    <form className="stack" onSubmit={submit}>
      <p>
        The gateway stores it encrypted and adds it to requests as <code>{connector.auth}</code>. Nobody can
        read it back, here or in the API.
      </p>
      <FormError message={error} />
      <label className="field">
        <span>Credential</span>
        <input
          type="password"
          autoComplete="off"
          required
          value={secret}
          onChange={(e) => setSecret(e.target.value)}
        />
      </label>
      <div className="button-row">
        <button type="submit" className="btn btn-primary" disabled={busy || !secret}>
          {busy ? 'Saving…' : 'Save credential'}
        </button>
      </div>
    </form>
  );
}
