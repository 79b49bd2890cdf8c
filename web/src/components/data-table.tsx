// The list block every table page shares: loading, a failure, an empty state (one for "nothing yet",
// one for "nothing matches the filters") and the table itself. Each cell carries its column's name,
// so a narrow container shows every row as a stacked card with labelled fields (styles.css,
// `.data-table`) instead of a table that has to be scrolled sideways.
import type { ReactNode } from 'react';
import { Empty, ErrorNote, Loading } from './notices';

export interface Column<T> {
  /** The header, and the label of the field in the stacked layout ('' for none, e.g. buttons). */
  header: string;
  cell: (row: T) => ReactNode;
  /** Extra classes of the cell and its header: 'num', 'nowrap', 'request-cell'. */
  className?: string;
  /** The row's name (a <th scope="row">): the title of its card in the stacked layout. */
  rowHeader?: boolean;
  /** Hidden header text (the column is still announced), for columns of buttons. */
  hiddenHeader?: boolean;
}

export interface EmptyText {
  title: string;
  body?: ReactNode;
}

export function DataTable<T>({
  label,
  columns,
  rows,
  rowKey,
  loading = false,
  error,
  what,
  empty,
  emptyFiltered,
  filtered = false,
  selected,
  onSelect,
  foot,
  className,
}: {
  /** The accessible name of the section holding the table. */
  label: string;
  columns: (Column<T> | false | undefined)[];
  rows: readonly T[] | undefined;
  rowKey: (row: T) => string | number;
  loading?: boolean;
  error?: unknown;
  /** "Loading {what}…" */
  what: string;
  empty: EmptyText;
  emptyFiltered?: EmptyText;
  filtered?: boolean;
  selected?: string | number | undefined;
  /** Clicking a row selects it (the row also holds a button doing the same, for the keyboard). */
  onSelect?: (key: string | number) => void;
  foot?: ReactNode;
  className?: string;
}) {
  const cols = columns.filter((c): c is Column<T> => Boolean(c));
  const list = rows ?? [];
  const shownEmpty = filtered && emptyFiltered ? emptyFiltered : empty;
  let body: ReactNode;
  if (list.length === 0) {
    if (error) body = null;
    else if (loading || rows === undefined) body = <Loading what={what} />;
    else
      body = (
        <Empty title={shownEmpty.title}>
          {typeof shownEmpty.body === 'string' ? <p>{shownEmpty.body}</p> : shownEmpty.body}
        </Empty>
      );
  } else {
    body = (
      <div className="table-wrap">
        <table className={`table data-table${onSelect ? ' table-hover' : ''}`}>
          <thead>
            <tr>
              {cols.map((c) => (
                <th key={c.header} scope="col" className={c.className}>
                  {c.hiddenHeader ? <span className="visually-hidden">{c.header}</span> : c.header}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {list.map((row) => {
              const key = rowKey(row);
              return (
                <tr
                  key={key}
                  className={key === selected ? 'selected' : undefined}
                  onClick={onSelect ? () => onSelect(key) : undefined}
                >
                  {cols.map((c) =>
                    c.rowHeader ? (
                      <th key={c.header} scope="row" className={c.className}>
                        {c.cell(row)}
                      </th>
                    ) : (
                      <td
                        key={c.header}
                        className={c.className}
                        data-label={c.hiddenHeader ? undefined : c.header}
                      >
                        <div className="cell">{c.cell(row)}</div>
                      </td>
                    ),
                  )}
                </tr>
              );
            })}
          </tbody>
        </table>
        {foot}
      </div>
    );
  }
  return (
    <section aria-label={label} className={className ?? 'data-section'}>
      {error ? <ErrorNote error={error} /> : null}
      {body}
    </section>
  );
}
