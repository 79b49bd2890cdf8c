// A connector entry of a configuration document, checked and completed the way `POST /v1/connectors`
// does it (known type, domains and auth defaulting from the type, base_url normalised, only generic
// connectors without interception), so an applied connector is the one the API would have created.
import { publicSuffixWildcard } from '../../connectors/public-suffix-wildcard.js';
import { CONNECTOR_TYPES, getConnectorType } from '../../connectors/registry.js';
import { describeType, type IssueSink, isPlainObject, type PathSegment } from '../../decide/schema-reader.js';
import { AUTH_PATTERN, cleartextNotAllowed, DOMAIN_PATTERN } from '../connectors/connector-shapes.js';
import type { ConfigConnector } from './config-document.js';
import { readBoolean, readName, readObject, readOptional } from './config-readers.js';

const KEYS = [
  'name',
  'gateway',
  'type',
  'domains',
  'auth',
  'base_url',
  'intercept',
  'allow_cleartext',
  'options',
  'credential_set',
];

export function readConnector(v: unknown, at: PathSegment[], sink: IssueSink): ConfigConnector | undefined {
  const o = readObject(v, at, sink, KEYS, 'a connector');
  if (!o) return undefined;
  const before = sink.count;
  const type = typeof o.type === 'string' ? getConnectorType(o.type) : undefined;
  if (!type) {
    const known = CONNECTOR_TYPES.map((t) => t.type).join(', ');
    sink.add([...at, 'type'], `must be a connector type (${known}), got ${describeType(o.type)}`);
  }
  const name = o.name === undefined ? type?.type : readName(o.name, [...at, 'name'], sink);
  const gateway = readOptional(o, 'gateway', at, (x, p) => readName(x, p, sink));
  const baseUrl = readOptional(o, 'base_url', at, (x, p) => readBaseUrl(x, p, sink));
  const intercept = readOptional(o, 'intercept', at, (x, p) => readBoolean(x, p, sink)) ?? true;
  const allowCleartext = readOptional(o, 'allow_cleartext', at, (x, p) => readBoolean(x, p, sink)) ?? false;
  const credentialSet = readOptional(o, 'credential_set', at, (x, p) => readBoolean(x, p, sink));
  const options = readOptional(o, 'options', at, (x, p) => {
    if (isPlainObject(x)) return x;
    sink.add(p, `must be an object, got ${describeType(x)}`);
    return undefined;
  });
  const domains = readOptional(o, 'domains', at, (x, p) => readDomains(x, p, sink));
  const auth = readOptional(o, 'auth', at, (x, p) => {
    if (typeof x === 'string' && AUTH_PATTERN.test(x)) return x;
    sink.add(p, `must be bearer, basic, none, header:NAME or query:NAME, got ${describeType(x)}`);
    return undefined;
  });
  if (!intercept && type && type.type !== 'generic')
    sink.add([...at, 'intercept'], 'only generic connectors can be used without interception');
  const cleartextRefusal = allowCleartext && type ? cleartextNotAllowed(type) : undefined;
  if (cleartextRefusal) sink.add([...at, 'allow_cleartext'], cleartextRefusal);
  if (sink.count !== before || !type || !name) return undefined;
  const finalDomains =
    domains ?? type.defaultDomains({ baseUrl, extra: options }).map((d) => d.toLowerCase());
  if (finalDomains.length === 0) {
    sink.add([...at, 'domains'], `a ${type.type} connector needs domains (it has no default domain)`);
    return undefined;
  }
  const connector: ConfigConnector = {
    name,
    type: type.type,
    domains: finalDomains,
    auth: auth ?? type.defaultAuth,
    intercept,
    options: options ?? {},
  };
  if (allowCleartext) connector.allow_cleartext = true;
  if (gateway !== undefined) connector.gateway = gateway;
  if (baseUrl !== undefined) connector.base_url = baseUrl;
  if (credentialSet !== undefined) connector.credential_set = credentialSet;
  return connector;
}

function readDomains(v: unknown, at: PathSegment[], sink: IssueSink): string[] | undefined {
  if (!Array.isArray(v) || v.length > 64) {
    sink.add(at, `must be a list of at most 64 domains, got ${describeType(v)}`);
    return undefined;
  }
  const before = sink.count;
  const out = v.map((d, i) => {
    const text = typeof d === 'string' ? d.trim().toLowerCase() : '';
    if (!DOMAIN_PATTERN.test(text))
      sink.add([...at, i], `not a domain (host, *.host, host:port), got ${describeType(d)}`);
    else {
      const tooWide = publicSuffixWildcard(text);
      if (tooWide) sink.add([...at, i], tooWide);
    }
    return text;
  });
  return sink.count === before ? out : undefined;
}

function readBaseUrl(v: unknown, at: PathSegment[], sink: IssueSink): string | undefined {
  let u: URL | undefined;
  try {
    u = typeof v === 'string' ? new URL(v) : undefined;
  } catch {
    u = undefined;
  }
  if (!u || (u.protocol !== 'https:' && u.protocol !== 'http:')) {
    sink.add(at, `must be an http(s) URL, got ${describeType(v)}`);
    return undefined;
  }
  return u.toString().replace(/\/+$/, '');
}
