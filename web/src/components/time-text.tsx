// Times in the reader's local time, with the exact UTC time on hover (and for screen readers via
// the datetime attribute).
const local = new Intl.DateTimeFormat(undefined, {
  year: 'numeric',
  month: 'short',
  day: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
});
const clock = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });

export function utcText(d: Date): string {
  return `${d
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, '')} UTC`;
}

export function TimeText({ iso, short = false }: { iso: string | null | undefined; short?: boolean }) {
  if (!iso) return <span className="muted">—</span>;
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return <span>{iso}</span>;
  const today = new Date().toDateString() === d.toDateString();
  return (
    <time dateTime={d.toISOString()} title={utcText(d)}>
      {short && today ? clock.format(d) : local.format(d)}
    </time>
  );
}
