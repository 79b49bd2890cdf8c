// First-run state of a control plane: an owner to sign in with and the local CLI token. Shared by
// `init` and `serve`, so either one leaves a usable installation.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { Kysely } from 'kysely';
import { authenticateApiToken } from '../control/accounts/account-store.js';
import { generatePassword, hashPassword } from '../control/accounts/passwords.js';
import { createApiToken } from '../control/tokens/token-store.js';
import { countUsers, createUser } from '../control/users/user-store.js';
import type { LocalDatabase } from '../storage/local-schema.js';
import { type DataDirPaths, writePrivateFile } from './data-dir.js';

export interface BootstrapResult {
  owner?: { email: string; generatedPassword?: string | undefined } | undefined;
  cliTokenCreated: boolean;
}

export const DEFAULT_ADMIN_EMAIL = 'admin@localhost';

export async function bootstrapControlPlane(
  db: Kysely<LocalDatabase>,
  paths: DataDirPaths,
  opts: { adminEmail?: string | undefined; adminPassword?: string | undefined },
): Promise<BootstrapResult> {
  const result: BootstrapResult = { cliTokenCreated: false };
  let ownerId: string | null = null;
  if ((await countUsers(db)) === 0) {
    const email = opts.adminEmail ?? DEFAULT_ADMIN_EMAIL;
    const generated = opts.adminPassword === undefined ? generatePassword() : undefined;
    const passwordHash = await hashPassword(opts.adminPassword ?? (generated as string));
    const { id } = await createUser(
      db,
      { email, passwordHash, role: 'owner' },
      { actor: 'system', now: new Date() },
    );
    ownerId = id;
    result.owner = { email, generatedPassword: generated };
  }
  const existing = existsSync(paths.cliToken) ? readFileSync(paths.cliToken, 'utf8').trim() : '';
  const valid = existing !== '' && (await authenticateApiToken(db, existing, new Date())) !== undefined;
  if (!valid) {
    if (ownerId === null) {
      const owner = await db
        .selectFrom('users')
        .select('id')
        .where('role', '=', 'owner')
        .limit(1)
        .executeTakeFirst();
      ownerId = owner?.id ?? null;
    }
    const { token } = await createApiToken(
      db,
      { name: 'cli (local)', role: 'owner', userId: ownerId, expiresAt: null },
      { actor: 'system' },
    );
    if (existsSync(paths.cliToken)) writeFileSync(paths.cliToken, `${token}\n`, { mode: 0o600 });
    else writePrivateFile(paths.cliToken, `${token}\n`);
    result.cliTokenCreated = true;
  }
  return result;
}
