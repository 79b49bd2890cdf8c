// The rules of one agent on one connector: apply a preset (it replaces them), add a custom pattern,
// remove a rule. Viewers and members see the rules without the controls.
import { type FormEvent, useState } from 'react';
import { api, seg } from '../api/client';
import type { ActionSpec, Connector, Permission, PermissionPreset, Verdict } from '../api/types';
import { DecisionBadge } from '../components/decision-badge';
import { describeError, Success } from '../components/notices';
import { useCan } from '../session';
import { useApi } from '../use-api';

const PRESETS: { id: PermissionPreset; label: string; what: string }[] = [
  { id: 'read-only', label: 'Read only', what: 'reads allowed, everything else denied' },
  { id: 'require-approval', label: 'Ask first', what: 'every action waits for a person' },
  { id: 'allow-all', label: 'Allow all', what: 'every action allowed' },
];

export function PermissionEditor({
  agent,
  connector,
  rules,
  onChanged,
  onClose,
}: {
  agent: string;
  connector: Connector;
  rules: Permission[];
  onChanged: () => void;
  onClose: () => void;
}) {
  const canManage = useCan('admin');
  const catalogue = useApi<{ actions: ActionSpec[] }>(
    canManage ? `/connector-types/${seg(connector.type)}/actions` : null,
  );
  const [pattern, setPattern] = useState('');
  const [decision, setDecision] = useState<Verdict>('allow');
  const [error, setError] = useState<string | undefined>(undefined);
  const [done, setDone] = useState<string | undefined>(undefined);
  const [busy, setBusy] = useState(false);

  const run = async (what: () => Promise<unknown>, message: string) => {
    setBusy(true);
    setError(undefined);
    setDone(undefined);
    try {
      await what();
      setDone(message);
      onChanged();
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  };

  const add = (e: FormEvent) => {
    e.preventDefault();
    void run(
      () =>
        api('POST', '/permissions', { agent, connector: connector.name, action: pattern.trim(), decision }),
      `Rule ${pattern.trim()} saved.`,
    ).then(() => setPattern(''));
  };

  return (
    <section className="panel" aria-labelledby="perm-title">
      <div className="panel-head">
        <h2 id="perm-title">
          {agent} on {connector.name}
        </h2>
        <button type="button" className="btn btn-ghost" onClick={onClose} aria-label="Close the rules">
          ×
        </button>
      </div>
      {error && (
        <p className="note note-error" role="alert">
          {error}
        </p>
      )}
      {done && <Success>{done}</Success>}
      {canManage && (
        <>
          <h3>Presets</h3>
          <p className="muted small">A preset replaces this pair's rules.</p>
          <div className="preset-row">
            {PRESETS.map((p) => (
              <button
                key={p.id}
                type="button"
                className="btn preset"
                disabled={busy}
                onClick={() =>
                  void run(
                    () =>
                      api('POST', '/permissions/preset', { agent, connector: connector.name, preset: p.id }),
                    `Preset “${p.label}” applied.`,
                  )
                }
              >
                <strong>{p.label}</strong>
                <span className="small muted">{p.what}</span>
              </button>
            ))}
          </div>
          <h3>Custom rule</h3>
          <form className="inline-form" onSubmit={add}>
            <label className="field field-inline">
              <span>Action pattern</span>
              <input
                required
                list="action-suggestions"
                value={pattern}
                onChange={(e) => setPattern(e.target.value)}
                placeholder={`${connector.type}.*`}
              />
              <datalist id="action-suggestions">
                {catalogue.data?.actions.map((a) => (
                  <option key={`${a.action}${a.method}${a.path}`} value={a.action} />
                ))}
              </datalist>
            </label>
            <label className="field field-inline">
              <span>Decision</span>
              <select value={decision} onChange={(e) => setDecision(e.target.value as Verdict)}>
                <option value="allow">Allow</option>
                <option value="require_approval">Require approval</option>
                <option value="deny">Deny</option>
              </select>
            </label>
            <button type="submit" className="btn btn-primary" disabled={busy || !pattern.trim()}>
              Save rule
            </button>
          </form>
          <p className="muted small">
            Patterns match action names: <code>github.pr.*</code>, <code>*.get</code>, <code>*</code>. An
            identical pattern is replaced.
          </p>
        </>
      )}
      <h3>Rules</h3>
      {rules.length === 0 ? (
        <p className="muted">
          No rules: every request of {agent} to {connector.name} is denied.
        </p>
      ) : (
        <div className="rules-box">
          <table className="table table-compact">
            <thead>
              <tr>
                <th scope="col">Action pattern</th>
                <th scope="col">Decision</th>
                {canManage && <th scope="col">Remove</th>}
              </tr>
            </thead>
            <tbody>
              {rules.map((r) => (
                <tr key={r.id}>
                  <td>
                    <code>{r.action}</code>
                  </td>
                  <td>
                    <DecisionBadge decision={r.decision} />
                  </td>
                  {canManage && (
                    <td>
                      <button
                        type="button"
                        className="btn btn-small btn-danger-outline"
                        disabled={busy}
                        aria-label={`Remove rule ${r.action}`}
                        onClick={() =>
                          void run(() => api('DELETE', `/permissions/${r.id}`), `Rule ${r.action} removed.`)
                        }
                      >
                        Remove
                      </button>
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
