// What of an action's parameters may be written down (traffic_log.params, the action.* event, the
// API, the dashboard). Threat model: parameters are extracted from what the agent sends (bodies, MCP
// tool arguments, GraphQL inputs) and may carry credentials or personal secrets; the log outlives
// the request and is read by more people than the agent's operator. Controls: values under a key
// that names a secret are replaced, strings that look like a credential are cut out wherever they
// appear, strings are cut at 256 characters, nesting, arrays and keys are bounded, and a result
// larger than ~4 KiB keeps only its top-level key names. Pure: no I/O, cheap enough for every request
// (no serialisation on the way: sizes are estimated while walking).

export const REDACTED = '[redacted]';
const MAX_STRING = 256;
const MAX_JSON = 4096;
const MAX_DEPTH = 4;
const MAX_ITEMS = 50;

// Key names (lower-case, letters and digits only) that end like a secret's name. `tokens` (plural:
// max_tokens) is a count, not a secret.
const SECRET_KEY =
  /(password|passwd|passphrase|secret|token|apikey|accesskey|privatekey|credentials?|authorization|cookie|signature|cvc|cvv|cardnumber|^pin|^otp|^auth)$/;
// Credential formats, wherever they appear in a string.
const SECRET_VALUE = new RegExp(
  [
    '\\b(?:gh[pousr]_|github_pat_)[A-Za-z0-9_]{16,}', // GitHub
    '\\bsk-[A-Za-z0-9_-]{16,}', // OpenAI, Anthropic
    '\\b[rsp]k_(?:live|test)_[A-Za-z0-9]{10,}', // Stripe
    '\\bxox[abposr]-[A-Za-z0-9-]{10,}', // Slack
    '\\btf_(?:agent|pat)_[A-Za-z0-9_-]{8,}', // ours
    '\\bAKIA[0-9A-Z]{16}\\b', // AWS access key id
    '\\beyJ[A-Za-z0-9_-]{8,}\\.[A-Za-z0-9_-]{8,}\\.[A-Za-z0-9_-]*', // JWT
    '\\b(?:Bearer|Basic)\\s+[A-Za-z0-9._~+/=-]{8,}', // an Authorization value
    '-----BEGIN [A-Z ]*PRIVATE KEY-----[\\s\\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)',
  ].join('|'),
  'g',
);

/** The parameters as they may be logged; null when there are none. */
export function loggableParams(params: Readonly<Record<string, unknown>>): Record<string, unknown> | null {
  const budget = { left: MAX_JSON };
  let any = false;
  for (const _ in params) {
    any = true;
    break;
  }
  if (!any) return null;
  const out = walkObject(params, 0, budget);
  if (budget.left >= 0) return out;
  return { truncated: true, keys: Object.keys(params).slice(0, MAX_ITEMS) };
}

function walkObject(o: Readonly<Record<string, unknown>>, depth: number, budget: { left: number }) {
  const out: Record<string, unknown> = {};
  let n = 0;
  for (const key of Object.keys(o)) {
    if (n++ >= MAX_ITEMS) {
      out['…'] = `${Object.keys(o).length - MAX_ITEMS} more`;
      break;
    }
    budget.left -= key.length + 4;
    const value = isSecretKey(key) && o[key] !== null && o[key] !== undefined ? REDACTED : o[key];
    const v = walk(value, depth + 1, budget);
    // Own data property even for `__proto__`: the agent chooses these keys.
    Object.defineProperty(out, key, { value: v, enumerable: true, writable: true, configurable: true });
    if (budget.left < 0) break;
  }
  return out;
}

function walk(value: unknown, depth: number, budget: { left: number }): unknown {
  switch (typeof value) {
    case 'string': {
      const cut = value.length > MAX_STRING ? `${value.slice(0, MAX_STRING)}…` : value;
      const clean = cut.replace(SECRET_VALUE, REDACTED);
      budget.left -= clean.length + 2;
      return clean;
    }
    case 'number':
      budget.left -= 8;
      return Number.isFinite(value) ? value : null;
    case 'boolean':
      budget.left -= 5;
      return value;
    case 'object': {
      if (value === null) {
        budget.left -= 4;
        return null;
      }
      if (depth > MAX_DEPTH) {
        budget.left -= 5;
        return '[…]';
      }
      if (Array.isArray(value)) {
        const items = value.length > MAX_ITEMS ? value.slice(0, MAX_ITEMS) : value;
        budget.left -= 2;
        const out = items.map((item) => walk(item, depth + 1, budget));
        if (value.length > MAX_ITEMS) out.push(`${value.length - MAX_ITEMS} more`);
        return out;
      }
      budget.left -= 2;
      return walkObject(value as Record<string, unknown>, depth, budget);
    }
    default:
      return null;
  }
}

function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key.toLowerCase().replace(/[^a-z0-9]/g, ''));
}
