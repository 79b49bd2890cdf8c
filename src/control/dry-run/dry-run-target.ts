// What a dry run decides about: a request (method + URL + headers + body) is mapped exactly as the
// gateway maps it (same connector index, same connector `map`, same body rules); an action given by
// name is taken as is, with its risk from the connector's catalogue. Pure: no I/O, nothing is sent.

import { type ConnectorIndex, normaliseHost } from '../../connectors/connector-index.js';
import { getConnectorType } from '../../connectors/registry.js';
import {
  ACTION_NAME_PATTERN,
  type ActionMatch,
  type ConnectorRequest,
  type Risk,
} from '../../connectors/types.js';
import { AppError } from '../../errors/codes.js';
import type { SnapshotConnector } from '../../sync/snapshot.js';

export interface DryRunRequestInput {
  method?: string | undefined;
  url: string;
  headers?: Record<string, string | string[]> | undefined;
  body?: string | undefined;
}

export interface DryRunActionInput {
  action: string;
  params?: Record<string, unknown> | undefined;
  connector?: string | undefined;
  risk?: Risk | undefined;
}

export interface DryRunRequestLine {
  method: string;
  host: string;
  path: string;
}

export type DryRunTarget =
  | { ok: true; connector: SnapshotConnector; match: ActionMatch; request: DryRunRequestLine }
  | {
      ok: false;
      code: 'connector_not_found' | 'request_too_large' | 'bad_request';
      reason: string;
      connector?: SnapshotConnector | undefined;
      request: DryRunRequestLine;
    };

const DEFAULT_RISK: Risk = 'medium';

export function requestTarget(index: ConnectorIndex, input: DryRunRequestInput): DryRunTarget {
  let url: URL;
  try {
    url = new URL(input.url);
  } catch {
    throw new AppError('validation_failed', `url is not an absolute URL: ${input.url}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new AppError('validation_failed', `url must be http or https, got ${url.protocol}`);
  const method = (input.method ?? 'GET').toUpperCase();
  const host = normaliseHost(url.hostname);
  const port = url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
  const request = { method, host, path: url.pathname };
  const connector = index.lookup(host, port);
  if (!connector)
    return { ok: false, code: 'connector_not_found', reason: `no connector covers ${host}:${port}`, request };
  const type = getConnectorType(connector.type);
  if (!type) {
    const reason = `connector ${connector.name} has type ${connector.type}, unknown here`;
    return { ok: false, code: 'connector_not_found', reason, connector, request };
  }
  const headers: Record<string, string | string[]> = { host: url.host };
  for (const [k, v] of Object.entries(input.headers ?? {})) headers[k.toLowerCase()] = v;
  const creq: ConnectorRequest = { method, host, port, path: url.pathname, query: url.searchParams, headers };
  if (input.body !== undefined && type.wantsBody(creq, connector.options)) {
    const body = Buffer.from(input.body, 'utf8');
    if (body.length <= type.maxBodyBytes) creq.body = body;
    else if (type.bodyPrefixSuffices?.(creq, connector.options)) {
      creq.body = body.subarray(0, type.maxBodyBytes);
      creq.bodyTruncated = true;
    } else {
      const reason = `${connector.name} needs this request's body to decide, and it is larger than ${type.maxBodyBytes} bytes`;
      return { ok: false, code: 'request_too_large', reason, connector, request };
    }
  }
  try {
    return { ok: true, connector, match: type.map(creq, connector.options), request };
  } catch {
    return {
      ok: false,
      code: 'bad_request',
      reason: `connector ${connector.name} could not interpret this request`,
      connector,
      request,
    };
  }
}

/**
 * An action by name. Without `connector`, the one connector whose type or name is the action's first
 * segment carries it. Method comes from the catalogue entry when it names one HTTP method; host is
 * the connector's first concrete domain; path is unknown ('').
 */
export function actionTarget(
  connectors: readonly SnapshotConnector[],
  input: DryRunActionInput,
): DryRunTarget {
  if (!ACTION_NAME_PATTERN.test(input.action))
    throw new AppError(
      'validation_failed',
      `not an action name: ${input.action} (e.g. stripe.refund.create)`,
    );
  let connector: SnapshotConnector | undefined;
  if (input.connector !== undefined) {
    connector = connectors.find((c) => c.name === input.connector);
    if (!connector)
      throw new AppError('not_found', `no connector named ${input.connector} on the agent's gateway`);
  } else {
    const prefix = input.action.split('.')[0]!;
    const candidates = connectors.filter((c) => c.name === prefix || c.type === prefix);
    if (candidates.length > 1) {
      const names = candidates.map((c) => c.name).join(', ');
      throw new AppError(
        'validation_failed',
        `several connectors could carry ${input.action} (${names}): pass connector`,
      );
    }
    connector = candidates[0];
  }
  const spec = connector && catalogueEntry(connector.type, input.action);
  const method = spec && /^[A-Z]+$/.test(spec.method) ? spec.method : '';
  const host = connector?.domains.find((d) => !d.startsWith('*.'))?.replace(/:\d+$/, '') ?? '';
  const request = { method, host, path: '' };
  if (!connector) {
    const reason = `no connector on the agent's gateway carries ${input.action} (pass connector)`;
    return { ok: false, code: 'connector_not_found', reason, request };
  }
  const match: ActionMatch = {
    action: input.action,
    params: input.params ?? {},
    risk: input.risk ?? spec?.risk ?? DEFAULT_RISK,
  };
  return { ok: true, connector, match, request };
}

/** The catalogue row for an action, including families such as `mcp.tools.{tool}`. */
function catalogueEntry(type: string, action: string) {
  const segments = action.split('.');
  return getConnectorType(type)?.catalogue.find((spec) => {
    const pattern = spec.action.split('.');
    return (
      pattern.length === segments.length &&
      pattern.every((p, i) => p === segments[i] || /^\{[^}]*\}$/.test(p))
    );
  });
}
