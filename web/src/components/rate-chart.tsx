// Requests per minute by decision, as stacked SVG bars. Drawn by hand: a few rectangles do not need a
// chart library, and the colours come from CSS so both themes apply.
export interface MinuteBucket {
  start: Date;
  allow: number;
  deny: number;
  approval: number;
}

const SERIES = [
  { key: 'allow', label: 'allowed', cls: 'fill-allow' },
  { key: 'approval', label: 'needs approval', cls: 'fill-approval' },
  { key: 'deny', label: 'denied', cls: 'fill-deny' },
] as const;

const W = 720;
const H = 180;
const PAD = { left: 36, right: 8, top: 10, bottom: 24 };

const hm = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });

export function RateChart({ buckets }: { buckets: MinuteBucket[] }) {
  const max = Math.max(1, ...buckets.map((b) => b.allow + b.deny + b.approval));
  const top = niceCeiling(max);
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const bw = plotW / Math.max(1, buckets.length);
  const y = (v: number) => PAD.top + plotH - (v / top) * plotH;
  const total = buckets.reduce((n, b) => n + b.allow + b.deny + b.approval, 0);
  const summary = SERIES.map((s) => `${buckets.reduce((n, b) => n + b[s.key], 0)} ${s.label}`).join(', ');
  return (
    <figure className="chart">
      <svg
        viewBox={`0 0 ${W} ${H}`}
        role="img"
        aria-label={`Requests per minute over the last ${buckets.length} minutes: ${total} in all (${summary})`}
        preserveAspectRatio="none"
      >
        {[0, 0.5, 1].map((f) => (
          <g key={f}>
            <line className="grid" x1={PAD.left} x2={W - PAD.right} y1={y(top * f)} y2={y(top * f)} />
            <text className="axis" x={PAD.left - 6} y={y(top * f) + 4} textAnchor="end">
              {Math.round(top * f)}
            </text>
          </g>
        ))}
        {buckets.map((b, i) => {
          let base = 0;
          const x = PAD.left + i * bw + 1;
          return (
            <g key={b.start.getTime()}>
              <title>{`${hm.format(b.start)}: ${b.allow} allowed, ${b.approval} needing approval, ${b.deny} denied`}</title>
              {SERIES.map((s) => {
                const v = b[s.key];
                if (v === 0) return null;
                const rect = (
                  <rect
                    key={s.key}
                    className={s.cls}
                    x={x}
                    width={Math.max(1, bw - 2)}
                    y={y(base + v)}
                    height={y(base) - y(base + v)}
                  />
                );
                base += v;
                return rect;
              })}
            </g>
          );
        })}
        {buckets.map((b, i) =>
          i % 10 === 0 ? (
            <text key={b.start.getTime()} className="axis" x={PAD.left + i * bw} y={H - 6}>
              {hm.format(b.start)}
            </text>
          ) : null,
        )}
      </svg>
      <figcaption className="legend">
        {SERIES.map((s) => (
          <span key={s.key} className="legend-item">
            <svg width="10" height="10" aria-hidden="true">
              <rect className={s.cls} width="10" height="10" rx="2" />
            </svg>
            {s.label}
          </span>
        ))}
      </figcaption>
    </figure>
  );
}

function niceCeiling(n: number): number {
  if (n <= 5) return 5;
  const mag = 10 ** Math.floor(Math.log10(n));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * mag >= n) return m * mag;
  return 10 * mag;
}

/** Buckets traffic into the last `minutes` whole minutes, oldest first. */
export function bucketByMinute(
  entries: { created_at: string; decision: string | null; event_type: string }[],
  now: Date,
  minutes: number,
): MinuteBucket[] {
  const end = Math.floor(now.getTime() / 60_000) * 60_000;
  const first = end - (minutes - 1) * 60_000;
  const buckets: MinuteBucket[] = [];
  for (let i = 0; i < minutes; i++)
    buckets.push({ start: new Date(first + i * 60_000), allow: 0, deny: 0, approval: 0 });
  for (const e of entries) {
    const t = Date.parse(e.created_at);
    const i = Math.floor((t - first) / 60_000);
    const b = buckets[i];
    if (!b) continue;
    if (e.event_type === 'action.pending_approval' || e.decision === 'require_approval') b.approval++;
    else if (e.decision === 'allow') b.allow++;
    else b.deny++;
  }
  return buckets;
}
