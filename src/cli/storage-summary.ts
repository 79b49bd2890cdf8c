// The `storage` block of a role's /health as `tameflare status` prints it: sizes, free space and
// retention on one line, then one line per threshold crossed with the action the seed gives.
// It reads the wire JSON only (the CLI talks to the daemon through its API).

interface StorageBlock {
  status?: string;
  databases?: Record<string, { bytes?: number; wal_bytes?: number; rows?: Record<string, number> }>;
  data_dir?: { free_bytes?: number; free_ratio?: number };
  warnings?: { message?: string; action?: string }[];
  retention?: { days?: number } | null;
}

export function storageLines(health: Record<string, unknown> | undefined): string[] {
  const s = health?.storage as StorageBlock | undefined;
  if (!s || typeof s !== 'object') return [];
  const parts: string[] = [];
  for (const [name, db] of Object.entries(s.databases ?? {})) {
    const rows = Object.entries(db.rows ?? {})
      .map(([table, n]) => `${n} ${table}`)
      .join(', ');
    parts.push(`${name} ${size(db.bytes)} (WAL ${size(db.wal_bytes)})${rows ? `, ${rows}` : ''}`);
  }
  if (s.data_dir?.free_bytes !== undefined)
    parts.push(`free ${size(s.data_dir.free_bytes)} (${((s.data_dir.free_ratio ?? 0) * 100).toFixed(0)} %)`);
  if (s.retention) parts.push(`retention ${s.retention.days ? `${s.retention.days} d` : 'off'}`);
  const lines = [`${''.padEnd(14)} storage ${parts.join('; ')}`];
  for (const w of s.warnings ?? []) lines.push(`${''.padEnd(14)} WARNING ${w.message}: ${w.action}`);
  return lines;
}

function size(n: number | undefined): string {
  if (n === undefined) return '?';
  if (n >= 1024 ** 3) return `${(n / 1024 ** 3).toFixed(1)} GB`;
  if (n >= 1024 ** 2) return `${(n / 1024 ** 2).toFixed(1)} MB`;
  if (n >= 1024) return `${(n / 1024).toFixed(0)} kB`;
  return `${n} B`;
}
