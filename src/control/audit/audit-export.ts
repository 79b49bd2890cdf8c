// The audit ledger as JSONL or CSV, one event per line, written as it is read (a large ledger is
// never held in memory). Each line keeps prev_hash and hash, so an export can be checked offline.
//
// Threat model: event details carry text that agents chose (paths, tool names). In CSV a cell that
// starts with = + - @ or a tab would run as a formula when opened in a spreadsheet, so such cells get
// a leading apostrophe (OWASP's advice for CSV injection); JSONL is exact.
import type { StoredAuditEvent } from '../../audit/ledger.js';
import type { AuditEventView } from '../../wire/audit.js';

export type ExportFormat = 'jsonl' | 'csv';

export const CSV_COLUMNS = [
  'id',
  'created_at',
  'event_type',
  'actor',
  'subject',
  'details',
  'prev_hash',
  'hash',
] as const;

export function eventView(e: StoredAuditEvent): AuditEventView {
  let details: Record<string, unknown>;
  try {
    details = JSON.parse(e.details) as Record<string, unknown>;
  } catch {
    details = { unreadable_details: e.details };
  }
  return { ...e, details };
}

export function csvCell(value: string | number | null): string {
  if (value === null) return '';
  let text = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csvLine(e: StoredAuditEvent): string {
  return `${[e.id, e.created_at, e.event_type, e.actor, e.subject, e.details, e.prev_hash, e.hash].map(csvCell).join(',')}\r\n`;
}

export async function* exportLines(
  events: AsyncIterable<StoredAuditEvent>,
  format: ExportFormat,
): AsyncGenerator<string> {
  if (format === 'csv') yield `${CSV_COLUMNS.join(',')}\r\n`;
  for await (const e of events) yield format === 'csv' ? csvLine(e) : `${JSON.stringify(eventView(e))}\n`;
}
