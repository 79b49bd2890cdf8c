// /v1/users: owners manage people (SPEC 5.2); admins may list them; everyone signed in as a person
// may change their own password (with the current one). Which role each route needs is in
// ../route-roles.ts.
import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import { AppError } from '../../errors/codes.js';
import type { LocalDatabase } from '../../storage/local-schema.js';
import type {
  CreatedUserAnswer,
  PasswordSetAnswer,
  UserAnswer,
  UserList,
  UserRemovedAnswer,
  UserView,
} from '../../wire/users.js';
import { actorOf } from '../accounts/account-store.js';
import { generatePassword, hashPassword, passwordMatches } from '../accounts/passwords.js';
import { ROLES, type Role } from '../accounts/roles.js';
import { principalOf } from '../auth/authenticate.js';
import {
  createUser,
  findUserById,
  listUsers,
  removeUser,
  setUserPassword,
  setUserRole,
  type UserRow,
} from './user-store.js';

export interface UserRouteDeps {
  db: Kysely<LocalDatabase>;
  now: () => Date;
}

const email = { type: 'string', minLength: 3, maxLength: 254 } as const;
const password = { type: 'string', minLength: 1, maxLength: 200 } as const;
const emailParams = {
  type: 'object',
  additionalProperties: false,
  required: ['email'],
  properties: { email },
} as const;

export function userView(u: UserRow): UserView {
  return {
    id: u.id,
    email: u.email,
    role: u.role as Role,
    created_at: u.created_at,
    updated_at: u.updated_at,
  };
}

export function registerUserRoutes(app: FastifyInstance, deps: UserRouteDeps): void {
  const { db } = deps;
  const ctx = (req: Parameters<typeof principalOf>[0]) => ({
    actor: actorOf(principalOf(req)),
    now: deps.now(),
  });

  app.get(
    '/users',
    { schema: { summary: 'List users (no passwords)', tags: ['users'] } },
    async (): Promise<UserList> => {
      return { users: (await listUsers(db)).map(userView) };
    },
  );

  app.post(
    '/users',
    {
      schema: {
        summary: 'Add a user; without a password one is generated and returned once',
        tags: ['users'],
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['email', 'role'],
          properties: { email, role: { type: 'string', enum: [...ROLES] }, password },
        },
      },
    },
    async (req, reply) => {
      const body = req.body as { email: string; role: Role; password?: string };
      const generated = body.password === undefined ? generatePassword() : undefined;
      const passwordHash = await hashPassword(body.password ?? (generated as string));
      const user = await createUser(db, { email: body.email, passwordHash, role: body.role }, ctx(req));
      const answer: CreatedUserAnswer = {
        user: userView(user),
        ...(generated ? { password: generated } : {}),
      };
      return reply.status(201).send(answer);
    },
  );

  app.delete(
    '/users/:email',
    {
      schema: {
        summary: 'Remove a user with their sessions and API tokens',
        tags: ['users'],
        params: emailParams,
      },
    },
    async (req): Promise<UserRemovedAnswer> => {
      const { tokens_removed } = await removeUser(db, (req.params as { email: string }).email, ctx(req));
      return { deleted: true, tokens_removed };
    },
  );

  app.put(
    '/users/:email/role',
    {
      schema: {
        summary: "Change a user's role (the last owner cannot be demoted)",
        tags: ['users'],
        params: emailParams,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['role'],
          properties: { role: { type: 'string', enum: [...ROLES] } },
        },
      },
    },
    async (req): Promise<UserAnswer> => {
      const { role } = req.body as { role: Role };
      return {
        user: userView(await setUserRole(db, (req.params as { email: string }).email, role, ctx(req))),
      };
    },
  );

  app.put(
    '/users/:email/password',
    {
      schema: {
        summary:
          "Set a user's password (generated and returned once when none is given); ends their sessions",
        tags: ['users'],
        params: emailParams,
        body: { type: ['object', 'null'], additionalProperties: false, properties: { password } },
      },
    },
    async (req): Promise<PasswordSetAnswer> => {
      const given = (req.body as { password?: string } | null)?.password;
      const generated = given === undefined ? generatePassword() : undefined;
      const hash = await hashPassword(given ?? (generated as string));
      const user = await setUserPassword(db, (req.params as { email: string }).email, hash, ctx(req));
      return { user: userView(user), ...(generated ? { password: generated } : {}) };
    },
  );

  app.put(
    '/account/password',
    {
      schema: {
        summary: 'Change your own password (needs the current one); ends your sessions',
        tags: ['users'],
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['current_password', 'new_password'],
          properties: { current_password: password, new_password: password },
        },
      },
    },
    async (req): Promise<UserAnswer> => {
      const p = principalOf(req);
      const body = req.body as { current_password: string; new_password: string };
      const user = p.userId ? await findUserById(db, p.userId) : undefined;
      if (!user)
        throw new AppError(
          'forbidden',
          'this credential belongs to no person; use PUT /v1/users/:email/password',
        );
      if (!(await passwordMatches(body.current_password, user.password_hash)))
        throw new AppError('forbidden', 'the current password is not right');
      if (body.new_password === body.current_password)
        throw new AppError('validation_failed', 'the new password must differ from the current one');
      const hash = await hashPassword(body.new_password);
      return { user: userView(await setUserPassword(db, user.email, hash, ctx(req))) };
    },
  );
}
