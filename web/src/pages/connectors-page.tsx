// Connectors: which services agents reach, on which domains, with which credential. The credential
// is write-only: it goes to the gateway's vault and only "set, ends in …" ever comes back.
import { useState } from 'react';
import { api, seg } from '../api/client';
import type { Connector, ConnectorType } from '../api/types';
import { ActionForm } from '../components/action-form';
import { ConfirmButton } from '../components/confirm-button';
import { DataTable } from '../components/data-table';
import { FilterBar, matchesText, SearchFilter, SelectFilter } from '../components/filter-bar';
import { ModalDialog } from '../components/modal-dialog';
import { PageHeader } from '../components/page-header';
import { useLocation } from '../router';
import { useCan } from '../session';
import { useApi } from '../use-api';
import { ActionCatalogue } from './action-catalogue';

export function ConnectorsPage() {
  const list = useApi<{ connectors: Connector[] }>('/connectors');
  const types = useApi<{ types: ConnectorType[] }>('/connector-types');
  const canManage = useCan('admin');
  const [adding, setAdding] = useState(false);
  const [credentialFor, setCredentialFor] = useState<Connector | undefined>(undefined);
  const [catalogue, setCatalogue] = useState<string | undefined>(undefined);
  const { query } = useLocation();
  const q = query.get('q') ?? '';
  const type = query.get('type') ?? '';
  const filtered = Boolean(q || type);
  const rows = list.data?.connectors.filter(
    (c) => matchesText(q, c.name, ...c.domains) && (!type || c.type === type),
  );

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
      <FilterBar label="Filter connectors" params={['q', 'type']}>
        <SearchFilter label="Search" placeholder="name or domain" param="q" live />
        <SelectFilter
          label="Connector type"
          param="type"
          anyLabel="Any type"
          choices={[...new Set(list.data?.connectors.map((c) => c.type) ?? [])].sort()}
        />
      </FilterBar>
      <DataTable<Connector>
        label="Connectors"
        what="connectors"
        rows={rows}
        rowKey={(c) => c.name}
        error={list.error}
        filtered={filtered}
        empty={{
          title: 'No connectors yet.',
          body: `Without a connector the gateway refuses every host. ${canManage ? 'Add one for each service your agents use.' : 'An admin can add them.'}`,
        }}
        emptyFiltered={{
          title: 'No connector matches these filters.',
          body: 'Clear the filters to see every connector.',
        }}
        columns={[
          { header: 'Name', rowHeader: true, cell: (c) => c.name },
          { header: 'Type', cell: (c) => c.type },
          {
            header: 'Domains',
            cell: (c) =>
              c.domains.map((d) => (
                <code key={d} className="chip">
                  {d}
                </code>
              )),
          },
          { header: 'Auth', cell: (c) => <code>{c.auth}</code> },
          {
            header: 'Credential',
            cell: (c) =>
              c.credential_set ? (
                <span className="badge badge-allow">
                  set{c.credential_last4 ? `, ends in ${c.credential_last4}` : ''}
                </span>
              ) : c.auth === 'none' ? (
                <span className="muted">not needed</span>
              ) : (
                <span className="badge badge-approval">not set</span>
              ),
          },
          {
            header: 'Actions',
            cell: (c) => (
              <button type="button" className="link-button" onClick={() => setCatalogue(c.type)}>
                View catalogue
              </button>
            ),
          },
          canManage && {
            header: 'Manage',
            hiddenHeader: true,
            cell: (c) => (
              <ConnectorButtons connector={c} onCredential={setCredentialFor} reload={list.reload} />
            ),
          },
        ]}
      />
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

function ConnectorButtons({
  connector: c,
  onCredential,
  reload,
}: {
  connector: Connector;
  onCredential: (c: Connector) => void;
  reload: () => void;
}) {
  return (
    <div className="button-row">
      <button type="button" className="btn btn-small" onClick={() => onCredential(c)}>
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
            reload();
          }}
        >
          <p>Requests through this connector go out without a credential until a new one is set.</p>
        </ConfirmButton>
      )}
      <ConfirmButton
        label="Remove"
        title={`Remove ${c.name}?`}
        confirmLabel="Remove connector"
        danger
        onConfirm={async () => {
          await api('DELETE', `/connectors/${seg(c.name)}`);
          reload();
        }}
      >
        <p>Its credential and every permission on it are deleted; its domains become unreachable.</p>
      </ConfirmButton>
    </div>
  );
}

function AddConnectorForm({ types, onAdded }: { types: ConnectorType[]; onAdded: (c: Connector) => void }) {
  const [type, setType] = useState('');
  const [name, setName] = useState('');
  const [domains, setDomains] = useState('');
  const [auth, setAuth] = useState('');
  const [baseUrl, setBaseUrl] = useState('');
  const chosen = types.find((t) => t.type === type);
  const submit = async () => {
    const body: Record<string, unknown> = { type };
    if (name.trim()) body.name = name.trim();
    const ds = domains.split(/[\s,]+/).filter(Boolean);
    if (ds.length) body.domains = ds;
    if (auth.trim()) body.auth = auth.trim();
    if (baseUrl.trim()) body.base_url = baseUrl.trim();
    onAdded((await api<{ connector: Connector }>('POST', '/connectors', body)).connector);
  };
  return (
    <ActionForm onSubmit={submit} submitLabel="Add connector" busyLabel="Adding…" disabled={!type}>
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
    </ActionForm>
  );
}

function CredentialForm({ connector, onSaved }: { connector: Connector; onSaved: () => void }) {
  const [secret, setSecret] = useState('');
  const submit = async () => {
    await api('PUT', `/connectors/${seg(connector.name)}/credential`, { secret });
    setSecret('');
    onSaved();
  };
  return (
    <ActionForm onSubmit={submit} submitLabel="Save credential" busyLabel="Saving…" disabled={!secret}>
      <p>
        The gateway stores it encrypted and adds it to requests as <code>{connector.auth}</code>. Nobody can
        read it back, here or in the API.
      </p>
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
    </ActionForm>
  );
}
