// The one place a require_approval decision waits: the pipeline hands the request to a
// HoldForApproval (src/gateway/approvals/approval-holds.ts builds the real one) and gets back either
// "go on" (with the body it read, to forward byte for byte) or the problem to answer with.
import type { IncomingMessage } from 'node:http';
import type { ActionMatch } from '../../connectors/types.js';
import type { Decision } from '../../decide/types.js';
import type { ErrorCode } from '../../errors/codes.js';
import type { SnapshotAgent, SnapshotConnector } from '../../sync/snapshot.js';
import { readBoundedBody } from './request-body.js';

export interface HoldRequest {
  requestId: string;
  agent: SnapshotAgent;
  connector: SnapshotConnector;
  match: ActionMatch;
  decision: Decision;
  method: string;
  host: string;
  /** The path without its query. */
  path: string;
  /** The path as the traffic log stores it (query parameter names only). */
  loggablePath: string;
  /** The full URL, query values included: the request digest covers it (it is never stored). */
  url: string;
  /** Reads the whole body (bounded), which the digest covers and forwarding re-sends. */
  readBody(limit: number): Promise<HeldBodyRead>;
}

export type HeldBodyRead =
  | { ok: true; body: Buffer | undefined }
  | { ok: false; reason: 'too_large' | 'aborted' };

/** `event`: the request's `action.*` audit event type; `reason`: the traffic row's reason. */
export type HoldOutcome =
  | {
      verdict: 'allow';
      approvalId?: string | undefined;
      body: Buffer | undefined;
      event: string;
      reason: string;
      /** What let it through: a decision while held, a grant, or an approved identical request. */
      via: 'approved' | 'granted' | 'retry';
    }
  | {
      verdict: 'deny';
      code: ErrorCode;
      detail: string;
      approvalId?: string | undefined;
      headers?: Record<string, string> | undefined;
      /** Close the connection after answering (a body we did not read is still on the wire). */
      close?: boolean | undefined;
      event: string;
    };

/** `signal` aborts when the agent disconnects: a held request whose client left is dropped. */
export type HoldForApproval = (request: HoldRequest, signal: AbortSignal) => Promise<HoldOutcome>;

/** A request without a body to read (WebSocket handshakes, raw tunnels). */
export const noBody = async (): Promise<HeldBodyRead> => ({ ok: true, body: undefined });

/**
 * The body of a request about to be held: what the connector already read, completed from the wire.
 * `complete`: the connector read all of it (or there is none).
 */
export async function readHeldBody(
  req: IncomingMessage,
  already: Buffer | undefined,
  complete: boolean,
  limit: number,
): Promise<HeldBodyRead> {
  if (complete) return { ok: true, body: already };
  const remaining = limit - (already?.length ?? 0);
  if (remaining < 0) return { ok: false, reason: 'too_large' };
  const reading = readBoundedBody(req, remaining);
  req.resume(); // a connector that read only a prefix left the request paused
  const rest = await reading;
  if (!rest.ok) return rest;
  const body = already ? Buffer.concat([already, rest.body]) : rest.body;
  return { ok: true, body: body.length === 0 ? undefined : body };
}
