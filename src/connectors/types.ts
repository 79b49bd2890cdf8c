// The shape every connector shares. Connectors are pure: they map a request to an action and say
// how their credential is carried; they never do I/O. The gateway reads a body only when
// `wantsBody` says so, and then at most `maxBodyBytes` of it.

export type Risk = 'low' | 'medium' | 'high';

/** How a credential travels upstream. `header:NAME` and `query:NAME` name the header or parameter. */
export type AuthScheme = 'bearer' | 'basic' | 'none' | `header:${string}` | `query:${string}`;

/** What a connector sees of a request. Header names are lower-case. */
export interface ConnectorRequest {
  method: string; // upper-case
  host: string; // lower-case, no port
  port: number;
  path: string; // path only, percent-encoded as received, no query
  query: URLSearchParams;
  headers: Record<string, string | string[] | undefined>;
  /** Present only when `wantsBody` returned true; at most `maxBodyBytes` long. */
  body?: Buffer | undefined;
  /** True when the body was longer than `maxBodyBytes` and `body` holds only its start. */
  bodyTruncated?: boolean | undefined;
}

/** The structured action a request maps to. `action` always matches ACTION_NAME_PATTERN. */
export interface ActionMatch {
  action: string;
  params: Record<string, unknown>;
  risk: Risk;
}

export const ACTION_NAME_PATTERN = /^[a-z0-9_]+(\.[a-z0-9_]+)+$/;

/**
 * One row of a connector's catalogue (`tameflare connector actions TYPE`). `action` is a concrete
 * action name, or a family with one `{placeholder}` segment (`mcp.tools.{tool}`) where the name is
 * built from the request (tool names, Slack admin methods).
 */
export interface ActionSpec {
  action: string;
  method: string; // HTTP method, or e.g. 'POST (GraphQL)' / 'JSON-RPC'
  path: string; // path pattern, e.g. /repos/{owner}/{repo}/pulls/{number}/merge
  risk: Risk;
  params: string[];
  description: string;
}

/** Per-instance settings of a configured connector (from `connector add`). */
export interface ConnectorOptions {
  /** Base URL for enterprise installs (e.g. GitHub Enterprise `https://ghe.example.com/api/v3`). */
  baseUrl?: string | undefined;
  /** Free-form, connector-specific (e.g. MCP per-tool risk overrides, webhook signing header). */
  extra?: Record<string, unknown> | undefined;
}

export interface ConnectorType {
  readonly type: string; // e.g. 'github'
  readonly title: string;
  /** Domains covered when the operator gives none. */
  defaultDomains(options: ConnectorOptions): string[];
  readonly defaultAuth: AuthScheme;
  /** Header names (lower-case) an agent may use to carry its (dummy) credential; stripped on injection. */
  readonly credentialHeaders: readonly string[];
  readonly maxBodyBytes: number;
  /** Whether this request's action depends on its body (GraphQL, JSON-RPC, Slack forms...). */
  wantsBody(
    req: Pick<ConnectorRequest, 'method' | 'path' | 'query' | 'headers'>,
    options: ConnectorOptions,
  ): boolean;
  /**
   * Optional: true when this request's mapping needs only the first `maxBodyBytes` of a longer body
   * (git push: the ref commands precede the pack data). The gateway may then pass that prefix with
   * `bodyTruncated: true` and stream the rest instead of refusing the request as too large.
   */
  bodyPrefixSuffices?(
    req: Pick<ConnectorRequest, 'method' | 'path' | 'query' | 'headers'>,
    options: ConnectorOptions,
  ): boolean;
  /** Never throws; unknown requests map to `<type>.http.<method>`. */
  map(req: ConnectorRequest, options: ConnectorOptions): ActionMatch;
  readonly catalogue: readonly ActionSpec[];
  /**
   * Optional: the gateway's refusal in this protocol's own error shape, for clients that show nothing
   * else (an MCP client reports an HTTP 403 as a transport failure, a JSON-RPC error as the tool's).
   * `problem` is the problem+json document, `reason` its one-line summary.
   */
  denialAnswer?(req: ConnectorRequest, problem: DeniedProblem, reason: string): DenialAnswer | undefined;
  /** Prose for `docs/connectors.md` and the CLI: which parameters are extracted, and caveats. */
  readonly docs?: ConnectorDocs | undefined;
}

export interface ConnectorDocs {
  /** One line per extracted parameter: `name: where it comes from`. */
  parameters: readonly string[];
  notes: readonly string[];
}

/** The members of a refusal's problem document a connector may put in its own error shape. */
export interface DeniedProblem {
  status: number;
  code: string;
  detail: string;
  [member: string]: unknown;
}

/** An answer the gateway sends as is (status, Content-Type, body) in place of problem+json. */
export interface DenialAnswer {
  status: number;
  contentType: string;
  body: string | Buffer;
}
