// The health of every gateway registered with this control plane (/v1/gateways): whether its link is
// up, the version it runs, where agents reach it, when it was last heard from, whether it runs the
// configuration the control plane holds for it, how many events wait in its outbox, and the agent
// ports it could not open. An operator sees a gateway that fell behind or went quiet without a shell.
import type { GatewayList, GatewayView } from '../api/types';
import { DataTable } from '../components/data-table';
import { StatusBadge } from '../components/decision-badge';
import { ErrorNote, Loading } from '../components/notices';
import { TimeText } from '../components/time-text';
import type { Resource } from '../use-api';

/** `12 of 12`, or `11 of 12` flagged as behind: the version it runs against the one held for it. */
function ConfigText({ g }: { g: GatewayView }) {
  if (g.applied_config_version === null)
    return <span className="muted">not reported (holds {g.config_version})</span>;
  const behind = g.applied_config_version < g.config_version;
  return (
    <span>
      {g.applied_config_version} of {g.config_version}
      {behind && (
        <>
          {' '}
          <StatusBadge ok={false}>behind</StatusBadge>
        </>
      )}
    </span>
  );
}

function PortsText({ g }: { g: GatewayView }) {
  if (!g.agent_ports) return <span className="muted">not registered</span>;
  const errors = Object.entries(g.agent_ports.errors);
  return (
    <>
      <span>
        {g.agent_ports.start}–{g.agent_ports.end}, {g.agent_ports.open.length} open
      </span>
      {errors.map(([port, why]) => (
        <div key={port} className="small port-error">
          port {port}: {why}
        </div>
      ))}
    </>
  );
}

/** The overview's card: how many gateways are connected. */
export function GatewaysSummary({ gateways }: { gateways: Resource<GatewayList> }) {
  if (gateways.error) return <ErrorNote error={gateways.error} />;
  if (!gateways.data) return <Loading what="the gateways" />;
  const all = gateways.data.gateways;
  if (all.length === 0) {
    return <p className="muted">No gateway has registered yet: one does when it connects.</p>;
  }
  const up = all.filter((g) => g.status === 'connected').length;
  const backlog = all.reduce((n, g) => n + (g.outbox_backlog ?? 0), 0);
  return (
    <>
      <p>
        <StatusBadge ok={up === all.length}>{`${up} of ${all.length} connected`}</StatusBadge>
      </p>
      <p className="muted small">
        {backlog === 0 ? 'no events waiting' : `${backlog} events waiting in outboxes`}
      </p>
    </>
  );
}

export function GatewaysPanel({ gateways }: { gateways: Resource<GatewayList> }) {
  return (
    <section className="panel" aria-labelledby="gateways-title">
      <h2 id="gateways-title">Gateways</h2>
      <DataTable<GatewayView>
        label="Registered gateways"
        what="the gateways"
        rows={gateways.data?.gateways}
        rowKey={(g) => g.name}
        error={gateways.error}
        empty={{
          title: 'No gateway has registered with this control plane yet.',
          body: (
            <p>
              A gateway registers when it starts with <code>CONTROL_PLANE_URL</code> and{' '}
              <code>GATEWAY_SERVICE_TOKEN</code> pointing here.
            </p>
          ),
        }}
        columns={[
          { header: 'Gateway', rowHeader: true, cell: (g) => g.name },
          {
            header: 'Link',
            cell: (g) => <StatusBadge ok={g.status === 'connected'}>{g.status}</StatusBadge>,
          },
          { header: 'Version', cell: (g) => g.version ?? <span className="muted">—</span> },
          {
            header: 'Address',
            cell: (g) => (g.public_url ? <code>{g.public_url}</code> : <span className="muted">—</span>),
          },
          { header: 'Last seen', cell: (g) => <TimeText iso={g.last_seen_at} short /> },
          { header: 'Configuration', cell: (g) => <ConfigText g={g} /> },
          { header: 'Outbox backlog', className: 'num', cell: (g) => g.outbox_backlog ?? '—' },
          { header: 'Agent ports', cell: (g) => <PortsText g={g} /> },
        ]}
      />
    </section>
  );
}
