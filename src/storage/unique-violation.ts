// A unique index refusing a row, recognised on both engines: SQLite (better-sqlite3's error codes)
// and PostgreSQL (SQLSTATE 23505). Stores check for a clash first; this covers the writer that
// passed the same check at the same moment on another connection or process.
export function isUniqueViolation(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}
