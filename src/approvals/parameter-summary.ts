// What an approver sees of a held request's parameters: enough to decide (amount, repository, model,
// channel), never a secret. Keys that name credentials are replaced by "[redacted]", strings are
// shortened and the whole summary is bounded, because it is stored, listed, streamed to dashboards
// and sent to webhook receivers.

const SECRET_KEY =
  /(pass(word)?|secret|token|api[_-]?key|authorization|auth|cookie|credential|private[_-]?key|signature)/i;
const MAX_STRING = 200;
const MAX_KEYS = 40;
const MAX_DEPTH = 3;
const MAX_JSON = 4096;

export function summarizeParameters(params: Record<string, unknown>): Record<string, unknown> {
  const out = summarizeObject(params, 0);
  const json = JSON.stringify(out);
  if (json.length <= MAX_JSON) return out;
  return { truncated: true, keys: Object.keys(params).slice(0, MAX_KEYS) };
}

function summarizeObject(obj: Record<string, unknown>, depth: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  let n = 0;
  for (const [key, value] of Object.entries(obj)) {
    if (n++ >= MAX_KEYS) {
      out['…'] = `${Object.keys(obj).length - MAX_KEYS} more`;
      break;
    }
    out[key] = SECRET_KEY.test(key) ? '[redacted]' : summarizeValue(value, depth + 1);
  }
  return out;
}

function summarizeValue(value: unknown, depth: number): unknown {
  if (value === null || typeof value === 'number' || typeof value === 'boolean') return value;
  if (typeof value === 'string') return value.length > MAX_STRING ? `${value.slice(0, MAX_STRING)}…` : value;
  if (depth > MAX_DEPTH) return Array.isArray(value) ? `[${value.length} items]` : '{…}';
  if (Array.isArray(value)) {
    const items = value.slice(0, 10).map((v) => summarizeValue(v, depth + 1));
    if (value.length > 10) items.push(`… ${value.length - 10} more`);
    return items;
  }
  if (typeof value === 'object') return summarizeObject(value as Record<string, unknown>, depth);
  return String(value);
}
