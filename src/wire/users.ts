// Wire types of /v1/users and /v1/account/password.
import type { WireRole as Role } from './roles.js';

export interface UserView {
  id: string;
  email: string;
  role: Role;
  created_at: string;
  updated_at: string;
}

export interface UserList {
  users: UserView[];
}

/** POST /v1/users body. Without `password`, one is generated and returned once. */
export interface CreateUserBody {
  email: string;
  role: Role;
  password?: string;
}

/** POST /v1/users: `password` only when the server generated it (shown this once). */
export interface CreatedUserAnswer {
  user: UserView;
  password?: string;
}

export interface UserAnswer {
  user: UserView;
}

/** PUT /v1/users/:email/password body; without `password`, one is generated and returned once. */
export interface SetPasswordBody {
  password?: string;
}

export interface PasswordSetAnswer {
  user: UserView;
  password?: string;
}

/** PUT /v1/account/password: a signed-in person changes their own password. */
export interface ChangeOwnPasswordBody {
  current_password: string;
  new_password: string;
}

export interface UserRemovedAnswer {
  deleted: true;
  tokens_removed: number;
}
