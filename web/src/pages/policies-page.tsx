// Policies: a list, the selected policy's YAML in an editor (validation errors at their line), its
// versions with a diff and rollback, and a dry run that decides a request without sending it.
import { useState } from 'react';
import { stringify } from 'yaml';
import type { PolicySummary } from '../api/types';
import { Empty, ErrorNote, Loading } from '../components/notices';
import { PageHeader } from '../components/page-header';
import { navigate, setQuery, useLocation } from '../router';
import { useCan } from '../session';
import { useApi } from '../use-api';
import { DryRunPanel } from './dry-run-panel';
import { PolicyDetail } from './policy-detail';

export function policyYaml(doc: unknown): string {
  return stringify(doc, { lineWidth: 0 });
}

export function PoliciesPage() {
  const { query } = useLocation();
  const selected = query.get('name') ?? undefined;
  const creating = query.get('new') === '1';
  const list = useApi<{ policies: PolicySummary[] }>('/policies');
  const canManage = useCan('admin');
  // What the last save said; kept here because saving a new policy remounts the detail under its name.
  const [notice, setNotice] = useState<{ name: string; text: string } | undefined>(undefined);
  const saved = (name: string, text?: string) => {
    list.reload();
    setNotice(text ? { name, text } : undefined);
  };

  return (
    <>
      <PageHeader
        title="Policies"
        actions={
          canManage && (
            <button
              type="button"
              className="btn btn-primary"
              onClick={() => setQuery({ new: '1', name: '' })}
            >
              New policy
            </button>
          )
        }
      >
        Policies refine permissions with conditions on the action and its parameters. Both must pass.
      </PageHeader>
      {list.error && <ErrorNote error={list.error} />}
      <div className="master-detail">
        <nav className="master" aria-label="Policies">
          {!list.data && !list.error ? (
            <Loading what="policies" />
          ) : list.data?.policies.length === 0 ? (
            <Empty title="No policies yet.">
              <p>Permissions alone decide. {canManage ? 'Write a policy to add conditions.' : ''}</p>
            </Empty>
          ) : (
            <ul className="master-list">
              {list.data?.policies.map((p) => (
                <li key={p.name}>
                  <button
                    type="button"
                    className="master-item"
                    aria-current={p.name === selected && !creating ? 'true' : undefined}
                    onClick={() => setQuery({ name: p.name, new: '' })}
                  >
                    <strong>{p.name}</strong>
                    <span className="small muted">
                      v{p.version} · {p.rules} rule{p.rules === 1 ? '' : 's'} · {p.mode}
                      {!p.enabled && ' · disabled'}
                    </span>
                  </button>
                </li>
              ))}
            </ul>
          )}
        </nav>
        <div className="detail-pane">
          {creating && canManage ? (
            <PolicyDetail
              key="new"
              name={undefined}
              notice={undefined}
              onSaved={(name, text) => {
                saved(name, text);
                navigate(`/policies?name=${encodeURIComponent(name)}`, { replace: true });
              }}
              onDeleted={list.reload}
            />
          ) : selected ? (
            <PolicyDetail
              key={selected}
              name={selected}
              notice={notice?.name === selected ? notice.text : undefined}
              onSaved={(name, text) => {
                saved(name, text);
                if (name !== selected)
                  navigate(`/policies?name=${encodeURIComponent(name)}`, { replace: true });
              }}
              onDeleted={() => {
                list.reload();
                navigate('/policies', { replace: true });
              }}
            />
          ) : (
            <p className="muted">Choose a policy to see its document and versions.</p>
          )}
        </div>
      </div>
      <DryRunPanel />
    </>
  );
}
