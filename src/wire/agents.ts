// Wire types of /v1/agents and /v1/gateway-info.

export interface AgentView {
  name: string;
  gateway: string;
  port: number | null;
  mode: 'enforce' | 'monitor';
  labels: Record<string, string>;
  proxy_auth: boolean;
  status: 'active' | 'suspended';
  created_at: string;
  updated_at: string;
  /** `http://NAME@host:port` of the gateway's shared proxy port, when the gateway address is known. */
  proxy_url: string | null;
  /** `http://host:PORT` of the agent's dedicated port, when it has one and the address is known. */
  port_url: string | null;
  /**
   * The dedicated port as its gateway last reported it: `open`; `failed` (it cannot listen on it);
   * `pending` (no port yet: the gateway has not registered, or its range is full); `unknown`.
   */
  port_state: 'open' | 'failed' | 'pending' | 'unknown';
  /** Why the port is failed or pending, in words an operator can act on. */
  port_error: string | null;
}

export interface AgentAnswer {
  agent: AgentView;
}

/** POST /v1/agents and POST /v1/agents/:name/rotate-key: the key is shown this once. */
export interface AgentKeyAnswer {
  agent: AgentView;
  key: string;
}

export interface AgentList {
  agents: AgentView[];
}

/** POST /v1/agents/:name/session-keys */
export interface SessionKeyAnswer {
  id: string;
  key: string;
  expires_at: string;
  agent: AgentView;
}

/** GET /v1/agents/:name/session-keys: the keys that still work (`run` revokes its own at exit). */
export interface SessionKeyList {
  session_keys: Array<{ id: string; created_by: string; created_at: string; expires_at: string }>;
}

export interface GatewayInfo {
  gateway: string;
  /** Where agents reach the gateway (its registered public address). */
  url: string | null;
  proxy_host: string | null;
  proxy_port: number | null;
  /** SHA-256 of the gateway's CA certificate, when it has registered. */
  ca_fingerprint: string | null;
}

export interface Deleted {
  deleted: true;
}

export interface Revoked {
  revoked: true;
}
