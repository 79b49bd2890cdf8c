// The plain-text table every list command prints: upper-case headers, columns two spaces apart, no
// trailing blanks. Cells come from the API and, through the traffic log, from agents themselves, so
// control characters are escaped: a crafted agent name or path must not drive the operator's terminal.

export interface TableColumn {
  header: string;
  /** Numbers read better right-aligned. */
  align?: 'left' | 'right';
  /** Keeps a column steady across batches (logs --follow prints one batch at a time). */
  minWidth?: number;
  /** Longer cells are cut with an ellipsis. */
  maxWidth?: number;
}

export type Cell = string | number | boolean | null | undefined;

export interface TableOptions {
  /** Print the header line (on by default; logs --follow prints it once). */
  header?: boolean;
}

/** One cell as printable text: empty values become `-`, control characters `\xNN`. */
export function cellText(value: Cell): string {
  if (value === null || value === undefined || value === '') return '-';
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  return escapeControl(String(value));
}

export function escapeControl(text: string): string {
  return text.replace(
    /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g,
    (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`,
  );
}

function truncate(text: string, max: number | undefined): string {
  if (max === undefined || text.length <= max) return text;
  return max <= 1 ? text.slice(0, max) : `${text.slice(0, max - 1)}…`;
}

/** The column widths a table would use, so a caller can keep them for later batches. */
export function columnWidths(columns: readonly TableColumn[], rows: readonly Cell[][]): number[] {
  return columns.map((col, i) => {
    let width = Math.max(col.header.length, col.minWidth ?? 0);
    for (const row of rows) width = Math.max(width, truncate(cellText(row[i]), col.maxWidth).length);
    return width;
  });
}

export function formatTable(
  columns: readonly TableColumn[],
  rows: readonly Cell[][],
  options: TableOptions & { widths?: readonly number[] } = {},
): string {
  const widths = options.widths ?? columnWidths(columns, rows);
  const line = (cells: string[]) =>
    cells
      .map((text, i) => {
        const width = widths[i] ?? text.length;
        // The last left-aligned column is not padded: no trailing blanks.
        if (i === cells.length - 1 && columns[i]?.align !== 'right') return text;
        return columns[i]?.align === 'right' ? text.padStart(width) : text.padEnd(width);
      })
      .join('  ')
      .trimEnd();
  const out: string[] = [];
  if (options.header !== false) out.push(line(columns.map((c) => c.header.toUpperCase())));
  for (const row of rows) out.push(line(columns.map((c, i) => truncate(cellText(row[i]), c.maxWidth))));
  return out.length === 0 ? '' : `${out.join('\n')}\n`;
}
