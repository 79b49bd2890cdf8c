// Permissions as a grid: one row per agent, one column per connector, each cell summarising the
// rules for that pair. Selecting a cell opens its rules, the presets and a custom pattern form.
import { useState } from 'react';
import type { Agent, Connector, Permission } from '../api/types';
import { DecisionBadge } from '../components/decision-badge';
import { Empty, ErrorNote, Loading } from '../components/notices';
import { PageHeader } from '../components/page-header';
import { useApi } from '../use-api';
import { PermissionEditor } from './permission-editor';

export function PermissionsPage() {
  const agents = useApi<{ agents: Agent[] }>('/agents');
  const connectors = useApi<{ connectors: Connector[] }>('/connectors');
  const perms = useApi<{ permissions: Permission[] }>('/permissions');
  const [cell, setCell] = useState<{ agent: string; connector: string } | undefined>(undefined);
  const error = agents.error ?? connectors.error ?? perms.error;

  const header = (
    <PageHeader title="Permissions">
      What each agent may do on each connector. Without a matching rule a request is denied.
    </PageHeader>
  );
  if (error)
    return (
      <>
        {header}
        <ErrorNote error={error} />
      </>
    );
  if (!agents.data || !connectors.data || !perms.data)
    return (
      <>
        {header}
        <Loading what="permissions" />
      </>
    );
  const as = agents.data.agents;
  const cs = connectors.data.connectors;
  if (as.length === 0 || cs.length === 0)
    return (
      <>
        {header}
        <Empty title="Permissions need an agent and a connector.">
          <p>Add at least one of each first, on the Agents and Connectors pages.</p>
        </Empty>
      </>
    );
  const rules = (a: string, c: string) =>
    perms.data!.permissions.filter((p) => p.agent === a && p.connector === c);
  const selectedRules = cell ? rules(cell.agent, cell.connector) : [];
  const selectedConnector = cell && cs.find((c) => c.name === cell.connector);

  return (
    <>
      {header}
      <div className="table-wrap">
        <table className="table grid-table">
          <thead>
            <tr>
              <th scope="col">Agent \ Connector</th>
              {cs.map((c) => (
                <th key={c.name} scope="col">
                  {c.name}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {as.map((a) => (
              <tr key={a.name}>
                <th scope="row">{a.name}</th>
                {cs.map((c) => {
                  const sameGateway = a.gateway === c.gateway;
                  const rs = rules(a.name, c.name);
                  const active = cell?.agent === a.name && cell.connector === c.name;
                  return (
                    <td key={c.name} className={active ? 'selected' : undefined}>
                      {sameGateway ? (
                        <button
                          type="button"
                          className="cell-button"
                          aria-pressed={active}
                          aria-label={`${a.name} on ${c.name}: ${summary(rs)}. Edit`}
                          onClick={() => setCell({ agent: a.name, connector: c.name })}
                        >
                          <CellSummary rules={rs} />
                        </button>
                      ) : (
                        <span className="muted small">other gateway</span>
                      )}
                    </td>
                  );
                })}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {cell && selectedConnector && (
        <PermissionEditor
          key={`${cell.agent}/${cell.connector}`}
          agent={cell.agent}
          connector={selectedConnector}
          rules={selectedRules}
          onChanged={perms.reload}
          onClose={() => setCell(undefined)}
        />
      )}
    </>
  );
}

function summary(rs: Permission[]): string {
  if (rs.length === 0) return 'no rules, everything denied';
  return `${rs.length} rule${rs.length === 1 ? '' : 's'}`;
}

function CellSummary({ rules }: { rules: Permission[] }) {
  if (rules.length === 0) return <span className="muted">no access</span>;
  const all = rules.find((r) => r.action === '*');
  if (rules.length === 1 && all) return <DecisionBadge decision={all.decision} />;
  const counts = { allow: 0, deny: 0, require_approval: 0 };
  for (const r of rules) counts[r.decision]++;
  return (
    <span className="cell-summary">
      {rules.length} rules
      <span className="muted small">
        {counts.allow ? ` · ${counts.allow} allow` : ''}
        {counts.require_approval ? ` · ${counts.require_approval} approval` : ''}
        {counts.deny ? ` · ${counts.deny} deny` : ''}
      </span>
    </span>
  );
}
