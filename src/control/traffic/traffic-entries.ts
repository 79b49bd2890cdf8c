// /v1/traffic's entries: the ledger's action events joined with the gateway rows they refer to. A
// compact event (docs/operations.md, "Compact action events") holds who, what and the decision, and
// names its traffic_log row (`gateway`, `traffic_id`); the rest of the entry (method, path, status,
// reasons, parameters) is read from that gateway, a page of ids at a time. A row the gateway no
// longer holds (its retention is shorter than the audit log's) or cannot give (unreachable) leaves
// the entry with what the event holds and `details: "unavailable"`. Events written before compact
// events carry a full copy and are read as they are.
import type { Kysely } from 'kysely';
import type { LocalDatabase } from '../../storage/local-schema.js';
import type { GatewayTrafficRow, TrafficEntry, TrafficPage } from '../../wire/traffic.js';
import { type TrafficEventRow, type TrafficQuery, trafficEvents } from './traffic-store.js';

/** A gateway's rows by id; undefined when that gateway cannot be asked. */
export type TrafficRowSource = (gateway: string, ids: number[]) => Promise<GatewayTrafficRow[] | undefined>;

/** With parameter conditions, events are read in pages this long until `last` match... */
const SCAN_PAGE = 500;
/** ...or this many were looked at: a bounded answer, never a walk over the whole ledger. */
const SCAN_LIMIT = 20_000;

interface ParamCondition {
  path: string[];
  /** The value as JSON text when it reads as a number, boolean or null... */
  literal: string;
  /** ...and as a JSON string: `amount=5000` matches 5000 and "5000". */
  text: string;
}

export async function trafficPage(
  db: Kysely<LocalDatabase>,
  q: TrafficQuery,
  rowsOf: TrafficRowSource,
): Promise<TrafficPage> {
  const conditions = (q.param ?? []).map(parseCondition);
  const follow = q.after_id !== undefined;
  // A gateway that could not be asked once is not asked again for this page: a scan through many
  // events of an unreachable gateway waits out one timeout, not one per page read.
  const unavailable = new Set<string>();
  const rowsOnce: TrafficRowSource = async (gateway, ids) => {
    if (unavailable.has(gateway)) return undefined;
    const rows = await rowsOf(gateway, ids);
    if (!rows) unavailable.add(gateway);
    return rows;
  };
  if (conditions.length === 0) {
    const events = await trafficEvents(db, q);
    const entries = await withRows(events, rowsOnce);
    return { entries, last_id: events.at(-1)?.id ?? q.after_id ?? 0 };
  }
  // Oldest first when following, newest first otherwise, until enough match or the scan is done.
  const found: TrafficEntry[] = [];
  let scanned = 0;
  let after = q.after_id;
  let before: number | undefined;
  let newestSeen: number | undefined;
  while (found.length < q.last && scanned < SCAN_LIMIT) {
    const events = await trafficEvents(db, {
      ...q,
      last: SCAN_PAGE,
      after_id: follow ? after : undefined,
      before_id: follow ? undefined : before,
    });
    if (events.length === 0) break;
    scanned += events.length;
    const entries = (await withRows(events, rowsOnce)).filter((e) =>
      conditions.every((c) => matches(e.params, c)),
    );
    if (follow) {
      for (const e of entries) {
        if (found.length === q.last) break;
        found.push(e);
        after = e.id;
      }
      // Every event up to the last one looked at was considered: follow on from there.
      if (found.length < q.last) after = events.at(-1)!.id;
    } else {
      newestSeen ??= events.at(-1)!.id;
      found.unshift(...entries.slice(-(q.last - found.length)));
      before = events[0]!.id;
    }
    if (events.length < SCAN_PAGE) break;
  }
  return { entries: found, last_id: follow ? (after ?? 0) : (newestSeen ?? 0) };
}

/** The events as entries, each compact one completed from its gateway's row. */
async function withRows(events: TrafficEventRow[], rowsOf: TrafficRowSource): Promise<TrafficEntry[]> {
  const parsed = events.map((e) => ({ event: e, details: parseDetails(e.details) }));
  const wanted = new Map<string, number[]>();
  for (const { details } of parsed) {
    const ref = referenceOf(details);
    if (!ref) continue;
    const ids = wanted.get(ref.gateway);
    if (ids) ids.push(ref.id);
    else wanted.set(ref.gateway, [ref.id]);
  }
  const rows = new Map<string, Map<number, GatewayTrafficRow>>();
  await Promise.all(
    [...wanted].map(async ([gateway, ids]) => {
      const got = await rowsOf(gateway, ids);
      if (got) rows.set(gateway, new Map(got.map((r) => [r.id, r])));
    }),
  );
  return parsed.map(({ event, details }) => {
    const ref = referenceOf(details);
    return ref
      ? compactEntry(event, details, ref, rows.get(ref.gateway)?.get(ref.id))
      : fullEntry(event, details);
  });
}

function parseDetails(text: string): Record<string, unknown> {
  try {
    const d = JSON.parse(text) as unknown;
    return d !== null && typeof d === 'object' && !Array.isArray(d) ? (d as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

function referenceOf(d: Record<string, unknown>): { gateway: string; id: number } | undefined {
  return typeof d.traffic_id === 'number' && typeof d.gateway === 'string'
    ? { gateway: d.gateway, id: d.traffic_id }
    : undefined;
}

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const num = (v: unknown): number | null => (typeof v === 'number' ? v : null);

function compactEntry(
  e: TrafficEventRow,
  d: Record<string, unknown>,
  ref: { gateway: string; id: number },
  row: GatewayTrafficRow | undefined,
): TrafficEntry {
  const agent = e.actor.startsWith('agent:') ? e.actor.slice('agent:'.length) : null;
  return {
    id: e.id,
    created_at: row?.created_at ?? e.created_at,
    event_type: e.event_type,
    request_id: row?.request_id ?? null,
    gateway: ref.gateway,
    agent: row?.agent ?? agent,
    connector: row?.connector ?? null,
    action: row?.action ?? e.subject,
    method: row?.method ?? null,
    host: row?.host ?? null,
    path: row?.path ?? null,
    // The ledger's decision is the one recorded; the row agrees unless gateway.db was edited.
    decision: str(d.decision),
    reason: row?.reason ?? (typeof d.code === 'string' ? d.code : null),
    status: row?.status ?? null,
    latency_ms: row?.latency_ms ?? null,
    bytes_in: row?.bytes_in ?? null,
    bytes_out: row?.bytes_out ?? null,
    error: row?.error ?? null,
    mode: row?.mode ?? null,
    params: row ? row.params : null,
    traffic_id: ref.id,
    ...(row ? {} : { details: 'unavailable' as const }),
  };
}

/** An event from before compact events: the gateway's payload, copied whole. */
function fullEntry(e: TrafficEventRow, d: Record<string, unknown>): TrafficEntry {
  const reasons = d.reasons;
  return {
    id: e.id,
    created_at: str(d.created_at) ?? e.created_at,
    event_type: e.event_type,
    request_id: str(d.request_id),
    gateway: str(d.gateway),
    agent: str(d.agent),
    connector: str(d.connector),
    action: str(d.action),
    method: str(d.method),
    host: str(d.host),
    path: str(d.path),
    decision: str(d.decision),
    reason: str(d.reason) ?? (Array.isArray(reasons) ? (reasons as string[]).join('; ') : null),
    status: num(d.status),
    latency_ms: num(d.latency_ms),
    bytes_in: num(d.bytes_in),
    bytes_out: num(d.bytes_out),
    error: str(d.error),
    mode: str(d.mode),
    params: d.params !== null && typeof d.params === 'object' ? (d.params as Record<string, unknown>) : null,
    traffic_id: null,
  };
}

function parseCondition(condition: string): ParamCondition {
  const at = condition.indexOf('=');
  const value = condition.slice(at + 1);
  return {
    path: condition.slice(0, at).split('.'),
    literal: /^(-?\d+(\.\d+)?|true|false|null)$/.test(value) ? value : JSON.stringify(value),
    text: JSON.stringify(value),
  };
}

/** Compared as JSON text: `5000` and `true` match numbers and booleans, anything matches a string. */
function matches(params: Record<string, unknown> | null, c: ParamCondition): boolean {
  let v: unknown = params;
  for (const key of c.path) {
    if (v === null || typeof v !== 'object' || Array.isArray(v) || !Object.hasOwn(v, key)) return false;
    v = (v as Record<string, unknown>)[key];
  }
  const json = JSON.stringify(v);
  return json === c.literal || json === c.text;
}
