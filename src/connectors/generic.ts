// Any HTTP API, named by its domains: every request is `http.<method>` (SPEC 4.5 names generic
// actions without the type prefix). A `--no-intercept` generic connector is decided once per
// tunnel on `tunnel.connect`: `map` of a CONNECT request (host and port set) gives that action, as
// does `tunnelAction(host, port)`.
import { methodRisk, methodSegment } from './action-name.js';
import { guardedMap } from './rest-mapper.js';
import type { ActionMatch, ActionSpec, ConnectorType } from './types.js';

/** The action of a tunnelled (not intercepted) CONNECT. */
export function tunnelAction(host: string, port: number): ActionMatch {
  return { action: 'tunnel.connect', params: { host, port }, risk: 'medium' };
}

const METHODS = ['GET', 'HEAD', 'OPTIONS', 'POST', 'PUT', 'PATCH', 'DELETE'];

const catalogue: ActionSpec[] = [
  ...METHODS.map((m) => ({
    action: `http.${m.toLowerCase()}`,
    method: m,
    path: '/{path}',
    risk: methodRisk(m),
    params: [],
    description: `Any ${m} request.`,
  })),
  {
    action: 'http.{method}',
    method: '(other)',
    path: '/{path}',
    risk: 'medium',
    params: [],
    description: 'Any other method, lower-case (`M-SEARCH` → http.m_search).',
  },
  {
    action: 'tunnel.connect',
    method: 'CONNECT',
    path: 'host:port',
    risk: 'medium',
    params: ['host', 'port'],
    description: 'A tunnel of a `--no-intercept` connector (decided once per tunnel).',
  },
];

export const genericConnector: ConnectorType = {
  type: 'generic',
  title: 'Generic HTTP',
  defaultDomains: () => [],
  defaultAuth: 'bearer',
  credentialHeaders: ['authorization', 'x-api-key', 'api-key'],
  maxBodyBytes: 0,
  wantsBody: () => false,
  map: (req) =>
    guardedMap('http', req, () =>
      req.method === 'CONNECT'
        ? tunnelAction(req.host, req.port)
        : { action: `http.${methodSegment(req.method)}`, params: {}, risk: methodRisk(req.method) },
    ),
  catalogue,
  docs: {
    parameters: ['none: policies use the request fields (method, host, path)'],
    notes: [
      'Auth: bearer (default), `header:NAME`, `basic` (the credential is `user:password`), `query:NAME` or `none`.',
      'With `--no-intercept` the hosts are tunnelled without TLS termination: one decision per tunnel on `tunnel.connect` (params host, port), nothing injected.',
    ],
  },
};
