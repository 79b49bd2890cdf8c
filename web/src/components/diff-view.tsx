// A line diff of two texts (longest common subsequence), for comparing policy versions. Policy
// documents are small, so the quadratic table is cheap; past a size limit it falls back to showing both.
const MAX_CELLS = 400_000;

type Op = { kind: 'same' | 'add' | 'del'; text: string };

export function diffLines(a: string, b: string): Op[] | undefined {
  const x = a.split('\n');
  const y = b.split('\n');
  if (x.length * y.length > MAX_CELLS) return undefined;
  const n = x.length;
  const m = y.length;
  const lcs: Uint32Array[] = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--)
    for (let j = m - 1; j >= 0; j--)
      lcs[i]![j] = x[i] === y[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
  const ops: Op[] = [];
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (x[i] === y[j]) {
      ops.push({ kind: 'same', text: x[i]! });
      i++;
      j++;
    } else if (lcs[i + 1]![j]! >= lcs[i]![j + 1]!) ops.push({ kind: 'del', text: x[i++]! });
    else ops.push({ kind: 'add', text: y[j++]! });
  }
  while (i < n) ops.push({ kind: 'del', text: x[i++]! });
  while (j < m) ops.push({ kind: 'add', text: y[j++]! });
  return ops;
}

export function DiffView({
  from,
  to,
  fromLabel,
  toLabel,
}: {
  from: string;
  to: string;
  fromLabel: string;
  toLabel: string;
}) {
  const ops = diffLines(from, to);
  if (!ops) return <p className="muted">These versions are too large to compare here.</p>;
  const changed = ops.some((o) => o.kind !== 'same');
  return (
    <div className="diff">
      <p className="small muted">
        <span className="diff-del-key">− {fromLabel}</span> <span className="diff-add-key">+ {toLabel}</span>
        {!changed && ' — the documents are identical'}
      </p>
      <pre className="diff-body">
        {ops.map((o, k) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: lines of a diff have no identity but their place
          <div key={k} className={`diff-line diff-${o.kind}`}>
            <span className="diff-mark" aria-hidden="true">
              {o.kind === 'add' ? '+' : o.kind === 'del' ? '−' : ' '}
            </span>
            {o.kind !== 'same' && (
              <span className="visually-hidden">{o.kind === 'add' ? 'added: ' : 'removed: '}</span>
            )}
            {o.text}
          </div>
        ))}
      </pre>
    </div>
  );
}
