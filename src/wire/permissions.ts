// Wire types of /v1/permissions.
import type { Verdict } from '../decide/types.js';

export interface PermissionView {
  id: number;
  agent: string;
  connector: string;
  /** An action pattern: `github.pr.*`, `*.get`, `*`. */
  action: string;
  decision: Verdict;
  created_at: string;
}

export interface PermissionAnswer {
  permission: PermissionView;
}

export interface PermissionList {
  permissions: PermissionView[];
}
