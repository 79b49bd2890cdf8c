// The roles as they travel on the wire, lowest first (the server's list: src/control/accounts/roles.ts).
export type WireRole = 'viewer' | 'member' | 'admin' | 'owner';
