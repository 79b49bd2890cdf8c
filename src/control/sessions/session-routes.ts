// POST /v1/auth/login and /v1/auth/logout (CONTRACTS.md). Login answers the same, after the same
// work, whether the email is unknown or the password wrong: an unknown email is checked against a
// dummy hash of the same cost, and both count against the limiter.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import { AppError } from '../../errors/codes.js';
import type { LocalDatabase } from '../../storage/local-schema.js';
import type { LoginAnswer } from '../../wire/auth.js';
import { hashPassword, passwordMatches } from '../accounts/passwords.js';
import { sendProblem } from '../problem-reply.js';
import { LoginLimiter } from './login-limiter.js';
import { sessionOf } from './session-auth.js';
import { cameOverTls, clearedSessionCookie, readSessionCookie, sessionCookie } from './session-cookie.js';
import { endSession, findLoginUser, SESSION_ABSOLUTE_MS, startSession } from './session-store.js';

export interface SessionRouteDeps {
  db: Kysely<LocalDatabase>;
  now: () => Date;
  limiter?: LoginLimiter | undefined;
}

let dummyHash: Promise<string> | undefined;

/** A hash of the same cost as real ones, made once, so an unknown email costs a real compare. */
function dummyPasswordHash(): Promise<string> {
  dummyHash ??= hashPassword('not a password: unknown accounts are checked against this');
  return dummyHash;
}

export function registerSessionRoutes(app: FastifyInstance, deps: SessionRouteDeps): void {
  const limiter = deps.limiter ?? new LoginLimiter(deps.db, deps.now);

  app.post(
    '/auth/login',
    {
      schema: {
        summary: 'Sign in to the dashboard: sets the session cookie, answers the CSRF token',
        tags: ['auth'],
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['email', 'password'],
          properties: {
            email: { type: 'string', minLength: 1, maxLength: 320 },
            password: { type: 'string', minLength: 1, maxLength: 1024 },
          },
        },
      },
    },
    async (req: FastifyRequest, reply: FastifyReply) => {
      const body = req.body as { email: string; password: string };
      const email = body.email.trim().toLowerCase();
      const wait = await limiter.retryAfterSeconds(req.ip, email);
      if (wait > 0) {
        reply.header('retry-after', String(wait));
        return sendProblem(reply, 'rate_limited', `too many sign-in attempts; try again in ${wait} s`, {
          retry_after: wait,
        });
      }
      const user = await findLoginUser(deps.db, email);
      const ok = await passwordMatches(body.password, user?.passwordHash ?? (await dummyPasswordHash()));
      if (!user || !ok) {
        await limiter.failed(req.ip, email);
        throw new AppError('invalid_credentials', 'the email or the password is wrong');
      }
      await limiter.succeeded(email);
      const started = await startSession(
        deps.db,
        user,
        readSessionCookie(req.headers.cookie),
        { ip: req.ip },
        deps.now(),
      );
      reply.header('set-cookie', sessionCookie(started.cookie, SESSION_ABSOLUTE_MS / 1000, cameOverTls(req)));
      reply.header('cache-control', 'no-store');
      const answer: LoginAnswer = {
        user: { id: user.id, email: user.email, role: user.role },
        csrf_token: started.csrfToken,
        expires_at: started.expiresAt,
      };
      return answer;
    },
  );

  app.post(
    '/auth/logout',
    { schema: { summary: 'Sign out: ends the session and clears its cookie', tags: ['auth'] } },
    async (req, reply) => {
      const session = sessionOf(req);
      if (session) await endSession(deps.db, session.id, session.email);
      reply.header('set-cookie', clearedSessionCookie(cameOverTls(req)));
      return reply.status(204).send();
    },
  );
}
