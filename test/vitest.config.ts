import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    root: new URL('..', import.meta.url).pathname,
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    maxWorkers: 2,
    reporters: ['default', 'json'],
    outputFile: { json: '.vitest-results.json' },
    projects: [
      {
        extends: true,
        test: {
          name: 'main',
          include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
          exclude: ['test/compat/**', 'test/doctor/**', 'test/postgres/**'],
        },
      },
      {
        // The control plane's tests again, on a real PostgreSQL server (TAMEFLARE_DATABASE_URL): the
        // server is started once for the run (test/postgres/global-setup.ts), each harness takes a
        // schema of its own; test/postgres/ holds what only makes sense there (schema parity, two
        // control planes on one database).
        extends: true,
        test: {
          name: 'postgres',
          include: [
            'test/postgres/**/*.test.ts',
            'test/control/**/*.test.ts',
            'test/policies/policy-api.test.ts',
            'test/policies/dry-run.test.ts',
            // Through a spawned or in-process daemon, whose control plane takes a schema of its own
            // (test/helpers/postgres-schema.ts testDatabaseEnv): the CLI, approvals held by a real
            // gateway and their webhooks, configuration as code, a second gateway registering. Tests of
            // the gateway alone (webhook signing, clients) add nothing here: their control plane only serves.
            'test/cli/cli-daemon.test.ts',
            'test/cli/cli-users-tokens.test.ts',
            'test/approvals/approval-hold.test.ts',
            'test/approvals/approval-decisions.test.ts',
            'test/approvals/approval-webhooks.test.ts',
            'test/e2e/split-two-gateways.test.ts',
            'test/config-as-code/config-apply.test.ts',
          ],
          // Tampering tests edit local.db with the sqlite3 tool: SQLite only.
          exclude: ['test/control/audit-api.test.ts'],
          globalSetup: ['test/postgres/global-setup.ts'],
          setupFiles: ['test/postgres/setup-postgres.ts'],
        },
      },
      {
        // Real clients under `tameflare run` (test/compat): each probe starts the CLI, a runtime and
        // an SDK, several processes per test, and each file's world a daemon and a dozen CLI runs,
        // so they get more time than a unit test.
        extends: true,
        test: {
          name: 'compat',
          include: ['test/compat/**/*.test.ts', 'test/doctor/**/*.test.ts'],
          testTimeout: 90_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
