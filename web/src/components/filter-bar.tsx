// The filter row above a list. Every filter lives in the address (one query parameter each), so a
// filtered view can be shared and survives a reload; the bar offers "Clear filters" once one is set,
// then any page-specific buttons.
import { type ReactNode, useEffect, useState } from 'react';
import type { Agent } from '../api/types';
import { setQuery, useLocation } from '../router';
import { useApi } from '../use-api';

export function FilterBar({
  label,
  params,
  children,
  actions,
}: {
  label: string;
  /** The query parameters the bar's filters set (cleared together). */
  params: readonly string[];
  children: ReactNode;
  actions?: ReactNode;
}) {
  const { query } = useLocation();
  const filtered = params.some((p) => query.get(p));
  return (
    <form className="filters" aria-label={label} onSubmit={(e) => e.preventDefault()}>
      {children}
      {filtered && (
        <button
          type="button"
          className="btn btn-ghost"
          onClick={() => setQuery(Object.fromEntries(params.map((p) => [p, ''])))}
        >
          Clear filters
        </button>
      )}
      {actions}
    </form>
  );
}

export interface Choice {
  value: string;
  label: string;
}

/** A select whose first option means "no filter"; a value from the address that is not (or no
 * longer) among the choices is still shown, so the filter in force is never hidden. */
export function SelectFilter({
  label,
  param,
  anyLabel,
  choices,
}: {
  label: string;
  param: string;
  anyLabel: string;
  choices: readonly (Choice | string)[];
}) {
  const value = useLocation().query.get(param) ?? '';
  const options = choices.map((c) => (typeof c === 'string' ? { value: c, label: c } : c));
  return (
    <label className="field field-inline">
      <span>{label}</span>
      <select value={value} onChange={(e) => setQuery({ [param]: e.target.value })}>
        <option value="">{anyLabel}</option>
        {value && !options.some((o) => o.value === value) && <option value={value}>{value}</option>}
        {options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
    </label>
  );
}

/** The agent filter every list of agent activity has, its choices loaded from /v1/agents. */
export function AgentFilter({ param = 'agent' }: { param?: string }) {
  const agents = useApi<{ agents: Agent[] }>('/agents');
  return (
    <SelectFilter
      label="Agent"
      param={param}
      anyLabel="All agents"
      choices={agents.data?.agents.map((a) => a.name) ?? []}
    />
  );
}

/** A search box. `live` filters at each keystroke (lists filtered in the page); otherwise the value
 * is applied on Enter or when the box loses focus (filters the server applies). */
export function SearchFilter({
  label,
  param,
  placeholder,
  live = false,
}: {
  label: string;
  param: string;
  placeholder?: string;
  live?: boolean;
}) {
  const value = useLocation().query.get(param) ?? '';
  const [draft, setDraft] = useState(value);
  useEffect(() => setDraft(value), [value]);
  const apply = (v: string) => {
    if (v.trim() !== value) setQuery({ [param]: v.trim() });
  };
  return (
    <label className="field field-inline">
      <span>{label}</span>
      <input
        type="search"
        value={live ? value : draft}
        placeholder={placeholder}
        onChange={(e) => (live ? setQuery({ [param]: e.target.value }) : setDraft(e.target.value))}
        onBlur={live ? undefined : () => apply(draft)}
        onKeyDown={(e) => {
          if (!live && e.key === 'Enter') {
            e.preventDefault();
            apply(draft);
          }
        }}
      />
    </label>
  );
}

/** Case-insensitive "contains" over a row's searchable texts. */
export function matchesText(needle: string, ...texts: (string | null | undefined)[]): boolean {
  const n = needle.trim().toLowerCase();
  return !n || texts.some((t) => (t ?? '').toLowerCase().includes(n));
}
