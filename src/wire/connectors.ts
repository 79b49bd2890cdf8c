// Wire types of /v1/connectors and /v1/connector-types.
import type { ActionSpec } from '../connectors/types.js';

export interface ConnectorView {
  name: string;
  type: string;
  gateway: string;
  domains: string[];
  auth: string;
  base_url: string | null;
  intercept: boolean;
  /** The stored credential may be injected into plain-HTTP requests (an internal host without TLS). */
  allow_cleartext: boolean;
  options: Record<string, unknown>;
  credential_set: boolean;
  credential_last4: string | null;
  created_at: string;
}

export interface ConnectorAnswer {
  connector: ConnectorView;
}

export interface ConnectorList {
  connectors: ConnectorView[];
}

export interface ConnectorTypeView {
  type: string;
  title: string;
  default_domains: string[];
  default_auth: string;
  /** How many actions its catalogue has. */
  actions: number;
}

export interface ConnectorTypeList {
  types: ConnectorTypeView[];
}

export interface ActionCatalogue {
  type: string;
  actions: readonly ActionSpec[];
}
