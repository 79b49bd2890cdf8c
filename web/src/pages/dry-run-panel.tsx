// Dry run: what the gateway would decide for a request or an action of an agent, with every matched
// permission and rule, sending nothing. Every role may ask.
import { type FormEvent, useState } from 'react';
import { api } from '../api/client';
import type { Agent, DryRunAnswer } from '../api/types';
import { DecisionBadge } from '../components/decision-badge';
import { describeError } from '../components/notices';
import { useApi } from '../use-api';

export function DryRunPanel() {
  const agents = useApi<{ agents: Agent[] }>('/agents');
  const [agent, setAgent] = useState('');
  const [kind, setKind] = useState<'request' | 'action'>('request');
  const [method, setMethod] = useState('GET');
  const [url, setUrl] = useState('');
  const [action, setAction] = useState('');
  const [params, setParams] = useState('');
  const [answer, setAnswer] = useState<DryRunAnswer | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(undefined);
    setAnswer(undefined);
    const body: Record<string, unknown> = { agent: agent || agents.data?.agents[0]?.name };
    if (kind === 'request') Object.assign(body, { method, url: url.trim() });
    else {
      body.action = action.trim();
      if (params.trim()) {
        try {
          body.params = JSON.parse(params);
        } catch {
          setError('Parameters must be a JSON object, e.g. {"amount": 6000}.');
          return;
        }
      }
    }
    setBusy(true);
    try {
      setAnswer(await api<DryRunAnswer>('POST', '/dry-run', body));
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="panel" aria-labelledby="dry-title">
      <h2 id="dry-title">Dry run</h2>
      <p className="muted small">
        Decide a request as the gateway would, with the live permissions and policies. Nothing is sent.
      </p>
      {agents.data?.agents.length === 0 ? (
        <p className="muted">Add an agent first: a dry run decides for an agent.</p>
      ) : (
        <form className="stack" onSubmit={(e) => void submit(e)}>
          <div className="inline-form">
            <label className="field field-inline">
              <span>Agent</span>
              <select value={agent} onChange={(e) => setAgent(e.target.value)}>
                {agents.data?.agents.map((a) => (
                  <option key={a.name} value={a.name}>
                    {a.name}
                  </option>
                ))}
              </select>
            </label>
            <fieldset className="segmented">
              <legend className="visually-hidden">Decide</legend>
              <label>
                <input
                  type="radio"
                  name="dry-kind"
                  checked={kind === 'request'}
                  onChange={() => setKind('request')}
                />{' '}
                A request
              </label>
              <label>
                <input
                  type="radio"
                  name="dry-kind"
                  checked={kind === 'action'}
                  onChange={() => setKind('action')}
                />{' '}
                An action
              </label>
            </fieldset>
          </div>
          {kind === 'request' ? (
            <div className="inline-form">
              <label className="field field-inline">
                <span>Method</span>
                <select value={method} onChange={(e) => setMethod(e.target.value)}>
                  {['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD'].map((m) => (
                    <option key={m}>{m}</option>
                  ))}
                </select>
              </label>
              <label className="field field-inline grow">
                <span>URL</span>
                <input
                  required
                  type="url"
                  value={url}
                  onChange={(e) => setUrl(e.target.value)}
                  placeholder="https://api.github.com/repos/acme/app/pulls/7/merge"
                />
              </label>
            </div>
          ) : (
            <div className="inline-form">
              <label className="field field-inline">
                <span>Action</span>
                <input
                  required
                  value={action}
                  onChange={(e) => setAction(e.target.value)}
                  placeholder="stripe.refund.create"
                />
              </label>
              <label className="field field-inline grow">
                <span>Parameters (JSON)</span>
                <input
                  value={params}
                  onChange={(e) => setParams(e.target.value)}
                  placeholder='{"amount": 6000}'
                />
              </label>
            </div>
          )}
          <div className="button-row">
            <button type="submit" className="btn btn-primary" disabled={busy}>
              {busy ? 'Deciding…' : 'Decide'}
            </button>
          </div>
        </form>
      )}
      {error && (
        <p className="note note-error" role="alert">
          {error}
        </p>
      )}
      {answer && <DryRunResult answer={answer} />}
    </section>
  );
}

function DryRunResult({ answer: a }: { answer: DryRunAnswer }) {
  return (
    <div className="dry-result" aria-live="polite">
      <p className="dry-verdict">
        <DecisionBadge decision={a.verdict} /> <code>{a.code}</code>
        {a.would_have && <span className="muted"> (monitor mode: would have been {a.would_have})</span>}
      </p>
      <dl className="facts">
        <dt>Why</dt>
        <dd>
          <ul className="reasons">
            {a.reasons.map((r) => (
              <li key={r}>{r}</li>
            ))}
          </ul>
        </dd>
        <dt>Action</dt>
        <dd>{a.action ? <code>{a.action}</code> : <span className="muted">none</span>}</dd>
        <dt>Parameters</dt>
        <dd>
          {a.params && Object.keys(a.params).length ? (
            <pre className="code-block">{JSON.stringify(a.params, null, 2)}</pre>
          ) : (
            <span className="muted">none</span>
          )}
        </dd>
        <dt>Permission used</dt>
        <dd>
          {a.permission ? (
            <>
              <code>{a.permission.action}</code> → <DecisionBadge decision={a.permission.decision} />
            </>
          ) : (
            <span className="muted">none matched</span>
          )}
        </dd>
        <dt>Policy rules matched</dt>
        <dd>
          {a.matched_rules.length === 0 ? (
            <span className="muted">none</span>
          ) : (
            <ul className="reasons">
              {a.matched_rules.map((m) => (
                <li key={`${m.policy}/${m.rule}`}>
                  <code>
                    {m.policy} / {m.rule}
                  </code>{' '}
                  → <DecisionBadge decision={m.decision} /> {m.reason}
                  {m.monitor && <span className="muted"> (monitor, not enforced)</span>}
                </li>
              ))}
            </ul>
          )}
        </dd>
        {a.rate_limits.length > 0 && (
          <>
            <dt>Rate limits</dt>
            <dd>
              {a.rate_limits.map((r) => (
                <div key={r.id}>
                  {r.rate} per second, burst {r.burst}
                  {r.action && (
                    <>
                      {' '}
                      on <code>{r.action}</code>
                    </>
                  )}
                </div>
              ))}
            </dd>
          </>
        )}
      </dl>
    </div>
  );
}
