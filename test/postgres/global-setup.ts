// Global set-up of the `postgres` test project: one real PostgreSQL server for the whole run (each
// harness then takes a schema of its own). Where PostgreSQL cannot run, the project's tests report
// themselves skipped with the reason (setup-postgres.ts), never passed.
import type { TestProject } from 'vitest/node';
import { postgresUnavailableReason, startPostgresServer } from '../helpers/postgres-server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    postgresUrl: string;
    postgresSkip: string;
  }
}

export default function setup(project: TestProject): (() => void) | undefined {
  const reason = postgresUnavailableReason();
  if (reason) {
    project.provide('postgresUrl', '');
    project.provide('postgresSkip', reason);
    return undefined;
  }
  const server = startPostgresServer();
  project.provide('postgresUrl', server.url);
  project.provide('postgresSkip', '');
  return () => server.destroy();
}
