const LABEL: Record<string, string> = {
  allow: 'allowed',
  allowed: 'allowed',
  deny: 'denied',
  denied: 'denied',
  require_approval: 'needs approval',
  pending_approval: 'needs approval',
  monitor: 'monitored',
};

/** A decision as a word and a colour; the word alone carries the meaning. */
export function DecisionBadge({ decision }: { decision: string | null }) {
  if (!decision) return <span className="muted">—</span>;
  const kind = decision.startsWith('allow')
    ? 'allow'
    : decision.startsWith('den')
      ? 'deny'
      : decision.includes('approval')
        ? 'approval'
        : 'other';
  return <span className={`badge badge-${kind}`}>{LABEL[decision] ?? decision.replaceAll('_', ' ')}</span>;
}

export function StatusBadge({ ok, children }: { ok: boolean; children: string }) {
  return <span className={ok ? 'badge badge-allow' : 'badge badge-deny'}>{children}</span>;
}
