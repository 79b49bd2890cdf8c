// The shape shared by connectors that are a route table under one API root (OpenAI, Anthropic,
// Stripe): strip the root (`/v1`, or the path of a configured base URL), match, read the body only
// for routes that need it. GitHub and Slack have extra entry points and build their own.
import { unknownAction } from './action-name.js';
import { baseUrlParts } from './base-url.js';
import { isMultipart } from './body.js';
import { pathSegments, prefixSegments, stripPrefix } from './path-segments.js';
import { guardedBodyAnswer, guardedMap, mapMatch, needsBody, type RestMapping } from './rest-mapper.js';
import type { PathMatch, RouteDef } from './route-table.js';
import { RouteTable } from './route-table.js';
import type {
  ActionMatch,
  ConnectorDocs,
  ConnectorOptions,
  ConnectorRequest,
  ConnectorType,
} from './types.js';

export interface ApiConnectorDef {
  type: string;
  title: string;
  domains: readonly string[];
  auth: ConnectorType['defaultAuth'];
  credentialHeaders: readonly string[];
  maxBodyBytes: number;
  /** API root on the default host, e.g. `/v1`; replaced by a base URL's path when one is set. */
  rootPath: string;
  routes: readonly RouteDef[];
  bodyFormat: RestMapping['bodyFormat'];
  coerce?: RestMapping['coerce'];
  docs: ConnectorDocs;
}

export function apiConnector(def: ApiConnectorDef): ConnectorType {
  const cfg: RestMapping = {
    table: new RouteTable(def.routes),
    bodyFormat: def.bodyFormat,
    coerce: def.coerce,
  };
  const defaultRoot = prefixSegments(def.rootPath);

  function match(method: string, path: string, options: ConnectorOptions): PathMatch | undefined {
    const segs = pathSegments(path);
    if (!segs) return undefined;
    const base = baseUrlParts(options.baseUrl)?.segments;
    const rest = stripPrefix(segs, base && base.length > 0 ? base : defaultRoot);
    return rest ? cfg.table.match(method, rest) : undefined;
  }

  function map(req: ConnectorRequest, options: ConnectorOptions): ActionMatch {
    const m = match(req.method, req.path, options);
    return (m && mapMatch(m, req, cfg)) ?? unknownAction(def.type, req.method);
  }

  return {
    type: def.type,
    title: def.title,
    defaultDomains(options) {
      const base = baseUrlParts(options.baseUrl);
      return base ? [base.host] : [...def.domains];
    },
    defaultAuth: def.auth,
    credentialHeaders: def.credentialHeaders,
    maxBodyBytes: def.maxBodyBytes,
    // Multipart uploads are never parsed: the path alone decides, and the file streams through.
    wantsBody: (req, options) =>
      guardedBodyAnswer(
        true,
        () => !isMultipart(req.headers) && needsBody(req.method, match(req.method, req.path, options)),
      ),
    map: (req, options) => guardedMap(`${def.type}.http`, req, () => map(req, options)),
    catalogue: cfg.table.catalogue(def.rootPath),
    docs: def.docs,
  };
}
