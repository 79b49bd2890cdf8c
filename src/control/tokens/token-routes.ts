// /v1/tokens: API tokens for scripts and the CLI. Any role may make tokens for itself, never with a
// role above its own; the secret is answered once. What a caller sees and may revoke:
// - owners: every token;
// - admins: every token, and may revoke those of admin role or below;
// - everyone else: the tokens of their own person (or, for a token of no person, itself).
//
// Threat model: a token can never mint a stronger one (privilege escalation), and a viewer cannot
// learn which other tokens exist; tokens it may not see answer 404 like tokens that do not exist.
import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import { AppError } from '../../errors/codes.js';
import type { LocalDatabase } from '../../storage/local-schema.js';
import type { CreatedTokenAnswer, TokenAnswer, TokenList, TokenView } from '../../wire/tokens.js';
import { actorOf, type Principal } from '../accounts/account-store.js';
import { ROLES, type Role, roleAtLeast } from '../accounts/roles.js';
import { principalOf } from '../auth/authenticate.js';
import { createApiToken, findApiToken, listApiTokens, revokeApiToken, type TokenRow } from './token-store.js';

export interface TokenRouteDeps {
  db: Kysely<LocalDatabase>;
  now: () => Date;
}

const MAX_LIFETIME_SECONDS = 10 * 366 * 86_400;

export function tokenView(t: TokenRow, now: Date): TokenView {
  const status =
    t.revoked_at !== null
      ? 'revoked'
      : t.expires_at !== null && t.expires_at <= now.toISOString()
        ? 'expired'
        : 'active';
  return {
    id: t.id,
    name: t.name,
    prefix: t.prefix,
    role: t.role as Role,
    user: t.user_email,
    created_by: t.created_by,
    created_at: t.created_at,
    expires_at: t.expires_at,
    revoked_at: t.revoked_at,
    last_used_at: t.last_used_at,
    status,
  };
}

function canSee(p: Principal, t: TokenRow): boolean {
  if (roleAtLeast(p.role, 'admin')) return true;
  return p.userId !== null ? t.user_id === p.userId : t.id === p.id;
}

function checkCanRevoke(p: Principal, t: TokenRow): void {
  if (p.role === 'owner' || !canSee(p, t)) return;
  // Admins see every token but may revoke only those no stronger than themselves.
  if (p.role === 'admin' && !roleAtLeast('admin', t.role as Role) && t.user_id !== p.userId) {
    throw new AppError(
      'insufficient_role',
      `revoking an ${t.role} token needs the owner role; you are admin`,
      {
        required_role: 'owner',
        role: p.role,
      },
    );
  }
}

export function registerTokenRoutes(app: FastifyInstance, deps: TokenRouteDeps): void {
  const { db } = deps;

  app.get(
    '/tokens',
    { schema: { summary: 'List API tokens you may see (never their secrets)', tags: ['tokens'] } },
    async (req): Promise<TokenList> => {
      const p = principalOf(req);
      const now = deps.now();
      const rows = await listApiTokens(db, roleAtLeast(p.role, 'admin') ? {} : { userId: p.userId });
      return { tokens: rows.filter((t) => canSee(p, t)).map((t) => tokenView(t, now)) };
    },
  );

  app.post(
    '/tokens',
    {
      schema: {
        summary: 'Create an API token (its secret is returned once); its role may not be above yours',
        tags: ['tokens'],
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['name'],
          properties: {
            name: { type: 'string', minLength: 1, maxLength: 100, pattern: '^[^\\u0000-\\u001f\\u007f]+$' },
            role: { type: 'string', enum: [...ROLES] },
            expires_in_seconds: { type: 'integer', minimum: 60, maximum: MAX_LIFETIME_SECONDS },
            expires_at: { type: 'string', format: 'date-time' },
          },
        },
      },
    },
    async (req, reply) => {
      const p = principalOf(req);
      const body = req.body as {
        name: string;
        role?: Role;
        expires_in_seconds?: number;
        expires_at?: string;
      };
      const role = body.role ?? 'viewer';
      if (!roleAtLeast(p.role, role)) {
        throw new AppError('insufficient_role', `a token's role may not be above yours: you are ${p.role}`, {
          required_role: role,
          role: p.role,
        });
      }
      const now = deps.now();
      if (body.expires_in_seconds !== undefined && body.expires_at !== undefined)
        throw new AppError('validation_failed', 'give expires_in_seconds or expires_at, not both');
      let expiresAt: string | null = null;
      if (body.expires_in_seconds !== undefined) {
        expiresAt = new Date(now.getTime() + body.expires_in_seconds * 1000).toISOString();
      } else if (body.expires_at !== undefined) {
        const at = Date.parse(body.expires_at);
        if (!(at > now.getTime()))
          throw new AppError('validation_failed', 'expires_at must be in the future');
        expiresAt = new Date(at).toISOString();
      }
      const created = await createApiToken(
        db,
        { name: body.name, role, userId: p.userId, expiresAt },
        { actor: actorOf(p), now },
      );
      const row = await findApiToken(db, created.id);
      const answer: CreatedTokenAnswer = { token: created.token, info: tokenView(row!, now) };
      return reply.status(201).send(answer);
    },
  );

  app.delete(
    '/tokens/:id',
    {
      schema: {
        summary: 'Revoke an API token',
        tags: ['tokens'],
        params: {
          type: 'object',
          additionalProperties: false,
          required: ['id'],
          properties: { id: { type: 'string', minLength: 1, maxLength: 64 } },
        },
      },
    },
    async (req): Promise<TokenAnswer> => {
      const p = principalOf(req);
      const id = (req.params as { id: string }).id;
      const row = await findApiToken(db, id);
      if (!row || !canSee(p, row)) throw new AppError('not_found', `no API token ${id}`);
      checkCanRevoke(p, row);
      const now = deps.now();
      return { info: tokenView(await revokeApiToken(db, id, { actor: actorOf(p), now }), now) };
    },
  );
}
