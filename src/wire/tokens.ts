// Wire types of /v1/tokens (API tokens, `tf_pat_…`).
import type { WireRole as Role } from './roles.js';

export interface TokenView {
  id: string;
  name: string;
  /** `tf_pat_` and the first six characters of the secret; null for tokens made before prefixes. */
  prefix: string | null;
  role: Role;
  /** The person the token acts for; null for tokens of no person (made by the system). */
  user: string | null;
  created_by: string | null;
  created_at: string;
  expires_at: string | null;
  revoked_at: string | null;
  last_used_at: string | null;
  status: 'active' | 'expired' | 'revoked';
}

export interface TokenList {
  tokens: TokenView[];
}

/** POST /v1/tokens body. `role` defaults to viewer; it may not be above the caller's role. */
export interface CreateTokenBody {
  name: string;
  role?: Role;
  /** Lifetime in seconds; without it (and without `expires_at`) the token does not expire. */
  expires_in_seconds?: number;
  expires_at?: string;
}

/** POST /v1/tokens: the secret is shown this once. */
export interface CreatedTokenAnswer {
  token: string;
  info: TokenView;
}

export interface TokenAnswer {
  info: TokenView;
}
