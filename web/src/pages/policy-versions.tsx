// A policy's history, newest first: compare any version with the current document and restore it.
import { useState } from 'react';
import { api, seg } from '../api/client';
import type { Policy, PolicyVersion } from '../api/types';
import { DiffView } from '../components/diff-view';
import { describeError, ErrorNote, Loading } from '../components/notices';
import { TimeText } from '../components/time-text';
import { useCan } from '../session';
import { useApi } from '../use-api';
import { policyYaml } from './policies-page';

export function PolicyVersions({
  policy,
  currentYaml,
  onRolledBack,
}: {
  policy: Policy;
  currentYaml: string;
  onRolledBack: () => void;
}) {
  const canManage = useCan('admin');
  const history = useApi<{ current_version: number | null; versions: PolicyVersion[] }>(
    `/policies/${seg(policy.name)}/versions`,
  );
  const [picked, setPicked] = useState<number | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  if (history.error) return <ErrorNote error={history.error} />;
  if (!history.data) return <Loading what="versions" />;
  const versions = history.data.versions;
  const chosen =
    versions.find((v) => v.version === picked) ?? versions.find((v) => v.version !== policy.version);

  const rollback = async (version: number) => {
    setError(undefined);
    try {
      await api('POST', `/policies/${seg(policy.name)}/rollback`, { version });
      setPicked(undefined);
      onRolledBack();
    } catch (err) {
      setError(describeError(err));
    }
  };

  return (
    <div className="stack">
      {error && (
        <p className="note note-error" role="alert">
          {error}
        </p>
      )}
      <table className="table table-compact">
        <thead>
          <tr>
            <th scope="col">Version</th>
            <th scope="col">Change</th>
            <th scope="col">By</th>
            <th scope="col">When</th>
            <th scope="col">Compare</th>
            {canManage && <th scope="col">Restore</th>}
          </tr>
        </thead>
        <tbody>
          {versions.map((v) => (
            <tr key={v.version} className={v.version === chosen?.version ? 'selected' : undefined}>
              <td>
                {v.version}
                {v.version === policy.version && <span className="muted small"> (current)</span>}
              </td>
              <td>{v.change}</td>
              <td>{v.actor}</td>
              <td>
                <TimeText iso={v.created_at} />
              </td>
              <td>
                {v.version !== policy.version && (
                  <button
                    type="button"
                    className="btn btn-small"
                    aria-pressed={v.version === chosen?.version}
                    onClick={() => setPicked(v.version)}
                  >
                    Compare
                  </button>
                )}
              </td>
              {canManage && (
                <td>
                  {v.version !== policy.version && v.change !== 'deleted' && (
                    <button type="button" className="btn btn-small" onClick={() => void rollback(v.version)}>
                      Restore v{v.version}
                    </button>
                  )}
                </td>
              )}
            </tr>
          ))}
        </tbody>
      </table>
      {chosen ? (
        <DiffView
          from={policyYaml(chosen.document)}
          to={currentYaml}
          fromLabel={`version ${chosen.version}`}
          toLabel={`current (version ${policy.version})`}
        />
      ) : (
        <p className="muted">This is the only version so far.</p>
      )}
    </div>
  );
}
