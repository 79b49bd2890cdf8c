// One policy: its YAML (editable by admins), enable/disable/delete, and its versions.
import { useEffect, useState } from 'react';
import { ApiError, api, seg } from '../api/client';
import type { Policy, PolicySaveAnswer, SchemaError } from '../api/types';
import { ConfirmButton } from '../components/confirm-button';
import { describeError, ErrorNote, Loading, Success } from '../components/notices';
import { YamlEditor } from '../components/yaml-editor';
import { useCan } from '../session';
import { useApi } from '../use-api';
import { policyYaml } from './policies-page';
import { PolicyVersions } from './policy-versions';

const TEMPLATE = `name: my-policy
description: what this policy is for
priority: 100
mode: enforce
scope:
  connectors: [github]
rules:
  - name: no-merges-to-main
    when:
      all:
        - {field: action, operator: equals, value: github.pr.merge}
        - {field: params.base, operator: equals, value: main}
    decision: require_approval
    reason: merges to main need a person
`;

export function PolicyDetail({
  name,
  notice,
  onSaved,
  onDeleted,
}: {
  name: string | undefined;
  notice: string | undefined;
  onSaved: (name: string, message?: string) => void;
  onDeleted: () => void;
}) {
  const canManage = useCan('admin');
  const policy = useApi<{ policy: Policy }>(name ? `/policies/${seg(name)}` : null);
  const [text, setText] = useState(name ? '' : TEMPLATE);
  const [errors, setErrors] = useState<SchemaError[]>([]);
  const [error, setError] = useState<string | undefined>(undefined);
  const [done, setDone] = useState<string | undefined>(notice);
  const [busy, setBusy] = useState(false);
  const [tab, setTab] = useState<'document' | 'versions'>('document');
  const loadedYaml = policy.data ? policyYaml(policy.data.policy.document) : undefined;

  useEffect(() => {
    if (loadedYaml !== undefined) setText(loadedYaml);
  }, [loadedYaml]);

  const save = async () => {
    setBusy(true);
    setError(undefined);
    setErrors([]);
    setDone(undefined);
    try {
      const r = await api<PolicySaveAnswer>('POST', '/policies', { yaml: text });
      const message = r.results.map((x) => `${x.name}: ${x.message}`).join(' · ');
      setDone(message);
      policy.reload();
      const first = r.results[0];
      if (first) onSaved(first.name, message);
    } catch (err) {
      if (err instanceof ApiError && err.schemaErrors.length) {
        setErrors(err.schemaErrors);
        setError(
          `The policy was not saved: ${err.schemaErrors.length} problem${err.schemaErrors.length === 1 ? '' : 's'} below.`,
        );
      } else setError(describeError(err));
    } finally {
      setBusy(false);
    }
  };

  const toggle = async (enable: boolean) => {
    if (!name) return;
    setError(undefined);
    try {
      const r = await api<{ message: string }>(
        'POST',
        `/policies/${seg(name)}/${enable ? 'enable' : 'disable'}`,
      );
      setDone(r.message);
      policy.reload();
      onSaved(name, r.message);
    } catch (err) {
      setError(describeError(err));
    }
  };

  if (name && policy.error) return <ErrorNote error={policy.error} />;
  if (name && !policy.data) return <Loading what="the policy" />;
  const p = policy.data?.policy;
  const dirty = loadedYaml !== undefined ? text !== loadedYaml : true;

  return (
    <section aria-labelledby="policy-title">
      <div className="panel-head">
        <h2 id="policy-title">
          {p ? p.name : 'New policy'}
          {p && (
            <span className="muted small">
              {' '}
              version {p.version} · {p.enabled ? 'enabled' : 'disabled'}
            </span>
          )}
        </h2>
        {p && canManage && (
          <div className="button-row">
            <button type="button" className="btn btn-small" onClick={() => void toggle(!p.enabled)}>
              {p.enabled ? 'Disable' : 'Enable'}
            </button>
            <ConfirmButton
              label="Delete"
              title={`Delete ${p.name}?`}
              confirmLabel="Delete policy"
              danger
              onConfirm={async () => {
                await api('DELETE', `/policies/${seg(p.name)}`);
                onDeleted();
              }}
            >
              <p>It stops applying at once. Its versions are kept and it can be written again.</p>
            </ConfirmButton>
          </div>
        )}
      </div>
      {p && (
        <div className="tabs" role="tablist" aria-label="Policy views">
          <button
            type="button"
            role="tab"
            aria-selected={tab === 'document'}
            className="tab"
            onClick={() => setTab('document')}
          >
            Document
          </button>
          <button
            type="button"
            role="tab"
            aria-selected={tab === 'versions'}
            className="tab"
            onClick={() => setTab('versions')}
          >
            Versions
          </button>
        </div>
      )}
      {tab === 'versions' && p ? (
        <PolicyVersions
          key={p.version}
          policy={p}
          currentYaml={loadedYaml ?? ''}
          onRolledBack={() => {
            policy.reload();
            onSaved(p.name);
          }}
        />
      ) : (
        <div className="stack">
          {error && (
            <p className="note note-error" role="alert">
              {error}
            </p>
          )}
          {done && <Success>{done}</Success>}
          <YamlEditor
            label={p ? `YAML of policy ${p.name}` : 'YAML of the new policy'}
            value={text}
            onChange={(v) => {
              setText(v);
              setDone(undefined);
            }}
            errors={errors}
            readOnly={!canManage}
          />
          {canManage && (
            <div className="button-row">
              <button
                type="button"
                className="btn btn-primary"
                disabled={busy || !dirty}
                onClick={() => void save()}
              >
                {busy ? 'Saving…' : p ? 'Save as new version' : 'Create policy'}
              </button>
              {p && dirty && (
                <button
                  type="button"
                  className="btn"
                  onClick={() => {
                    setText(loadedYaml ?? '');
                    setErrors([]);
                    setError(undefined);
                  }}
                >
                  Discard changes
                </button>
              )}
            </div>
          )}
        </div>
      )}
    </section>
  );
}
