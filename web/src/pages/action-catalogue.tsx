// A connector type's actions: the names permissions and policies match, with their risk and parameters.
import { useState } from 'react';
import { seg } from '../api/client';
import type { ActionSpec } from '../api/types';
import { ErrorNote, Loading } from '../components/notices';
import { useApi } from '../use-api';

export function ActionCatalogue({ type }: { type: string }) {
  const r = useApi<{ type: string; actions: ActionSpec[] }>(`/connector-types/${seg(type)}/actions`);
  const [filter, setFilter] = useState('');
  if (r.error) return <ErrorNote error={r.error} />;
  if (!r.data) return <Loading what="the catalogue" />;
  const f = filter.trim().toLowerCase();
  const rows = r.data.actions.filter(
    (a) => !f || a.action.toLowerCase().includes(f) || a.description.toLowerCase().includes(f),
  );
  return (
    <div className="stack">
      <label className="field">
        <span>Find an action</span>
        <input
          type="search"
          value={filter}
          onChange={(e) => setFilter(e.target.value)}
          placeholder="e.g. merge"
        />
      </label>
      <p className="muted small">
        {rows.length} of {r.data.actions.length} actions
      </p>
      <div className="table-wrap catalogue">
        <table className="table table-compact">
          <thead>
            <tr>
              <th scope="col">Action</th>
              <th scope="col">Request</th>
              <th scope="col">Risk</th>
              <th scope="col">Parameters</th>
              <th scope="col">What it does</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((a) => (
              <tr key={`${a.action} ${a.method} ${a.path}`}>
                <td>
                  <code>{a.action}</code>
                </td>
                <td className="break">
                  <span className="method">{a.method}</span> <code>{a.path}</code>
                </td>
                <td>
                  <span className={`risk risk-${a.risk}`}>{a.risk}</span>
                </td>
                <td>{a.params.join(', ') || <span className="muted">—</span>}</td>
                <td>{a.description}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}
