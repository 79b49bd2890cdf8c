// Wire types of /v1/auth.

/** GET /v1/auth/me */
export interface Me {
  kind: 'token' | 'session';
  name: string;
  role: 'viewer' | 'member' | 'admin' | 'owner';
  user_id: string | null;
  email: string | null;
}
