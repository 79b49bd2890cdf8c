// Wire types of /v1/auth.

/** GET /v1/auth/me */
export interface Me {
  kind: 'token' | 'session';
  name: string;
  role: 'viewer' | 'member' | 'admin' | 'owner';
  user_id: string | null;
  email: string | null;
  /** Only for a cookie session: send it as X-CSRF-Token on every request other than GET/HEAD. */
  csrf_token?: string;
}

/** POST /v1/auth/login */
export interface LoginAnswer {
  user: { id: string; email: string; role: Me['role'] };
  csrf_token: string;
  expires_at: string;
}
