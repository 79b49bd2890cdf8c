// Wire types of /v1/policies.
import type { PolicyDocument } from '../decide/policy-types.js';

export interface PolicySummary {
  name: string;
  version: number;
  enabled: boolean;
  priority: number;
  mode: string;
  description: string | null;
  /** How many rules the document has. */
  rules: number;
  updated_at: string;
}

export interface PolicyView extends PolicySummary {
  document: PolicyDocument;
}

export interface PolicyAnswer {
  policy: PolicyView;
}

export interface PolicyList {
  policies: PolicySummary[];
}

/** POST /v1/policies: one result per document sent. */
export interface PolicySaveAnswer {
  results: {
    name: string;
    change: 'created' | 'updated' | 'unchanged';
    version: number;
    message: string;
    policy: PolicyView;
  }[];
}

/** POST /v1/policies/:name/enable, /disable */
export interface PolicyToggleAnswer {
  changed: boolean;
  message: string;
  policy: PolicyView;
}

/** POST /v1/policies/:name/rollback */
export interface PolicyRollbackAnswer extends PolicyToggleAnswer {
  rolled_back_to: number;
}

export interface PolicyDeleted {
  deleted: true;
  name: string;
  version: number;
}

export interface PolicyVersionView {
  version: number;
  change: 'created' | 'updated' | 'enabled' | 'disabled' | 'rollback' | 'deleted';
  actor: string;
  created_at: string;
  document: PolicyDocument;
}

export interface PolicyVersions {
  name: string;
  current_version: number | null;
  versions: PolicyVersionView[];
}
