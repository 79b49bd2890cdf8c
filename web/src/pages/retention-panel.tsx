// Settings: how long the traffic log (on each gateway) and the audit log (on the control plane) are
// kept. Admins set the traffic retention of every gateway here; a gateway whose own flag, environment
// or config.yaml sets one keeps it, and is shown as fixed there. The audit retention is the control
// plane's AUDIT_RETENTION_DAYS: shown, changed where the control plane runs.
import { useEffect, useRef, useState } from 'react';
import { api } from '../api/client';
import type {
  GatewayRetentionView,
  RetentionSettings,
  RetentionSource,
  RetentionSweepView,
} from '../api/types';
import { ActionForm } from '../components/action-form';
import { DataTable } from '../components/data-table';
import { ErrorNote, FormError, Loading, Success } from '../components/notices';
import { TimeText } from '../components/time-text';
import { useCan } from '../session';
import { useAction } from '../use-action';
import { useApi } from '../use-api';

type GatewayRow = RetentionSettings['traffic']['gateways'][number];

const SOURCE_TEXT: Record<RetentionSource, string> = {
  daemon: "fixed by the gateway's own configuration",
  control_plane: 'set here',
  default: 'built-in default',
};

export function RetentionPanel() {
  const state = useApi<RetentionSettings>('/settings/retention', { pollMs: 15_000 });
  const canEdit = useCan('admin');
  const s = state.data;
  const gateways = s?.traffic.gateways ?? [];
  const allFixed = gateways.length > 0 && gateways.every((g) => g.retention?.source === 'daemon');
  // A connected gateway that does not run the value set here yet: it reports within seconds.
  const applying = gateways.some(
    (g) => g.status === 'connected' && g.retention && !runsSetting(g.retention, s?.traffic.days ?? null),
  );
  const reload = useRef(state.reload);
  reload.current = state.reload;
  useEffect(() => {
    if (!applying) return;
    const timer = window.setInterval(() => reload.current(), 1000);
    return () => window.clearInterval(timer);
  }, [applying]);

  return (
    <section className="panel" aria-labelledby="retention-title">
      <h2 id="retention-title">Retention</h2>
      <p className="muted">
        Old rows are removed in the background, oldest first, in small steps that never hold up traffic.
      </p>
      {state.error && <ErrorNote error={state.error} />}
      {!s ? (
        !state.error && <Loading what="the retention settings" />
      ) : (
        <>
          <h3>Traffic log, on each gateway</h3>
          <p>
            {s.traffic.days === null ? (
              <>
                Not set here: each gateway keeps its own setting, or {days(s.traffic.default_days)} by
                default.
              </>
            ) : (
              <>
                Set here to <strong>{days(s.traffic.days)}</strong> for every gateway that does not set its
                own.
              </>
            )}
          </p>
          {applying && (
            <p className="note" role="status">
              Gateways are applying the change…
            </p>
          )}
          <DataTable<GatewayRow>
            label="Traffic retention per gateway"
            what="gateways"
            rows={gateways}
            rowKey={(g) => g.name}
            empty={{
              title: 'No gateway has registered yet.',
              body: 'Each gateway reports its retention here once it connects.',
            }}
            columns={[
              { header: 'Gateway', rowHeader: true, cell: (g) => g.name },
              {
                header: 'Keeps',
                cell: (g) =>
                  g.retention ? days(g.retention.days) : <span className="muted">not reported</span>,
              },
              {
                header: 'Decided by',
                cell: (g) =>
                  g.retention ? SOURCE_TEXT[g.retention.source] : <span className="muted">—</span>,
              },
              { header: 'Last sweep', cell: (g) => <SweepText sweep={g.retention?.last_sweep} /> },
              { header: 'Database', className: 'num', cell: (g) => bytes(g.retention?.database_bytes) },
            ]}
          />
          {canEdit &&
            (allFixed ? (
              <p className="muted small">
                Every gateway sets its own retention (<code>--traffic-retention-days</code> or{' '}
                <code>TAMEFLARE_TRAFFIC_RETENTION_DAYS</code>), so a value set here would change nothing.
              </p>
            ) : (
              <TrafficRetentionForm current={s.traffic.days} onSaved={state.reload} />
            ))}
          <h3>Audit log, on the control plane</h3>
          <dl className="facts">
            <dt>Keeps</dt>
            <dd>{days(s.audit.days)}</dd>
            <dt>Last sweep</dt>
            <dd>
              <SweepText sweep={s.audit.last_sweep} />
            </dd>
            <dt>Database</dt>
            <dd>{bytes(s.audit.database_bytes)}</dd>
          </dl>
          <p className="muted small">
            Set with <code>AUDIT_RETENTION_DAYS</code> where the control plane runs. Pruned events leave a
            signed anchor, so the chain still verifies.
          </p>
        </>
      )}
    </section>
  );
}

function TrafficRetentionForm({ current, onSaved }: { current: number | null; onSaved: () => void }) {
  const [value, setValue] = useState(current === null ? '' : String(current));
  const [saved, setSaved] = useState<string | undefined>(undefined);
  const clear = useAction();
  const save = async (traffic_days: number | null) => {
    setSaved(undefined);
    await api('PUT', '/settings/retention', { traffic_days });
    setSaved(
      traffic_days === null
        ? 'Cleared: each gateway keeps its own setting.'
        : `Saved: ${days(traffic_days)}. Gateways apply it within seconds and remove what is older.`,
    );
    onSaved();
  };
  return (
    <>
      {saved && <Success>{saved}</Success>}
      <FormError message={clear.error} />
      <ActionForm
        onSubmit={() => save(Number(value))}
        submitLabel="Save retention"
        busyLabel="Saving…"
        disabled={value.trim() === '' || String(current) === value.trim()}
        label="Traffic retention"
        className="inline-form"
        more={
          current !== null && (
            <button
              type="button"
              className="btn btn-ghost"
              disabled={clear.busy}
              onClick={() =>
                void clear.run(async () => {
                  setValue('');
                  await save(null);
                })
              }
            >
              Use each gateway's own setting
            </button>
          )
        }
      >
        <label className="field field-inline">
          <span>Days of traffic to keep (0 keeps everything)</span>
          <input
            type="number"
            min={0}
            max={36_500}
            step={1}
            required
            inputMode="numeric"
            value={value}
            onChange={(e) => setValue(e.target.value)}
          />
        </label>
      </ActionForm>
    </>
  );
}

/** Whether a gateway runs what is set here (a gateway fixed by its own configuration always does). */
function runsSetting(r: GatewayRetentionView, set: number | null): boolean {
  if (r.source === 'daemon') return true;
  return set === null ? r.source === 'default' : r.source === 'control_plane' && r.days === set;
}

function SweepText({ sweep }: { sweep: RetentionSweepView | null | undefined }) {
  if (!sweep) return <span className="muted">none yet</span>;
  return (
    <>
      <TimeText iso={sweep.started_at} short />
      {sweep.error ? (
        <span className="text-danger"> stopped: {sweep.error}</span>
      ) : (
        <span className="muted">
          {' '}
          removed {sweep.deleted} {sweep.deleted === 1 ? 'row' : 'rows'}
          {sweep.freed_bytes > 0 ? `, ${bytes(sweep.freed_bytes)} given back` : ''}
        </span>
      )}
    </>
  );
}

function days(n: number): string {
  return n === 0 ? 'everything' : n === 1 ? '1 day' : `${n} days`;
}

function bytes(n: number | null | undefined): string {
  if (n === null || n === undefined) return '—';
  if (n < 1024) return `${n} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}
